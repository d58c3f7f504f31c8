import RADIUSWire

/// The first factor: something that checks a username and password against a directory, an
/// upstream RADIUS server or a local users file (the `client` of a server section).
///
/// Every answer is a ``PrimaryOutcome``, never a thrown error: an unreachable directory is an
/// outcome Policy decides on (a reject, since failmode only concerns Duo), not an exception that
/// a caller could forget to handle.
public protocol PrimaryAuthenticator: Sendable {
    /// The section this authenticator was configured from (`ad_client`, `radius_client2`, ...),
    /// for logs and auth events.
    var name: String { get }

    func authenticate(_ request: PrimaryRequest) async -> PrimaryOutcome
}

/// What a primary authenticator is asked to check.
public struct PrimaryRequest: Sendable {
    /// The username for the directory, from the login's one parsed identity.
    public var username: String
    public var password: Password
    /// The address of the user's machine when the device sent it (`client_ip_attr`), else nil.
    public var clientAddress: String?
    /// Attributes of the device's Access-Request that an upstream RADIUS server should see
    /// (NAS-Identifier, Calling-Station-Id, ...). The RADIUS front chooses them; it never passes
    /// User-Password, CHAP, State, Proxy-State or Message-Authenticator here.
    public var forwardedAttributes: [RADIUSAttribute]
    /// The State of an upstream Access-Challenge this request answers, if any.
    public var upstreamState: [UInt8]?

    public init(
        username: String, password: Password, clientAddress: String? = nil,
        forwardedAttributes: [RADIUSAttribute] = [], upstreamState: [UInt8]? = nil
    ) {
        self.username = username
        self.password = password
        self.clientAddress = clientAddress
        self.forwardedAttributes = forwardedAttributes
        self.upstreamState = upstreamState
    }
}

/// The answer of a primary authenticator.
public enum PrimaryOutcome: Sendable {
    /// The password is right (and the user is in the required group, where one is configured).
    case accepted(PrimaryAccept)
    /// The password is wrong, the user is unknown or not allowed. Clients see one answer for all.
    case rejected(PrimaryRejection)
    /// The upstream RADIUS server asked a question (Access-Challenge); the device must answer it.
    case challenged(PrimaryChallenge)
    /// No server could be asked (every host down, timed out, TLS failed). Always a reject:
    /// failmode concerns Duo only.
    case unavailable(diagnostic: String)
}

public struct PrimaryAccept: Sendable, Hashable {
    /// The user's entry in the directory, when the primary is a directory (for `exempt_ou_N`
    /// and auth events).
    public var distinguishedName: String?
    /// Attributes of the upstream reply to pass through to the device (`pass_through_attr_names`,
    /// `pass_through_all`), already filtered by the authenticator's configuration.
    public var passThroughAttributes: [RADIUSAttribute]

    public init(distinguishedName: String? = nil, passThroughAttributes: [RADIUSAttribute] = []) {
        self.distinguishedName = distinguishedName
        self.passThroughAttributes = passThroughAttributes
    }
}

/// Why a primary refused a login: a kind to decide on and a diagnostic for the administrator's log.
/// The device never learns which kind it was.
public struct PrimaryRejection: Sendable, Hashable, CustomStringConvertible {
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case wrongPassword = "wrong password"
            case unknownUser = "unknown user"
            case ambiguousUser = "ambiguous user"
            case notInGroup = "not in the required group"
            case emptyPassword = "empty password"
            case refusedByServer = "refused by the server"
        }
        fileprivate var base: Base

        public static let wrongPassword = Kind(base: .wrongPassword)
        /// The search found no entry.
        public static let unknownUser = Kind(base: .unknownUser)
        /// The search found more than one entry: nobody may bind.
        public static let ambiguousUser = Kind(base: .ambiguousUser)
        /// `security_group_dn` is set and the user is not a member.
        public static let notInGroup = Kind(base: .notInGroup)
        /// Refused before any server was asked.
        public static let emptyPassword = Kind(base: .emptyPassword)
        /// The server refused without saying why: an upstream RADIUS Access-Reject, or an LDAP
        /// bind answered with a code other than invalidCredentials (unwillingToPerform, ...).
        public static let refusedByServer = Kind(base: .refusedByServer)

        public var description: String { base.rawValue }
    }

    public var kind: Kind
    /// What happened and where (server, DN), never the password.
    public var diagnostic: String
    /// Attributes of an upstream Access-Reject that the device may see (Reply-Message).
    public var passThroughAttributes: [RADIUSAttribute]

    public init(_ kind: Kind, diagnostic: String, passThroughAttributes: [RADIUSAttribute] = []) {
        self.kind = kind
        self.diagnostic = diagnostic
        self.passThroughAttributes = passThroughAttributes
    }

    public var description: String { "\(kind): \(diagnostic)" }
}

/// An upstream Access-Challenge: the device shows the message and answers with the State.
public struct PrimaryChallenge: Sendable, Hashable {
    /// The upstream's State, returned in ``PrimaryRequest/upstreamState`` with the answer.
    public var state: [UInt8]
    /// The upstream's Reply-Message text (joined), shown to the user.
    public var message: String
    /// Other attributes of the challenge to pass to the device, filtered like an accept's.
    public var passThroughAttributes: [RADIUSAttribute]

    public init(state: [UInt8], message: String, passThroughAttributes: [RADIUSAttribute] = []) {
        self.state = state
        self.message = message
        self.passThroughAttributes = passThroughAttributes
    }
}
