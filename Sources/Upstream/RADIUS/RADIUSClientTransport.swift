import Logging
import NIOCore
import NIOPosix
import RADIUSWire
import Synchronization

/// Counters of a RADIUS client since it started, for metrics and tests.
public struct RADIUSClientStatistics: Sendable, Hashable {
    /// Requests sent for the first time (one per login that reached the wire).
    public var requests = 0
    /// Identical packets sent again after `retry_wait` without an answer.
    public var retransmissions = 0
    /// Moves to the next host after one stayed silent through all retries.
    public var failovers = 0
    /// Requests no host answered.
    public var unanswered = 0
    /// Authentic replies matched to a pending request.
    public var replies = 0
    /// Datagrams dropped, by reason; never matched to a request.
    public var dropped: [RADIUSReplyDropReason: Int] = [:]
    /// Source sockets opened (each carries up to 256 pending requests).
    public var sourceSockets = 0

    public init() {}

    public func dropped(_ reason: RADIUSReplyDropReason) -> Int { dropped[reason, default: 0] }
    public var totalDropped: Int { dropped.values.reduce(0, +) }
}

/// The UDP side of `[radius_client]`: source sockets, the pending-request table, retransmission
/// timers and reply matching, all confined to one event loop.
///
/// Each request gets a (source socket, Identifier) slot from ``RADIUSIdentifierAllocator``; when
/// all 256 identifiers of every open socket are pending, another socket is opened. A datagram is
/// matched by the socket it arrived on and its Identifier, and then must pass
/// ``RADIUSReplyValidator`` against that request (source, Response Authenticator,
/// Message-Authenticator); otherwise it is dropped, counted and logged (rate-limited), and the
/// request keeps waiting for its real reply.
final class RADIUSClientTransport: Sendable {
    /// A configured server and the address it resolved to.
    struct Endpoint: Sendable {
        var server: RADIUSClientConfiguration.Server
        var address: SocketAddress
    }

    /// How a request ended.
    enum Completion: Sendable {
        case reply(RADIUSPacket, server: RADIUSClientConfiguration.Server)
        case failure(String)
    }

    static let defaultMaximumSockets = RADIUSClient.defaultMaximumSourceSockets
    /// At most one log line per drop reason in this interval; the others are counted and summed up.
    static let dropLogInterval = TimeAmount.seconds(10)
    /// RFC 2865 §3: packets are at most 4,096 octets; NIO's default datagram buffer is 2,048.
    static let receiveBufferSize = RADIUSPacket.maximumLength

    let eventLoop: any EventLoop
    let endpoints: [Endpoint]
    private let bindHost: String
    private let validator: RADIUSReplyValidator
    private let secret: RADIUSSharedSecret
    private let retries: Int
    private let retryWait: TimeAmount
    private let logger: Logger
    private let state: NIOLoopBoundBox<LoopState>
    private let counters = Mutex(RADIUSClientStatistics())
    private let tokens = Atomic<UInt64>(0)

    private struct PendingRequest {
        var token: UInt64
        var bytes: [UInt8]
        var authenticator: RADIUSAuthenticator
        var machine: RADIUSRetransmissionStateMachine
        var timer: Scheduled<Void>?
        var continuation: CheckedContinuation<Completion, Never>
    }

    private enum SourceSocket {
        case opening
        case open(any Channel)
        case failed(String)
    }

    /// Everything mutable, touched only on `eventLoop`.
    private final class LoopState {
        var allocator: RADIUSIdentifierAllocator
        var sockets: [SourceSocket] = []
        var pending: [RADIUSRequestSlot: PendingRequest] = [:]
        var slotByToken: [UInt64: RADIUSRequestSlot] = [:]
        var isShutDown = false
        var logLimits: [String: RADIUSLogRateLimit] = [:]

        init(maximumSockets: Int) {
            allocator = RADIUSIdentifierAllocator(maximumSockets: maximumSockets)
        }
    }

    private init(
        eventLoop: any EventLoop, endpoints: [Endpoint], bindHost: String,
        configuration: RADIUSClientConfiguration, maximumSockets: Int, logger: Logger
    ) {
        self.eventLoop = eventLoop
        self.endpoints = endpoints
        self.bindHost = bindHost
        self.secret = configuration.secret
        self.validator = RADIUSReplyValidator(
            secret: configuration.secret.bytes, requireMessageAuthenticator: configuration.requireMessageAuthenticator)
        self.retries = configuration.retries
        self.retryWait = TimeAmount(configuration.retryWait)
        self.logger = logger
        self.state = .makeBoxSendingValue(LoopState(maximumSockets: maximumSockets), eventLoop: eventLoop)
    }

    /// Resolves every server (off the event loop, on NIO's thread pool), then opens the first
    /// source socket: on the loopback address when every server is on loopback, else on the
    /// wildcard address of the servers' family.
    static func start(
        configuration: RADIUSClientConfiguration,
        eventLoop: any EventLoop,
        maximumSockets: Int = defaultMaximumSockets,
        logger: Logger
    ) async throws(RADIUSClientStartError) -> RADIUSClientTransport {
        var endpoints: [Endpoint] = []
        for (index, server) in configuration.servers.enumerated() {
            let address: SocketAddress
            do {
                address = try await NIOThreadPool.singleton.runIfActive {
                    try SocketAddress.makeAddressResolvingHost(server.host, port: server.port)
                }
            } catch {
                throw RADIUSClientStartError(
                    key: RADIUSClientConfiguration.key("host", index),
                    "\(server) could not be resolved (\(error)); check the name or use an IP address")
            }
            endpoints.append(Endpoint(server: server, address: address))
        }
        let families = Set(endpoints.map { $0.address.protocol.rawValue })
        guard families.count == 1, let first = endpoints.first else {
            let listing = endpoints.map { "\($0.server) is \($0.address.protocol == .inet6 ? "IPv6" : "IPv4")" }
            throw RADIUSClientStartError(
                key: "host",
                "the servers mix IPv4 and IPv6 (\(listing.joined(separator: ", "))); twofold sends from one socket family, so list servers of one family")
        }
        let ipv6 = first.address.protocol == .inet6
        let loopback = endpoints.allSatisfy { Self.isLoopback($0.address) }
        let bindHost = loopback ? (ipv6 ? "::1" : "127.0.0.1") : (ipv6 ? "::" : "0.0.0.0")
        let transport = RADIUSClientTransport(
            eventLoop: eventLoop, endpoints: endpoints, bindHost: bindHost, configuration: configuration,
            maximumSockets: maximumSockets, logger: logger)
        do {
            let channel = try await transport.bind(socket: 0).get()
            try await eventLoop.submit {
                let loop = transport.state.value
                if loop.isShutDown {
                    channel.close(promise: nil)
                } else {
                    loop.sockets = [.open(channel)]
                }
            }.get()
        } catch {
            throw RADIUSClientStartError(key: "host", "no UDP socket could be opened on \(bindHost) (\(error))")
        }
        transport.counters.withLock { $0.sourceSockets = 1 }
        return transport
    }

    var statistics: RADIUSClientStatistics { counters.withLock { $0 } }

    /// Sends `packet` (unsigned, any identifier) and waits until a host answers it authentically or
    /// every host stayed silent. Cancelling the task abandons the request.
    func send(_ packet: RADIUSPacket) async -> Completion {
        let token = tokens.add(1, ordering: .relaxed).newValue
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Completion, Never>) in
                eventLoop.execute { self.begin(token: token, packet: packet, continuation: continuation) }
            }
        } onCancel: {
            eventLoop.execute { self.abandon(token: token) }
        }
    }

    /// Fails every pending request and closes every socket.
    func shutdown() async {
        let closing: EventLoopFuture<Void> = eventLoop.flatSubmit {
            let loop = self.state.value
            loop.isShutDown = true
            for slot in Array(loop.pending.keys) {
                self.finish(slot, .failure("the RADIUS client was shut down before \(self.describeServers()) answered"))
            }
            let channels = loop.sockets.compactMap { socket -> (any Channel)? in
                if case .open(let channel) = socket { return channel }
                return nil
            }
            loop.sockets = []
            return EventLoopFuture.andAllComplete(channels.map { $0.close() }, on: self.eventLoop)
        }
        try? await closing.get()
    }

    // MARK: - On the event loop

    private func begin(token: UInt64, packet: RADIUSPacket, continuation: CheckedContinuation<Completion, Never>) {
        let loop = state.value
        guard !loop.isShutDown else {
            continuation.resume(returning: .failure("the RADIUS client is shut down"))
            return
        }
        let slot: RADIUSRequestSlot
        switch loop.allocator.allocate() {
        case .slot(let taken), .slotOnNewSocket(let taken):
            slot = taken
        case .exhausted:
            let limit = loop.allocator.maximumSockets * RADIUSIdentifierAllocator.identifiersPerSocket
            continuation.resume(
                returning: .failure(
                    "\(limit) requests are already pending toward \(describeServers()); the upstream is too slow for this load"))
            return
        }
        var signed = packet
        signed.identifier = slot.identifier
        let bytes: [UInt8]
        do throws(RADIUSWireError) {
            bytes = try signed.encodeRequest(secret: secret.bytes)
        } catch {
            loop.allocator.release(slot)
            continuation.resume(returning: .failure("the Access-Request could not be encoded: \(error.diagnostic)"))
            return
        }
        loop.pending[slot] = PendingRequest(
            token: token, bytes: bytes, authenticator: packet.authenticator,
            machine: RADIUSRetransmissionStateMachine(
                serverCount: endpoints.count, retries: retries, retryWait: retryWait),
            timer: nil, continuation: continuation)
        loop.slotByToken[token] = slot

        if slot.socket >= loop.sockets.count {
            openSocket(slot.socket)
            return  // started once the socket is open
        }
        switch loop.sockets[slot.socket] {
        case .open:
            startRequest(slot)
        case .opening:
            break
        case .failed:
            // The last attempt failed (descriptors exhausted, say): this request tries again.
            openSocket(slot.socket)
        }
    }

    private func startRequest(_ slot: RADIUSRequestSlot) {
        let loop = state.value
        guard var request = loop.pending[slot] else { return }
        let action = request.machine.start(now: .now())
        loop.pending[slot] = request
        counters.withLock { $0.requests += 1 }
        perform(action, for: slot)
    }

    private func perform(_ action: RADIUSRetransmissionStateMachine.Action, for slot: RADIUSRequestSlot) {
        let loop = state.value
        switch action {
        case .none:
            return
        case .send(let server, let retransmission, let timeoutAt):
            guard var request = loop.pending[slot] else { return }
            guard loop.sockets.indices.contains(slot.socket), case .open(let channel) = loop.sockets[slot.socket] else {
                finish(slot, .failure("source socket \(slot.socket) is not open"))
                return
            }
            if retransmission {
                counters.withLock { $0.retransmissions += 1 }
            } else if server > 0 {
                counters.withLock { $0.failovers += 1 }
                logger.debug(
                    "RADIUS server silent, trying the next",
                    metadata: ["silent": "\(endpoints[server - 1].server)", "next": "\(endpoints[server].server)"])
            }
            let envelope = AddressedEnvelope(remoteAddress: endpoints[server].address, data: ByteBuffer(bytes: request.bytes))
            channel.writeAndFlush(envelope, promise: nil)
            let token = request.token
            request.timer = eventLoop.scheduleTask(deadline: timeoutAt) { self.timerFired(slot, token: token) }
            loop.pending[slot] = request
        case .giveUp(let transmissions):
            counters.withLock { $0.unanswered += 1 }
            let silent = zip(endpoints, transmissions).map { endpoint, sent in
                "\(endpoint.server) (\(sent) \(sent == 1 ? "transmission" : "transmissions"), retry_wait \(retryWait.secondsText))"
            }
            let diagnostic = "no RADIUS server answered: \(silent.joined(separator: ", "))"
            logRateLimited("all-silent", level: .warning, diagnostic)
            finish(slot, .failure(diagnostic))
        }
    }

    private func timerFired(_ slot: RADIUSRequestSlot, token: UInt64) {
        let loop = state.value
        guard var request = loop.pending[slot], request.token == token else { return }
        request.timer = nil
        let action = request.machine.timerFired(now: .now())
        loop.pending[slot] = request
        perform(action, for: slot)
    }

    fileprivate func received(_ envelope: AddressedEnvelope<ByteBuffer>, socket: Int) {
        let loop = state.value
        let datagram = Array(envelope.data.readableBytesView)
        guard datagram.count >= RADIUSPacket.headerLength else {
            drop(.malformed, "from \(envelope.remoteAddress.endpointDescription): \(datagram.count) octets, shorter than a RADIUS header")
            return
        }
        let slot = RADIUSRequestSlot(socket: socket, identifier: datagram[1])
        guard let request = loop.pending[slot], let server = request.machine.currentServer else {
            drop(.unknownIdentifier, "from \(envelope.remoteAddress.endpointDescription): no request is pending with identifier \(datagram[1]) on source socket \(socket)")
            return
        }
        let expectation = RADIUSReplyValidator.Expectation(
            source: endpoints[server].address, identifier: slot.identifier, requestAuthenticator: request.authenticator)
        switch validator.validate(datagram, from: envelope.remoteAddress, expecting: expectation) {
        case .drop(let reason, let diagnostic):
            drop(reason, diagnostic)
        case .reply(let packet):
            guard var matched = loop.pending[slot] else { return }
            let wasWaiting = matched.machine.replyAccepted()
            loop.pending[slot] = matched
            guard wasWaiting else { return }
            counters.withLock { $0.replies += 1 }
            finish(slot, .reply(packet, server: endpoints[server].server))
        }
    }

    /// Ends a request: its timer is cancelled, its slot freed, its caller resumed.
    private func finish(_ slot: RADIUSRequestSlot, _ completion: Completion) {
        let loop = state.value
        guard var request = loop.pending.removeValue(forKey: slot) else { return }
        request.timer?.cancel()
        request.machine.cancel()
        loop.allocator.release(slot)
        loop.slotByToken[request.token] = nil
        request.continuation.resume(returning: completion)
    }

    private func abandon(token: UInt64) {
        let loop = state.value
        guard let slot = loop.slotByToken[token] else { return }
        finish(slot, .failure("the login was abandoned before \(describeServers()) answered"))
    }

    private func openSocket(_ index: Int) {
        let loop = state.value
        precondition(index <= loop.sockets.count, "sockets are opened in order")
        if index == loop.sockets.count {
            loop.sockets.append(.opening)
        } else {
            loop.sockets[index] = .opening
        }
        bind(socket: index).whenComplete { result in
            let loop = self.state.value
            switch result {
            case .success(let channel):
                guard !loop.isShutDown, index < loop.sockets.count else {
                    channel.close(promise: nil)
                    return
                }
                loop.sockets[index] = .open(channel)
                self.counters.withLock { $0.sourceSockets += 1 }
                self.logger.debug(
                    "RADIUS client opened another source socket",
                    metadata: ["socket": "\(index)", "port": "\(channel.localAddress?.port ?? 0)"])
                for slot in loop.pending.keys where slot.socket == index { self.startRequest(slot) }
            case .failure(let error):
                guard index < loop.sockets.count else { return }
                let reason = "no further UDP source socket could be opened on \(self.bindHost) (\(error))"
                loop.sockets[index] = .failed(reason)
                self.logRateLimited("socket", level: .error, reason)
                for slot in Array(loop.pending.keys) where slot.socket == index { self.finish(slot, .failure(reason)) }
            }
        }
    }

    private func bind(socket index: Int) -> EventLoopFuture<any Channel> {
        DatagramBootstrap(group: eventLoop)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: Self.receiveBufferSize))
            // Replies to many pending requests can arrive at once (pushes answered together).
            .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        RADIUSClientChannelHandler(transport: self, socket: index))
                }
            }
            .bind(host: bindHost, port: 0)
    }

    private func drop(_ reason: RADIUSReplyDropReason, _ diagnostic: String) {
        counters.withLock { $0.dropped[reason, default: 0] += 1 }
        logRateLimited("drop \(reason)", level: .warning, "RADIUS reply dropped (\(reason)): \(diagnostic)")
    }

    fileprivate func socketError(_ error: any Error, socket: Int) {
        logRateLimited("socket error", level: .warning, "RADIUS client source socket \(socket): \(error)")
    }

    private func logRateLimited(_ key: String, level: Logger.Level, _ message: String) {
        let loop = state.value
        var limit = loop.logLimits[key] ?? RADIUSLogRateLimit(interval: Self.dropLogInterval)
        let decision = limit.record(now: .now())
        loop.logLimits[key] = limit
        guard let suppressed = decision else { return }
        var metadata: Logger.Metadata = ["client": "radius_client"]
        if suppressed > 0 { metadata["suppressed"] = "\(suppressed)" }
        logger.log(level: level, "\(message)", metadata: metadata)
    }

    private func describeServers() -> String {
        endpoints.map { "\($0.server)" }.joined(separator: ", ")
    }

    private static func isLoopback(_ address: SocketAddress) -> Bool {
        guard let ip = address.ipAddress else { return false }
        return ip.hasPrefix("127.") || ip == "::1"
    }
}

/// Why a RADIUS client could not start: the key concerned and what to do.
public struct RADIUSClientStartError: Error, Hashable, Sendable, CustomStringConvertible {
    public var key: String
    public var diagnostic: String

    init(key: String, _ diagnostic: String) {
        self.key = key
        self.diagnostic = diagnostic
    }

    public var description: String { "\(key): \(diagnostic)" }
}

/// At most one log line per interval; the lines in between are counted and reported with the next.
struct RADIUSLogRateLimit: Sendable {
    let interval: TimeAmount
    private var lastLogged: NIODeadline?
    private var suppressed = 0

    init(interval: TimeAmount) {
        self.interval = interval
    }

    /// Returns how many events were suppressed since the last logged one when this one should be
    /// logged, or nil when it should not.
    mutating func record(now: NIODeadline) -> Int? {
        if let lastLogged, now < lastLogged + interval {
            suppressed += 1
            return nil
        }
        let count = suppressed
        lastLogged = now
        suppressed = 0
        return count
    }
}

/// Hands each datagram of one source socket to the transport, on the event loop.
final class RADIUSClientChannelHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let transport: RADIUSClientTransport
    private let socket: Int

    init(transport: RADIUSClientTransport, socket: Int) {
        self.transport = transport
        self.socket = socket
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        transport.received(unwrapInboundIn(data), socket: socket)
    }

    /// ICMP errors and the like: logged, and the socket stays open for the other requests.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        transport.socketError(error, socket: socket)
    }
}

@available(*, unavailable)
extension RADIUSClientChannelHandler: Sendable {}

extension TimeAmount {
    /// Seconds as text for diagnostics (`2 s`, `0.25 s`).
    fileprivate var secondsText: String {
        let milliseconds = nanoseconds / 1_000_000
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000) s" }
        return "\(Double(milliseconds) / 1000) s"
    }
}
