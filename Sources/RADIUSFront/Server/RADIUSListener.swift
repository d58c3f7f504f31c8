import Logging
import Policy
import NIOCore
import NIOPosix
import RADIUSWire
import Synchronization

/// A UDP socket serving the RADIUS server sections that share one (interface, port).
///
/// The read loop only runs the gate (cheap, synchronous); each login runs in its own child task
/// and writes its reply when Policy has decided, so a push that takes a minute holds nothing but
/// its own task. The gate bounds how many run at once.
public final class RADIUSListener: Sendable {
    public typealias Datagram = AddressedEnvelope<ByteBuffer>

    private let channel: NIOAsyncChannel<Datagram, Datagram>
    private let gate: Mutex<RADIUSRequestGate>
    private let drops = Mutex(DropLog())
    private let metrics: RADIUSListenerMetrics
    private let processor: RADIUSLoginProcessor
    private let logger: Logger

    /// The bound address (with the port chosen when 0 was asked for).
    public let localAddress: SocketAddress

    private init(
        channel: NIOAsyncChannel<Datagram, Datagram>, gate: RADIUSRequestGate, processor: RADIUSLoginProcessor, logger: Logger,
        localAddress: SocketAddress
    ) {
        self.channel = channel
        self.gate = Mutex(gate)
        self.processor = processor
        self.logger = logger
        self.localAddress = localAddress
        self.metrics = RADIUSListenerMetrics(listener: "\(localAddress.ipAddress ?? "?"):\(localAddress.port ?? 0)")
    }

    /// The receive buffer asked of the kernel (capped by `net.core.rmem_max`): room for about
    /// 5,000 queued requests.
    public static let receiveBufferBytes = 4 << 20

    /// Binds the socket. `host` is an IPv4 or IPv6 address (`interface` of the sections).
    public static func bind(
        host: String, port: Int, sections: [RADIUSServerSection], limits: RADIUSRequestGate.Limits = .init(),
        challenges: ChallengeStates = ChallengeStates(), events: any AuthEventSink = DiscardingAuthEventSink(),
        logger: Logger = Logger(label: "twofold.radius"),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> RADIUSListener {
        let channel = try await DatagramBootstrap(group: group)
            // No SO_REUSEADDR: UDP has no TIME_WAIT to skip, and with it a second twofold could bind
            // the same port and take half of the requests.
            // RFC 2865 §3: packets are up to 4,096 octets; NIO's default datagram buffer is 2,048.
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: RADIUSPacket.maximumLength))
            // A VPN sends bursts (a gateway restart, a morning rush): the kernel's default 208 KiB
            // holds about 270 small datagrams, the rest are dropped before twofold sees them.
            .channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBufferBytes))
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<Datagram, Datagram>(wrappingChannelSynchronously: channel)
                }
            }
        guard let address = channel.channel.localAddress else { throw ChannelError.unknownLocalAddress }
        let granted = (try? await channel.channel.getOption(.socketOption(.so_rcvbuf)).get()) ?? 0
        if granted < receiveBufferBytes {
            logger.warning("the kernel limits this socket's receive buffer: bursts of requests may be dropped before twofold sees them", metadata: [
                "listener": "\(address)", "receive_buffer_bytes": "\(granted)", "wanted_bytes": "\(receiveBufferBytes)",
                "what_to_do": "raise net.core.rmem_max to at least \(receiveBufferBytes) (sysctl -w net.core.rmem_max=\(receiveBufferBytes))",
            ])
        }
        return RADIUSListener(
            channel: channel, gate: RADIUSRequestGate(sections: sections, limits: limits),
            processor: RADIUSLoginProcessor(sections: sections, challenges: challenges, events: events), logger: logger, localAddress: address)
    }

    /// Serves until the socket is closed (``close()``), then waits for the logins in progress.
    public func run() async throws {
        try await channel.executeThenClose { inbound, outbound in
            await withDiscardingTaskGroup { group in
                do {
                    for try await datagram in inbound {
                        guard let login = await handle(datagram, outbound) else { continue }
                        let remote = datagram.remoteAddress
                        group.addTask { await self.decide(login, replyTo: remote, outbound) }
                    }
                } catch {
                    logger.error("the RADIUS socket failed", metadata: ["listener": "\(localAddress)", "error": "\(error)"])
                }
            }
        }
    }

    /// Runs the gate for one datagram; answers what it can at once and returns a login to decide.
    private func handle(_ datagram: Datagram, _ outbound: NIOAsyncChannelOutboundWriter<Datagram>) async -> RADIUSRequestGate.PendingLogin? {
        guard let sourceText = datagram.remoteAddress.ipAddress, let source = IPAddress(sourceText), let port = datagram.remoteAddress.port else {
            return nil
        }
        let bytes = Array(datagram.data.readableBytesView)
        let (action, inFlight) = gate.withLock { gate in (gate.receive(bytes, from: source, port: port, now: .now), gate.loginsInFlight) }
        switch action {
        case .drop(let reason):
            metrics.drop(reason.kind)
            if let line = drops.withLock({ $0.record(reason, now: .now) }) {
                logger.warning("\(line)", metadata: ["listener": "\(localAddress)"])
            }
            return nil
        case .resend(let reply):
            metrics.resent.increment()
            try? await outbound.write(Datagram(remoteAddress: datagram.remoteAddress, data: ByteBuffer(bytes: reply)))
            return nil
        case .reply(let reply):
            try? await outbound.write(Datagram(remoteAddress: datagram.remoteAddress, data: ByteBuffer(bytes: reply)))
            return nil
        case .login(let login):
            metrics.inFlight.record(inFlight)
            return login
        }
    }

    private func decide(_ login: RADIUSRequestGate.PendingLogin, replyTo remote: SocketAddress, _ outbound: NIOAsyncChannelOutboundWriter<Datagram>) async {
        let outcome = await processor.process(login)
        log(outcome, login)
        // Sent before the login counts as complete: a graceful stop closes the socket once no login
        // is in flight, and must not close it under a reply not yet written.
        try? await outbound.write(Datagram(remoteAddress: remote, data: ByteBuffer(bytes: outcome.reply)))
        complete(login, reply: outcome.reply)
    }

    // Synchronous and not inlined: their locals stay out of the login task's frame, which lives as
    // long as the login (see PolicyEngine).
    @inline(never)
    private func log(_ outcome: RADIUSLoginProcessor.Outcome, _ login: RADIUSRequestGate.PendingLogin) {
        if let refusal = outcome.refusal {
            logger.info("request refused", metadata: ["client": "\(login.key.source)", "reason": "\(refusal)"])
        } else if outcome.joined {
            logger.info(
                "login answered with the decision of an identical one in progress (join_pending_push_window)",
                metadata: ["client": "\(login.key.source)", "id": "\(login.packet.identifier)", "code": "\(outcome.code)"])
        }
    }

    @inline(never)
    private func complete(_ login: RADIUSRequestGate.PendingLogin, reply: [UInt8]) {
        let inFlight = gate.withLock { gate in
            gate.complete(login.key, reply: reply, now: .now)
            return gate.loginsInFlight
        }
        metrics.inFlight.record(inFlight)
    }

    /// Datagrams dropped so far, by kind.
    public var dropped: [RADIUSRequestGate.DropReason.Kind: Int] { gate.withLock { $0.dropped } }

    /// Logins being decided right now.
    public var loginsInFlight: Int { gate.withLock { $0.loginsInFlight } }

    /// Graceful stop: new logins are refused at once, the ones in progress get up to `grace` to
    /// answer (a pending push included), then the socket closes and ``run()`` returns.
    public func shutdown(grace: Duration) async {
        gate.withLock { $0.accepting = false }
        let deadline = ContinuousClock.now + grace
        while loginsInFlight > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        let left = loginsInFlight
        if left > 0 {
            logger.warning("closing with logins still in progress", metadata: ["listener": "\(localAddress)", "logins": "\(left)"])
        }
        await close()
    }

    /// Closes the socket now; ``run()`` returns once the logins in progress have ended.
    public func close() async {
        try? await channel.channel.close()
    }
}
