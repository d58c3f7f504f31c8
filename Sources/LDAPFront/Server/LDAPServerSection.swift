import Policy

/// One `[ldap_server_duo_only]` section as the LDAP front serves it.
public struct LDAPServerSection: Sendable {
    public var name: String
    public var integrationKey: String
    /// The secret key: the password of the integration bind. Never logged.
    public var secretKey: String
    /// Decides user binds (duo-only mode: the password is the factor).
    public var engine: PolicyEngine

    public init(name: String, integrationKey: String, secretKey: String, engine: PolicyEngine) {
        self.name = name
        self.integrationKey = integrationKey
        self.secretKey = secretKey
        self.engine = engine
    }
}

/// The deadlines of a connection.
public struct LDAPTimeouts: Sendable, Hashable {
    /// TLS handshake of LDAPS or after StartTLS.
    public var tlsHandshake: Duration
    /// From the connection (or its LDAPS handshake) to the first request.
    public var firstPDU: Duration
    /// `idle_timeout`: no request while nothing is pending.
    public var idle: Duration

    public init(tlsHandshake: Duration = .seconds(10), firstPDU: Duration = .seconds(10), idle: Duration = .seconds(300)) {
        self.tlsHandshake = tlsHandshake
        self.firstPDU = firstPDU
        self.idle = idle
    }

    func duration(of deadline: LDAPSessionStateMachine.Deadline) -> Duration {
        switch deadline {
        case .tlsHandshake: tlsHandshake
        case .firstPDU: firstPDU
        case .idle: idle
        }
    }
}
