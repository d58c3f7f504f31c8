import LDAPWire

/// What one connection of an LDAP listener may do, fixed when the listener starts.
public struct LDAPSessionConfiguration: Sendable, Hashable {
    /// How the connection is protected from its first byte.
    public enum Transport: Sendable, Hashable {
        /// Clear LDAP without TLS available: StartTLS is refused (no certificate is configured).
        case clear
        /// Clear LDAP where StartTLS is offered. Binds before StartTLS are refused with
        /// confidentialityRequired (RFC 4513 §6: a server may require confidentiality for binds),
        /// so neither a secret key nor a passcode crosses the network readable.
        case clearWithStartTLS
        /// LDAPS: TLS from the first byte.
        case ldaps
    }

    public var transport: Transport
    /// Before a successful bind only a bind, a root DSE read, StartTLS or WhoAmI make sense, all
    /// small: a peer that has proved nothing cannot make the server buffer more than this.
    public var limitsBeforeBind: LDAPLimits
    /// After a successful bind (searches with filters and attribute lists).
    public var limitsAfterBind: LDAPLimits

    public init(
        transport: Transport,
        limitsBeforeBind: LDAPLimits = LDAPSessionConfiguration.defaultLimitsBeforeBind,
        limitsAfterBind: LDAPLimits = LDAPSessionConfiguration.defaultLimitsAfterBind
    ) {
        self.transport = transport
        self.limitsBeforeBind = limitsBeforeBind
        self.limitsAfterBind = limitsAfterBind
    }

    /// 8 KiB PDUs, filters 8 deep with 32 components, 64 elements per list.
    public static let defaultLimitsBeforeBind = LDAPLimits(
        maximumPDUSize: 8 << 10, maximumDepth: 20, maximumFilterDepth: 8, maximumFilterComponents: 32, maximumElements: 64)
    /// 256 KiB PDUs and the LDAPWire defaults for the rest.
    public static let defaultLimitsAfterBind = LDAPLimits(maximumPDUSize: 256 << 10)
}
