import Policy
import Upstream

/// One `[ldap_server_auto]` section as the LDAP front serves it: a directory (`client=`, an
/// `[ad_client]`) in front of which binds are checked by Duo.
public struct LDAPAutoServerSection: Sendable {
    /// The section's name, realm rules and bind options.
    public var realm: LDAPAutoRealms.Realm
    /// Decides Duo-checked binds; its primary is replaced per bind by the bind relayed on the
    /// client's own upstream connection.
    public var engine: PolicyEngine
    /// Opens the upstream connections (one per client connection).
    public var directory: ADClient
    /// `network_timeout`: the deadline of connecting to the directory and of each relayed
    /// operation; the `[ad_client]`'s `timeout` when nil.
    public var networkTimeout: Duration?
    /// Entries and references (and their bytes) relayed per search; beyond them the search ends
    /// with sizeLimitExceeded, so one search cannot make the proxy buffer a whole directory.
    public var relayLimits: LDAPRelayLimits

    public var name: String { realm.section }

    public init(
        realm: LDAPAutoRealms.Realm, engine: PolicyEngine, directory: ADClient, networkTimeout: Duration? = nil,
        relayLimits: LDAPRelayLimits = LDAPRelayLimits()
    ) {
        self.realm = realm
        self.engine = engine
        self.directory = directory
        self.networkTimeout = networkTimeout
        self.relayLimits = relayLimits
    }
}
