import Crypto

/// Duo's request signature versions (Duo's reference client, `duo_client.client.canonicalize`).
public enum DuoSignatureVersion: Int, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Date, method, host, path, parameters; HMAC-SHA1 or HMAC-SHA512; form bodies.
    case v2 = 2
    /// v2 plus the SHA-512 of the JSON body; HMAC-SHA512.
    case v4 = 4
    /// v4 plus the SHA-512 of the `X-Duo-*` headers; HMAC-SHA512. The default.
    case v5 = 5

    public var description: String { "v\(rawValue)" }
}

/// The HMAC digest of a signature. Versions 4 and 5 always use SHA-512.
public enum DuoSignatureDigest: Hashable, Sendable {
    case sha1
    case sha512
}

/// What a Duo signature covers: one API request, as its sender canonicalizes it.
///
/// For v4 and v5, parameters of POST requests travel in `body` as canonical JSON and
/// `parameters` is empty; GET parameters travel in the query with an empty body. For v2 the body
/// is not signed: form parameters are in `parameters` for every method.
public struct DuoSignedRequest: Hashable, Sendable {
    public var method: String
    public var host: String
    public var path: String
    public var parameters: [String: String]
    /// The `Date` header, RFC 2822 (`DuoDate.format`).
    public var date: String
    public var body: [UInt8]
    /// The `X-Duo-*` headers sent with the request (v5 signs them).
    public var duoHeaders: [String: String]

    public init(
        method: String, host: String, path: String, parameters: [String: String] = [:],
        date: String, body: [UInt8] = [], duoHeaders: [String: String] = [:]
    ) {
        self.method = method
        self.host = host
        self.path = path
        self.parameters = parameters
        self.date = date
        self.body = body
        self.duoHeaders = duoHeaders
    }
}

/// Signing and checking Duo API requests exactly as Duo's reference client signs them.
///
/// `Authorization: Basic base64(ikey ":" hex(HMAC(skey, canonical)))`, where the canonical request
/// is the lines date, METHOD, lower-cased host, path, sorted percent-encoded parameters, and for
/// v4/v5 the hex SHA-512 of the body, for v5 the hex SHA-512 of the `X-Duo-*` headers.
public enum DuoSignature {
    /// The canonical request text that is signed.
    public static func canonicalRequest(_ request: DuoSignedRequest, version: DuoSignatureVersion) -> String {
        // Appended into one string: no array of lines to join for every request signed or checked.
        var text = request.date
        func line(_ part: String) {
            text += "\n"
            text += part
        }
        line(request.method.uppercased())
        line(request.host.lowercased())
        line(request.path)
        line(canonicalParameters(request.parameters))
        if version != .v2 { line(hexSHA512(request.body)) }
        if version == .v5 { line(canonicalDuoHeaders(request.duoHeaders)) }
        return text
    }

    /// `key=value` pairs, both percent-encoded (only `A-Z a-z 0-9 - . _ ~` stay as they are),
    /// sorted by encoded key, joined with `&` (OAuth 1.0a's normalization, RFC 5849 §3.4.1.3.2).
    public static func canonicalParameters(_ parameters: [String: String]) -> String {
        parameters
            .map { (percentEncode($0.key), percentEncode($0.value)) }
            .sorted { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// The hex SHA-512 of the `X-Duo-*` headers: lower-cased names sorted, then name and value
    /// alternately joined with NUL.
    public static func canonicalDuoHeaders(_ headers: [String: String]) -> String {
        if headers.isEmpty { return noDuoHeaders }
        let parts = headers
            .map { ($0.key.lowercased(), $0.value) }
            .sorted { $0.0 < $1.0 }
            .flatMap { [$0.0, $0.1] }
        return hexSHA512(Array(parts.joined(separator: "\u{0}").utf8))
    }

    /// The `Authorization` header value for a request.
    public static func authorization(
        integrationKey: String,
        secretKey: String,
        request: DuoSignedRequest,
        version: DuoSignatureVersion = .v5,
        digest: DuoSignatureDigest = .sha512
    ) -> String {
        let signature = hexSignature(
            canonical: canonicalRequest(request, version: version), secretKey: secretKey,
            digest: version == .v2 ? digest : .sha512)
        return "Basic " + base64(Array("\(integrationKey):\(signature)".utf8))
    }

    /// The hex HMAC of a canonical request.
    public static func hexSignature(canonical: String, secretKey: String, digest: DuoSignatureDigest) -> String {
        let key = SymmetricKey(data: Array(secretKey.utf8))
        let message = Array(canonical.utf8)
        switch digest {
        case .sha1: return hex(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: key))
        case .sha512: return hex(HMAC<SHA512>.authenticationCode(for: message, using: key))
        }
    }

    /// The integration key and hex signature of an `Authorization: Basic ...` header, or nil when
    /// the header is not of that form.
    public static func credentials(fromAuthorization header: String) -> (integrationKey: String, signature: String)? {
        let bytes = Array(header.utf8)
        let scheme: [UInt8] = Array("basic ".utf8)
        guard bytes.count > scheme.count else { return nil }
        for index in scheme.indices {
            // Case-insensitive: an ASCII letter matches with its case bit set.
            let byte = bytes[index], expected = scheme[index]
            guard byte == expected || (expected != 0x20 && byte | 0x20 == expected) else { return nil }
        }
        var start = scheme.count
        var end = bytes.count
        while start < end, bytes[start] == UInt8(ascii: " ") { start += 1 }
        while end > start, bytes[end - 1] == UInt8(ascii: " ") { end -= 1 }
        guard let decoded = base64Decode(bytes[start..<end]),
              let colon = decoded.firstIndex(of: UInt8(ascii: ":")),
              let integrationKey = String(validating: decoded[..<colon], as: UTF8.self),
              let signature = String(validating: decoded[(colon + 1)...], as: UTF8.self)
        else { return nil }
        return (integrationKey, signature)
    }

    /// Whether `signature` (hex) signs the request with `secretKey` in any of `versions` (and, for
    /// v2, either digest), tried in that order. Returns the version that matched. The comparison
    /// is constant-time.
    public static func matchingVersion(
        signature: String,
        secretKey: String,
        request: DuoSignedRequest,
        versions: [DuoSignatureVersion] = [.v5, .v4, .v2]
    ) -> DuoSignatureVersion? {
        let given = Array(signature.lowercased().utf8)
        for version in versions {
            let digests: [DuoSignatureDigest] = version == .v2 ? [.sha1, .sha512] : [.sha512]
            for digest in digests {
                let expected = hexSignature(
                    canonical: canonicalRequest(request, version: version), secretKey: secretKey, digest: digest)
                if constantTimeEqual(Array(expected.utf8), given) { return version }
            }
        }
        return nil
    }

    // MARK: Encodings

    /// Percent-encodes UTF-8 as Python's `urllib.parse.quote(value, '~')`: upper-case hex.
    public static func percentEncode(_ text: String) -> String {
        var out = [UInt8]()
        out.reserveCapacity(text.utf8.count)
        let digits = Array("0123456789ABCDEF".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(digits[Int(byte >> 4)])
                out.append(digits[Int(byte & 0x0f)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func hexSHA512(_ bytes: [UInt8]) -> String { hex(SHA512.hash(data: bytes)) }

    /// `canonicalDuoHeaders` of a request without `X-Duo-*` headers (every request twofold sends).
    private static let noDuoHeaders = hexSHA512([])
}
