import RADIUSWire

/// One login as a front hands it to Policy: parsed once, used by every step.
///
/// A class, immutable: every async step of a login passes it down (front -> engine -> primary ->
/// Duo), and a login waiting for a push keeps each of those frames for as long as the user takes.
/// A reference is 8 bytes in each; the struct was 145.
public final class LoginRequest: Sendable {
    /// Where the login came from, protocol-wise.
    public enum Context: Sendable {
        /// A RADIUS Access-Request; the attributes an upstream RADIUS server may see.
        case radius(forwardedAttributes: [RADIUSAttribute])
        /// An LDAP simple bind with this DN.
        case ldap(bindDN: String)
    }

    public let identity: LoginIdentity
    /// The password field as sent: a password, `password,factor`, or (duo-only) the factor.
    public let password: Password
    /// The address of the user's machine (`client_ip_attr`), for Duo's `ipaddr`, limits and
    /// events; nil when the device did not send one.
    public let clientAddress: String?
    public let context: Context

    public init(identity: LoginIdentity, password: Password, clientAddress: String? = nil, context: Context = .radius(forwardedAttributes: [])) {
        self.identity = identity
        self.password = password
        self.clientAddress = clientAddress
        self.context = context
    }

    var forwardedAttributes: [RADIUSAttribute] {
        switch context {
        case .radius(let attributes): attributes
        case .ldap: []
        }
    }

    var bindDN: String? {
        switch context {
        case .radius: nil
        case .ldap(let bindDN): bindDN
        }
    }
}

/// The clocks Policy reads: monotonic for limits, wall-clock for auth events. Tests pass their own.
public struct PolicyClock: Sendable {
    public var monotonic: @Sendable () -> ContinuousClock.Instant
    /// Seconds since 1970.
    public var wall: @Sendable () -> Double

    public init(monotonic: @escaping @Sendable () -> ContinuousClock.Instant, wall: @escaping @Sendable () -> Double) {
        self.monotonic = monotonic
        self.wall = wall
    }
}
