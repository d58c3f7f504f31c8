/// Why an LDAP client connection could not complete an operation: a kind to decide on (skip to the
/// next host, or not) and a diagnostic that names the server (`host:port`) and the step.
///
/// A server's *answer* (invalidCredentials, noSuchObject, ...) is no error here: it comes back as an
/// `LDAPResult`, and the caller decides what it means.
public struct LDAPClientError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case connectFailed = "connect failed"
            case tlsFailed = "TLS failed"
            case timedOut = "timed out"
            case connectionClosed = "connection closed"
            case protocolViolation = "protocol violation"
            case serviceBindRefused = "service bind refused"
        }
        fileprivate var base: Base

        /// TCP could not connect (refused, unreachable, name not resolved).
        public static let connectFailed = Kind(base: .connectFailed)
        /// The TLS handshake failed (untrusted certificate, wrong name, no common protocol), or
        /// StartTLS was refused.
        public static let tlsFailed = Kind(base: .tlsFailed)
        /// Connecting, the handshake or an operation took longer than the configured timeout.
        public static let timedOut = Kind(base: .timedOut)
        /// The server closed the connection (or sent a Notice of Disconnection).
        public static let connectionClosed = Kind(base: .connectionClosed)
        /// The server sent something that is not the LDAP this client expects (an undecodable PDU,
        /// an unknown messageID, the wrong response type, bytes in the clear after StartTLS).
        public static let protocolViolation = Kind(base: .protocolViolation)
        /// The service account's bind was answered with something other than success.
        public static let serviceBindRefused = Kind(base: .serviceBindRefused)

        public var description: String { base.rawValue }
    }

    public var kind: Kind
    /// What happened, where (`host:port`, DN) and, where it helps, what to do. Never a password.
    public var diagnostic: String

    public init(_ kind: Kind, diagnostic: String) {
        self.kind = kind
        self.diagnostic = diagnostic
    }

    public var description: String { diagnostic }

    @inline(never)
    static func connectFailed(_ endpoint: String, _ reason: String) -> Self {
        Self(.connectFailed, diagnostic: "\(endpoint): cannot connect: \(reason)")
    }

    @inline(never)
    static func tlsFailed(_ endpoint: String, _ reason: String) -> Self {
        Self(.tlsFailed, diagnostic: "\(endpoint): TLS failed: \(reason)")
    }

    @inline(never)
    static func timedOut(_ endpoint: String, _ step: String, after timeout: Duration) -> Self {
        Self(.timedOut, diagnostic: "\(endpoint): no answer to \(step) within \(timeout)")
    }

    @inline(never)
    static func connectionClosed(_ endpoint: String, _ detail: String) -> Self {
        Self(.connectionClosed, diagnostic: "\(endpoint): connection closed \(detail)")
    }

    @inline(never)
    static func protocolViolation(_ endpoint: String, _ detail: String) -> Self {
        Self(.protocolViolation, diagnostic: "\(endpoint): protocol violation: \(detail)")
    }
}
