import Foundation

/// Turns an HTTP answer of the Auth API into a typed result or a classified `DuoFailure`.
/// Pure: status and body in, value or failure out.
public enum DuoResponseDecoder {
    /// The `response` object of a successful envelope, or the failure the answer represents.
    public static func decode<Response: Codable & Sendable>(
        _ type: Response.Type,
        status: Int,
        body: [UInt8],
        endpoint: String
    ) throws(DuoFailure) -> Response {
        let envelope = try? JSONDecoder().decode(DuoEnvelope<Response>.self, from: Data(body))
        switch status {
        case 200:
            guard let envelope, envelope.stat == "OK", let response = envelope.response else {
                throw DuoFailure(
                    .unreadableBody, diagnostic: "Duo answered \(endpoint) with HTTP 200 and a body that is not a Duo answer: \(preview(body))",
                    httpStatus: status)
            }
            return response
        case 400..<500:
            throw DuoFailure(
                .clientError,
                diagnostic: "Duo refused \(endpoint) with HTTP \(status)" + describe(envelope)
                    + (status == 401 ? " (check ikey, skey and api_host, and this machine's clock)" : ""),
                httpStatus: status, duoCode: envelope?.code, duoMessage: envelope?.message)
        case 500..<600:
            throw DuoFailure(
                .serverError, diagnostic: "Duo failed on \(endpoint) with HTTP \(status)" + describe(envelope),
                httpStatus: status, duoCode: envelope?.code, duoMessage: envelope?.message)
        default:
            throw DuoFailure(
                .unreadableBody, diagnostic: "Duo answered \(endpoint) with unexpected HTTP \(status)", httpStatus: status)
        }
    }

    public static func preauth(status: Int, body: [UInt8]) throws(DuoFailure) -> DuoPreauthResult {
        let response = try decode(DuoPreauthResponse.self, status: status, body: body, endpoint: "/auth/v2/preauth")
        let message = response.statusMsg ?? ""
        switch response.result {
        case "allow": return .allow(message: message)
        case "deny": return .deny(message: message)
        case "enroll": return .enroll(message: message, portalURL: response.enrollPortalURL)
        case "auth": return .auth(devices: response.devices ?? [], message: message)
        default:
            throw DuoFailure(
                .unreadableBody, diagnostic: "Duo's preauth result '\(response.result)' is none of allow, deny, enroll, auth",
                httpStatus: status)
        }
    }

    /// An auth or auth_status answer: a final result, a transaction to poll, or still waiting.
    public enum AuthProgress: Hashable, Sendable {
        case done(DuoAuthResult)
        case started(txid: String)
        case waiting(status: String, message: String)
    }

    public static func auth(status: Int, body: [UInt8], endpoint: String = "/auth/v2/auth") throws(DuoFailure) -> AuthProgress {
        let response = try decode(DuoAuthResponse.self, status: status, body: body, endpoint: endpoint)
        let message = response.statusMsg ?? ""
        switch response.result {
        case "allow": return .done(.allow(message: message))
        case "deny": return .done(.deny(message: message, status: response.status ?? "deny"))
        case "waiting": return .waiting(status: response.status ?? "", message: message)
        case nil:
            if let txid = response.txid, !txid.isEmpty { return .started(txid: txid) }
            fallthrough
        default:
            throw DuoFailure(
                .unreadableBody, diagnostic: "Duo's \(endpoint) answer has neither a known result nor a txid",
                httpStatus: status)
        }
    }

    public static func time(status: Int, body: [UInt8], endpoint: String) throws(DuoFailure) -> Int64 {
        try decode(DuoTimeResponse.self, status: status, body: body, endpoint: endpoint).time
    }

    private static func describe<R>(_ envelope: DuoEnvelope<R>?) -> String {
        guard let envelope, let code = envelope.code else { return "" }
        var text = ": \(code) \(envelope.message ?? "")"
        if let detail = envelope.messageDetail { text += " (\(detail))" }
        return text
    }

    /// At most 80 printable characters of a body, for a diagnostic.
    private static func preview(_ body: [UInt8]) -> String {
        let printable = body.prefix(80).map { (0x20..<0x7f).contains($0) ? Character(UnicodeScalar($0)) : "." }
        return "'" + String(printable) + (body.count > 80 ? "...'" : "'")
    }
}
