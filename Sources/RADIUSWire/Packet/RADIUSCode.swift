/// The Code field of a RADIUS packet.
///
/// RFC 2865 §3: "The Code field is one octet, and identifies the type of RADIUS packet. When a
/// packet is received with an invalid Code field, it is silently discarded."
/// Codes from RFC 2865 (access), RFC 2866 (accounting), RFC 5997 (Status-Server) and RFC 5176
/// (Dynamic Authorization). Unknown codes are kept as their number.
public struct RADIUSCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let accessRequest = RADIUSCode(rawValue: 1)
    public static let accessAccept = RADIUSCode(rawValue: 2)
    public static let accessReject = RADIUSCode(rawValue: 3)
    public static let accountingRequest = RADIUSCode(rawValue: 4)
    public static let accountingResponse = RADIUSCode(rawValue: 5)
    public static let accessChallenge = RADIUSCode(rawValue: 11)
    public static let statusServer = RADIUSCode(rawValue: 12)
    public static let statusClient = RADIUSCode(rawValue: 13)
    public static let disconnectRequest = RADIUSCode(rawValue: 40)
    public static let disconnectACK = RADIUSCode(rawValue: 41)
    public static let disconnectNAK = RADIUSCode(rawValue: 42)
    public static let coaRequest = RADIUSCode(rawValue: 43)
    public static let coaACK = RADIUSCode(rawValue: 44)
    public static let coaNAK = RADIUSCode(rawValue: 45)

    /// The name FreeRADIUS and the RFCs use (`Access-Request`), or the number for unknown codes.
    public var name: String {
        switch rawValue {
        case 1: "Access-Request"
        case 2: "Access-Accept"
        case 3: "Access-Reject"
        case 4: "Accounting-Request"
        case 5: "Accounting-Response"
        case 11: "Access-Challenge"
        case 12: "Status-Server"
        case 13: "Status-Client"
        case 40: "Disconnect-Request"
        case 41: "Disconnect-ACK"
        case 42: "Disconnect-NAK"
        case 43: "CoA-Request"
        case 44: "CoA-ACK"
        case 45: "CoA-NAK"
        default: String(rawValue)
        }
    }

    public var description: String { name }

    /// Whether a server receives this code (a client sends it). Replies sent to a server port are dropped.
    public var isRequest: Bool {
        switch self {
        case .accessRequest, .accountingRequest, .statusServer, .disconnectRequest, .coaRequest: true
        default: false
        }
    }

    /// Whether the Request Authenticator of this request is computed from the packet and the secret
    /// (RFC 2866 §3, RFC 5176 §2.3) rather than chosen at random (Access-Request, Status-Server).
    public var hasComputedRequestAuthenticator: Bool {
        switch self {
        case .accountingRequest, .disconnectRequest, .coaRequest: true
        default: false
        }
    }
}
