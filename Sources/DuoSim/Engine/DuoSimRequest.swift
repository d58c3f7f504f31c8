import Foundation
import DuoAPI
import NIOHTTP1

/// One complete HTTP request as the simulator sees it: a value, so routing and answering are
/// plain functions of it (and of the simulator's state and clock).
public struct DuoSimRequest: Sendable {
    public var method: String
    /// The request target as sent (`/auth/v2/preauth?username=alice`).
    public var uri: String
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(method: String, uri: String, headers: HTTPHeaders, body: [UInt8] = []) {
        self.method = method
        self.uri = uri
        self.headers = headers
        self.body = body
    }

    /// The path without the query.
    public var path: String {
        guard let mark = uri.utf8.firstIndex(of: UInt8(ascii: "?")) else { return uri }
        return String(uri[..<mark])
    }

    /// The decoded query parameters (`+` is a space, as Python's `urlencode` writes it).
    public var queryParameters: [String: String]? {
        guard let mark = uri.utf8.firstIndex(of: UInt8(ascii: "?")) else { return [:] }
        return FormDecoding.decode(Substring(uri[uri.index(after: mark)...]))
    }

    var contentType: String {
        (headers.first(name: "content-type") ?? "").split(separator: ";").first.map {
            String($0).strippingCharacter(" ").lowercased()
        } ?? ""
    }
}

/// `application/x-www-form-urlencoded` and query strings.
enum FormDecoding {
    /// The pairs of `a=1&b=x%20y`; nil when a percent escape or the UTF-8 is broken. A repeated
    /// key keeps its last value (Duo's parameters are single-valued).
    static func decode(_ text: Substring) -> [String: String]? {
        var result: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = percentDecode(parts[0]) else { return nil }
            let value = parts.count > 1 ? percentDecode(parts[1]) : ""
            guard let value else { return nil }
            result[key] = value
        }
        return result
    }

    static func percentDecode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            default:
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension String {
    func strippingCharacter(_ character: Character) -> String {
        var text = Substring(self)
        while text.first == character { text.removeFirst() }
        while text.last == character { text.removeLast() }
        return String(text)
    }
}

/// A Duo error answer: HTTP status plus the envelope's code, message and detail.
struct DuoSimFailure: Error, Hashable, Sendable {
    var status: Int
    var code: Int
    var message: String
    var detail: String?

    static func missingCredentials() -> Self { Self(status: 401, code: 40101, message: "Missing request credentials") }
    static func unknownIntegrationKey() -> Self {
        Self(status: 401, code: 40102, message: "Invalid integration key in request credentials")
    }
    static func invalidSignature() -> Self { Self(status: 401, code: 40103, message: "Invalid signature in request credentials") }
    static func missingDate() -> Self { Self(status: 401, code: 40104, message: "Missing required request header", detail: "Date") }
    static func invalidDate(_ detail: String) -> Self {
        Self(status: 401, code: 40105, message: "Invalid request date", detail: detail)
    }
    static func invalidParameter(_ name: String) -> Self {
        Self(status: 400, code: 40002, message: "Invalid request parameters", detail: name)
    }
    static func notFound() -> Self { Self(status: 404, code: 40401, message: "Resource not found") }
    static func methodNotAllowed() -> Self { Self(status: 405, code: 40501, message: "Method not allowed") }
    static func bodyTooLarge() -> Self { Self(status: 413, code: 41301, message: "Request entity too large") }
}

/// Who signed a request, and how.
struct DuoSimCaller: Hashable, Sendable {
    var integrationKey: String
    var version: DuoSignatureVersion
    /// The request's parameters, from the query, a form body or a JSON body.
    var parameters: [String: String]
}

/// Checks a request's Duo signature and Date the way the Duo service does. Pure: the clock and
/// the keys are arguments.
enum DuoSimRequestVerifier {
    /// The caller, or the Duo error to answer. `ikey` of a failure is reported through `claimed`
    /// so counters can charge rejected requests to the integration key they claimed.
    static func verify(
        _ request: DuoSimRequest, integrations: [String: String], now: Int64, allowedSkew: Int64,
        claimed: inout String?
    ) -> Result<DuoSimCaller, DuoSimFailure> {
        guard let header = request.headers.first(name: "authorization"),
              let credentials = DuoSignature.credentials(fromAuthorization: header)
        else { return .failure(.missingCredentials()) }
        claimed = credentials.integrationKey
        guard let secretKey = integrations[credentials.integrationKey] else {
            return .failure(.unknownIntegrationKey())
        }
        guard let date = request.headers.first(name: "date") else { return .failure(.missingDate()) }
        guard let seconds = DuoDate.parse(date) else {
            return .failure(.invalidDate("Date is not RFC 2822: \(date)"))
        }

        // What the client could have signed: the query for GET (every version), a JSON body
        // (v4, v5: parameters empty) or a form body (v2) for POST.
        let isJSON = request.contentType == "application/json"
        var candidates: [(DuoSignedRequest, [DuoSignatureVersion], [String: String])] = []
        let duoHeaders = Dictionary(
            request.headers.filter { $0.name.lowercased().hasPrefix("x-duo-") }.map { ($0.name, $0.value) },
            uniquingKeysWith: { $1 })
        guard let query = request.queryParameters else { return .failure(.invalidParameter("query")) }
        var jsonBody: [String: String]?
        if isJSON && !request.body.isEmpty {
            guard let parameters = DuoSimJSONParameters.decode(request.body) else { return .failure(.invalidParameter("body")) }
            jsonBody = parameters
        }
        for host in hostCandidates(request.headers.first(name: "host") ?? "") {
            if let parameters = jsonBody {
                let signed = DuoSignedRequest(method: request.method, host: host, path: request.path, parameters: query,
                                              date: date, body: request.body, duoHeaders: duoHeaders)
                candidates.append((signed, [.v5, .v4], parameters.merging(query) { body, _ in body }))
            } else {
                var parameters = query
                if !request.body.isEmpty {
                    guard let form = FormDecoding.decode(Substring(decoding: request.body, as: UTF8.self)) else {
                        return .failure(.invalidParameter("body"))
                    }
                    parameters.merge(form) { _, form in form }
                }
                // v5 first: it is what Duo's clients (and twofold's) send by default.
                if request.body.isEmpty {
                    let signed = DuoSignedRequest(method: request.method, host: host, path: request.path,
                                                  parameters: query, date: date, body: [], duoHeaders: duoHeaders)
                    candidates.append((signed, [.v5, .v4], parameters))
                }
                let signedV2 = DuoSignedRequest(method: request.method, host: host, path: request.path,
                                                parameters: parameters, date: date)
                candidates.append((signedV2, [.v2], parameters))
            }
        }
        for (signed, versions, parameters) in candidates {
            if let version = DuoSignature.matchingVersion(
                signature: credentials.signature, secretKey: secretKey, request: signed, versions: versions)
            {
                guard abs(seconds - now) <= allowedSkew else {
                    return .failure(.invalidDate("Date is \(seconds - now) s from the server's clock (allowed: ±\(allowedSkew) s)"))
                }
                return .success(DuoSimCaller(integrationKey: credentials.integrationKey, version: version,
                                             parameters: parameters))
            }
        }
        return .failure(.invalidSignature())
    }

    /// The Host header as sent and without its port: duo_client signs the host it was given,
    /// which is `127.0.0.1` when the port is passed separately, but `http.client` sends
    /// `127.0.0.1:PORT` in the Host header.
    static func hostCandidates(_ header: String) -> [String] {
        let host = header.lowercased()
        var result = [host]
        if host.hasPrefix("[") {
            if let close = host.firstIndex(of: "]"), host.index(after: close) != host.endIndex {
                result.append(String(host[...close]))
            }
        } else if let colon = host.lastIndex(of: ":"), host.firstIndex(of: ":") == colon {
            result.append(String(host[..<colon]))
        }
        return result
    }
}
