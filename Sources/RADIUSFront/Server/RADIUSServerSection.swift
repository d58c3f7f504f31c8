import Policy
import RADIUSWire

/// One `[radius_server_*]` section as the RADIUS front serves it.
public struct RADIUSServerSection: Sendable {
    /// A `radius_ip_N` / `radius_secret_N` pair.
    public struct Client: Sendable, Hashable {
        public var network: ClientNetwork
        public var secret: [UInt8]

        public init(network: ClientNetwork, secret: [UInt8]) {
            self.network = network
            self.secret = secret
        }
    }

    public var name: String
    public var clients: [Client]
    /// `require_message_authenticator` (default true, BlastRADIUS CVE-2024-3596). When false, a
    /// request without Message-Authenticator is accepted unless it carries Proxy-State.
    public var requireMessageAuthenticator: Bool
    /// `client_ip_attr`: the attribute holding the user's address, sent to Duo as `ipaddr`.
    public var clientIPAttribute: RADIUSAttributeType
    /// `join_pending_push_window`: a login identical to one in progress (same device, user
    /// address, user and password) that arrives within this time of its start waits for that
    /// login's decision instead of sending a second push. Zero turns joining off.
    public var joinPendingWindow: Duration
    /// The `match_*` keys and `strip_realm` (``SectionRouter``); none by default.
    public var rules: RealmRules
    public var engine: PolicyEngine

    /// The default `join_pending_push_window`: about as long as devices resend a request.
    public static let defaultJoinPendingWindow: Duration = .seconds(30)

    public init(
        name: String, clients: [Client], requireMessageAuthenticator: Bool = true,
        clientIPAttribute: RADIUSAttributeType = .callingStationID, joinPendingWindow: Duration = defaultJoinPendingWindow,
        rules: RealmRules = RealmRules(), engine: PolicyEngine
    ) {
        self.name = name
        self.clients = clients
        self.requireMessageAuthenticator = requireMessageAuthenticator
        self.clientIPAttribute = clientIPAttribute
        self.joinPendingWindow = joinPendingWindow
        self.rules = rules
        self.engine = engine
    }
}
