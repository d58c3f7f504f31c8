import LDAPWire
import Logging
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// A TCP listener serving the `[ldap_server_duo_only]` and `[ldap_server_auto]` sections that share
/// one (interface, port):
/// clear LDAP (with StartTLS when a certificate is configured) or LDAPS.
///
/// Each accepted connection passes the gate (global and per-address caps) and gets its own
/// ``LDAPSessionHandler``. Graceful shutdown stops accepting, gives binds with Policy time to be
/// answered, then closes every connection.
public final class LDAPListener: Sendable {
    /// The gate, shared by the listener and its connections (a pthread lock, which ThreadSanitizer
    /// sees, as in the LDAP client's pool).
    typealias SharedGate = NIOLockedValueBox<LDAPConnectionGate>

    /// The listener's own tunables (the section options are in ``LDAPServerSection``).
    public struct Options: Sendable {
        public var timeouts: LDAPTimeouts
        public var limits: LDAPConnectionGate.Limits
        /// Output buffered for one connection before it stops being read (slow readers).
        public var writeBufferHighWaterMark: Int

        public init(timeouts: LDAPTimeouts = LDAPTimeouts(), limits: LDAPConnectionGate.Limits = .init(), writeBufferHighWaterMark: Int = 64 << 10) {
            self.timeouts = timeouts
            self.limits = limits
            self.writeBufferHighWaterMark = writeBufferHighWaterMark
        }
    }

    private let serverChannel: any Channel
    private let gate: SharedGate
    private let connections: NIOLockedValueBox<[ObjectIdentifier: any Channel]>
    private let logger: Logger
    /// The bound address (with the port chosen when 0 was asked for).
    public let localAddress: SocketAddress
    public let transport: LDAPSessionConfiguration.Transport

    private init(
        serverChannel: any Channel, gate: SharedGate, connections: NIOLockedValueBox<[ObjectIdentifier: any Channel]>, logger: Logger,
        localAddress: SocketAddress, transport: LDAPSessionConfiguration.Transport
    ) {
        self.serverChannel = serverChannel
        self.gate = gate
        self.connections = connections
        self.logger = logger
        self.localAddress = localAddress
        self.transport = transport
    }

    /// Binds the socket. With `tlsContext`, `ldaps` decides whether TLS starts at the first byte or
    /// is offered through StartTLS; without one the listener is clear LDAP only.
    public static func bind(
        host: String, port: Int, sections: [LDAPServerSection], autoSections: [LDAPAutoServerSection] = [],
        tlsContext: NIOSSLContext?, ldaps: Bool,
        options: Options = Options(), logger: Logger = Logger(label: "twofold.ldap"),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> LDAPListener {
        let transport: LDAPSessionConfiguration.Transport
        switch (tlsContext, ldaps) {
        case (nil, true): throw LDAPListenerError.tls("LDAPS needs a certificate and key")
        case (nil, false): transport = .clear
        case (.some, true): transport = .ldaps
        case (.some, false): transport = .clearWithStartTLS
        }
        let directory = LDAPDuoOnlyDirectory(integrations: sections.map { ($0.name, $0.integrationKey, $0.secretKey) })
        let realms = LDAPAutoRealms(autoSections.map(\.realm))
        let configuration = LDAPSessionConfiguration(transport: transport)
        let gate = SharedGate(LDAPConnectionGate(limits: options.limits))
        let connections = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])
        let refusals = NIOLockedValueBox(RefusalLog())
        let listenerLabel = "\(host):\(port)"
        let openGauge = Gauge(label: "twofold_ldap_connections_open", dimensions: [("listener", listenerLabel)])

        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(
                .writeBufferWaterMark,
                value: .init(low: options.writeBufferHighWaterMark / 2, high: options.writeBufferHighWaterMark))
            .childChannelInitializer { channel in
                let address = channel.remoteAddress?.ipAddress ?? "unknown"
                let (refusal, open) = gate.withLockedValue { gate in (gate.admit(address), gate.openConnections) }
                openGauge.record(open)
                if let refusal {
                    Counter(label: "twofold_ldap_connections_refused_total", dimensions: [("listener", listenerLabel), ("reason", refusal.label)])
                        .increment()
                    if let line = refusals.withLockedValue({ $0.record(refusal, now: .now) }) {
                        logger.warning("\(line)", metadata: ["listener": "\(channel.localAddress?.description ?? "-")"])
                    }
                    return channel.close()
                }
                connections.withLockedValue { $0[ObjectIdentifier(channel)] = channel }
                channel.closeFuture.whenComplete { _ in
                    openGauge.record(gate.withLockedValue { gate in
                        gate.release(address)
                        return gate.openConnections
                    })
                    _ = connections.withLockedValue { $0.removeValue(forKey: ObjectIdentifier(channel)) }
                }
                return channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if transport == .ldaps, let tlsContext {
                        try pipeline.addHandler(NIOSSLServerHandler(context: tlsContext))
                    }
                    try pipeline.addHandler(
                        LDAPSessionHandler(
                            stateMachine: LDAPSessionStateMachine(configuration: configuration, directory: directory, realms: realms),
                            sections: sections, autoSections: autoSections, timeouts: options.timeouts, tlsContext: tlsContext, gate: gate, logger: logger))
                }
            }
        let channel = try await bootstrap.bind(host: host, port: port).get()
        guard let address = channel.localAddress else { throw ChannelError.unknownLocalAddress }
        return LDAPListener(
            serverChannel: channel, gate: gate, connections: connections, logger: logger, localAddress: address, transport: transport)
    }

    /// Connections open now.
    public var openConnections: Int { gate.withLockedValue { $0.openConnections } }

    /// User binds being decided by Policy now, and operations relayed to an `[ldap_server_auto]`
    /// directory (a graceful stop waits for both).
    public var bindsInFlight: Int { gate.withLockedValue { $0.bindsInFlight } }

    /// Graceful stop: no new connections, binds with Policy and relayed operations get up to
    /// `grace` to be answered (a pending push included), then every connection is closed.
    public func shutdown(grace: Duration) async {
        gate.withLockedValue { $0.accepting = false }
        try? await serverChannel.close()
        let deadline = ContinuousClock.now + grace
        while bindsInFlight > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        let left = bindsInFlight
        if left > 0 {
            logger.warning("closing with binds still in progress", metadata: ["listener": "\(localAddress)", "binds": "\(left)"])
        }
        // A decided bind's answer is written and flushed before its count drops, so closing now
        // loses no answer.
        let open = connections.withLockedValue { Array($0.values) }
        for channel in open { try? await channel.close() }
    }
}

/// Why a listener could not be built.
public enum LDAPListenerError: Error, CustomStringConvertible {
    case tls(String)

    public var description: String {
        switch self {
        case .tls(let message): message
        }
    }
}

/// Logs refused connections at a limited rate, as the RADIUS front's drop log does.
struct RefusalLog: Sendable {
    let interval: Duration = .seconds(10)
    private var lastLogged: ContinuousClock.Instant?
    private var suppressed = 0

    mutating func record(_ refusal: LDAPConnectionGate.Refusal, now: ContinuousClock.Instant) -> String? {
        if let lastLogged, lastLogged.duration(to: now) < interval {
            suppressed += 1
            return nil
        }
        lastLogged = now
        defer { suppressed = 0 }
        return suppressed == 0
            ? "LDAP connection refused: \(refusal)"
            : "LDAP connection refused: \(refusal) (and \(suppressed) more since the last line)"
    }
}
