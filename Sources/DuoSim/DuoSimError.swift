/// Why the simulator could not start or load its configuration.
///
/// A type (for decisions) plus a diagnostic (for the administrator), as `NIOSSHError` does.
public struct DuoSimError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case usersFile, configuration, tls, listen
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The users file is unreadable, not JSON, or does not follow the schema.
        public static let usersFile = Kind(.usersFile)
        /// A configuration value is invalid (integration keys, durations, ...).
        public static let configuration = Kind(.configuration)
        /// The certificate or key could not be loaded or generated.
        public static let tls = Kind(.tls)
        /// The listener could not be bound.
        public static let listen = Kind(.listen)

        public var description: String {
            switch base {
            case .usersFile: "users file"
            case .configuration: "configuration"
            case .tls: "TLS"
            case .listen: "listen"
            }
        }
    }

    public var kind: Kind
    /// What went wrong, naming the file, key or flag, and what would be valid.
    public var diagnostic: String

    public init(kind: Kind, diagnostic: String) {
        self.kind = kind
        self.diagnostic = diagnostic
    }

    public var description: String { diagnostic }

    @inline(never) static func usersFile(_ diagnostic: String) -> Self { Self(kind: .usersFile, diagnostic: diagnostic) }
    @inline(never) static func configuration(_ diagnostic: String) -> Self { Self(kind: .configuration, diagnostic: diagnostic) }
    @inline(never) static func tls(_ diagnostic: String) -> Self { Self(kind: .tls, diagnostic: diagnostic) }
    @inline(never) static func listen(_ diagnostic: String) -> Self { Self(kind: .listen, diagnostic: diagnostic) }
}
