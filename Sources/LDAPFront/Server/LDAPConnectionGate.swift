/// Admits TCP connections under a global cap and a cap per client address, and counts the user
/// binds with Policy so that shutdown can wait for them. Pure: the listener holds it under a lock.
public struct LDAPConnectionGate: Sendable {
    public struct Limits: Sendable, Hashable {
        /// Open connections in all.
        public var connections: Int
        /// Open connections from one address. A VPN concentrator is one address for all its users and
        /// keeps a pool of connections; a stranger scanning the port is one address too.
        public var connectionsPerAddress: Int

        public init(connections: Int = 4_096, connectionsPerAddress: Int = 512) {
            self.connections = connections
            self.connectionsPerAddress = connectionsPerAddress
        }
    }

    /// Why a connection was closed at once.
    public enum Refusal: Sendable, Hashable, CustomStringConvertible {
        case shuttingDown
        case tooManyConnections(limit: Int)
        case tooManyFromAddress(String, limit: Int)

        /// The refusal as a metric label.
        public var label: String {
            switch self {
            case .shuttingDown: "shutting_down"
            case .tooManyConnections: "max_connections"
            case .tooManyFromAddress: "max_connections_per_address"
            }
        }

        public var description: String {
            switch self {
            case .shuttingDown: "shutting down"
            case .tooManyConnections(let limit): "\(limit) connections are open (the limit)"
            case .tooManyFromAddress(let address, let limit): "\(address) has \(limit) connections open (the per-address limit)"
            }
        }
    }

    public let limits: Limits
    private var open = 0
    private var openByAddress: [String: Int] = [:]
    /// User binds being decided by Policy.
    public private(set) var bindsInFlight = 0
    /// False once shutdown began.
    public var accepting = true

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    public var openConnections: Int { open }

    /// Admits a connection from `address`, or says why not. Every admitted one must be ``release(_:)``d.
    public mutating func admit(_ address: String) -> Refusal? {
        guard accepting else { return .shuttingDown }
        guard open < limits.connections else { return .tooManyConnections(limit: limits.connections) }
        let fromAddress = openByAddress[address, default: 0]
        guard fromAddress < limits.connectionsPerAddress else {
            return .tooManyFromAddress(address, limit: limits.connectionsPerAddress)
        }
        open += 1
        openByAddress[address] = fromAddress + 1
        return nil
    }

    public mutating func release(_ address: String) {
        open -= 1
        let left = openByAddress[address, default: 1] - 1
        openByAddress[address] = left > 0 ? left : nil
    }

    public mutating func bindStarted() { bindsInFlight += 1 }
    public mutating func bindFinished() { bindsInFlight -= 1 }
}
