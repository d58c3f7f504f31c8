import LDAPWire
import Logging
import NIOCore
import NIOSSL
import NIOTLS
import Policy
import Upstream

/// The thin NIO side of one client connection: frames and decodes requests, feeds
/// ``LDAPSessionStateMachine`` and performs its actions (write, ask Policy, relay to an
/// `[ldap_server_auto]` directory on this client's own upstream connection, start TLS, close), keeps
/// the state machine's deadline on the clock, and stops reading while a bind is with Policy, a
/// request is with the directory, a TLS handshake runs or the peer does not read what was written
/// (NIOHTTP1's pipelining handler does the same), so neither the input buffer nor the output buffer
/// grows with what a peer sends. Relayed requests count as binds in flight for a graceful stop.
final class LDAPSessionHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var stateMachine: LDAPSessionStateMachine
    /// Bytes received but not yet handed over: at most one PDU under the limit in force plus one read.
    private var inbound: LDAPInboundBuffer
    private let sections: [LDAPServerSection]
    private let autoSections: [LDAPAutoServerSection]
    /// This client's own connections to the auto sections' directories, by section index, made
    /// when the first operation goes there.
    private var upstreams: [Int: LDAPRelayUpstream] = [:]
    private let timeouts: LDAPTimeouts
    private let tlsContext: NIOSSLContext?
    private let gate: LDAPListener.SharedGate
    private let logger: Logger
    /// The timer of the deadline on the clock and when it fires: at or before the deadline is
    /// due (it then sets itself again for the rest), never after.
    private var timer: (scheduled: Scheduled<Void>, firesAt: NIODeadline)?
    /// The kind of deadline on the clock and when it is due: a partial PDU does not restart it (a
    /// peer trickling one byte at a time cannot hold a connection past its first-PDU or idle deadline).
    private var armed: (kind: LDAPSessionStateMachine.Deadline, due: NIODeadline)?
    private var readPending = false
    private var context: ChannelHandlerContext?

    init(
        stateMachine: LDAPSessionStateMachine, sections: [LDAPServerSection], autoSections: [LDAPAutoServerSection] = [],
        timeouts: LDAPTimeouts, tlsContext: NIOSSLContext?, gate: LDAPListener.SharedGate, logger: Logger
    ) {
        self.stateMachine = stateMachine
        self.inbound = LDAPInboundBuffer(limits: stateMachine.limits, compactionThreshold: 16 * 1024)
        self.sections = sections
        self.autoSections = autoSections
        self.timeouts = timeouts
        self.tlsContext = tlsContext
        self.gate = gate
        self.logger = logger
    }

    // MARK: - Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { armDeadline(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        armDeadline(context: context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stateMachine.closed()
        cancelDeadline()
        closeUpstreams()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        stateMachine.closed()
        cancelDeadline()
        closeUpstreams()
        inbound.removeAll()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is NIOSSLError || error is BoringSSLError {
            // What an administrator needs when a device does not trust the certificate or offers no
            // common protocol version or cipher.
            var metadata = peerMetadata(context)
            metadata["error"] = "\(error)"
            logger.info("LDAP TLS handshake failed", metadata: metadata)
        } else {
            logger.debug("LDAP connection failed", metadata: ["error": "\(error)"])
        }
        stateMachine.closed()
        context.close(promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            run(stateMachine.tlsEstablished(), context: context)
            resume(context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { resume(context: context) }
        context.fireChannelWritabilityChanged()
    }

    // MARK: - Reading

    func read(context: ChannelHandlerContext) {
        if stateMachine.readsSocket, context.channel.isWritable {
            context.read()
        } else {
            readPending = true
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !stateMachine.isClosed else { return }
        inbound.append(unwrapInboundIn(data))
        process(context: context)
    }

    /// Hands over complete PDUs while the state machine takes them and the peer reads our answers.
    private func process(context: ChannelHandlerContext) {
        var handedOver = false
        while stateMachine.acceptsRequests, context.channel.isWritable {
            inbound.decoder.limits = stateMachine.limits
            let frame: ByteBuffer?
            do {
                frame = try inbound.nextFrame()
            } catch {
                run(stateMachine.decodingFailed(error), context: context)
                return
            }
            guard let frame else { break }
            handedOver = true
            let action: LDAPSessionStateMachine.Action
            do {
                let message = try LDAPMessage.decode(frame: frame, limits: stateMachine.limits)
                action = stateMachine.received(message, pipelinedBytes: inbound.readableBytes)
            } catch {
                action = stateMachine.decodingFailed(error)
            }
            run(action, context: context)
        }
        if handedOver || armed?.kind != stateMachine.deadline { armDeadline(context: context) }
    }

    /// Reading may go on: hand over what is buffered, then ask for more if a read was held back.
    private func resume(context: ChannelHandlerContext) {
        process(context: context)
        if readPending, stateMachine.readsSocket, context.channel.isWritable {
            readPending = false
            context.read()
        }
    }

    // MARK: - Deadlines

    /// Puts the state machine's deadline on the clock. On a busy connection each request only
    /// moves the deadline on: the timer already set fires first, finds it moved and sets itself for
    /// the rest, rather than a timer being cancelled and scheduled for every request.
    private func armDeadline(context: ChannelHandlerContext) {
        guard let kind = stateMachine.deadline else {
            cancelDeadline()
            return
        }
        let due = context.eventLoop.now + TimeAmount(timeouts.duration(of: kind))
        armed = (kind, due)
        if let timer, timer.firesAt <= due { return }
        timer?.scheduled.cancel()
        setTimer(at: due, context: context)
    }

    private func setTimer(at firesAt: NIODeadline, context: ChannelHandlerContext) {
        let scheduled = context.eventLoop.assumeIsolated().scheduleTask(deadline: firesAt) { [weak self] in
            guard let self, let context = self.context else { return }
            self.timer = nil
            guard let armed = self.armed else { return }
            if armed.due > context.eventLoop.now {
                self.setTimer(at: armed.due, context: context)
            } else {
                self.run(self.stateMachine.deadlinePassed(armed.kind), context: context)
            }
        }
        timer = (scheduled, firesAt)
    }

    private func cancelDeadline() {
        timer?.scheduled.cancel()
        timer = nil
        armed = nil
    }

    // MARK: - Actions

    private func run(_ action: LDAPSessionStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break

        case .send(let messages, let log):
            if let log { logger.info("\(log)", metadata: peerMetadata(context)) }
            write(messages, context: context)
            context.flush()

        case .sendThenStartTLS(let response):
            // The response goes out in the clear; everything after it through TLS (RFC 4511 §4.14.2).
            // The state machine refused the request if any byte followed it, so nothing read in the
            // clear is ever taken as protected.
            context.writeAndFlush(wrapOutboundOut(response.encode()), promise: nil)
            do {
                guard let tlsContext else { throw LDAPListenerError.tls("StartTLS without a TLS context") }
                try context.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tlsContext), position: .first)
            } catch {
                logger.error("cannot start TLS", metadata: ["error": "\(error)"])
                stateMachine.closed()
                context.close(promise: nil)
            }
            armDeadline(context: context)

        case .authenticate(let messageID, let integration, let request):
            let engine = sections[integration].engine
            inFlight(context: context, { await engine.authenticate(request) }) { $0.decided(messageID: messageID, $1) }

        case .relay(let messageID, let realm, let message):
            let upstream = upstream(realm)
            let limits = autoSections[realm].relayLimits
            inFlight(context: context, { () async -> Result<[LDAPMessage], LDAPClientError> in
                do throws(LDAPClientError) {
                    return .success(try await upstream.relay(message, limits: limits))
                } catch {
                    return .failure(error)
                }
            }) { $0.relayAnswered(messageID: messageID, $1) }

        case .authenticateOnDirectory(let messageID, let realm, let bindName, let request):
            let section = autoSections[realm]
            let primary = LDAPRelayedBindPrimary(name: section.directory.name, upstream: upstream(realm), bindName: bindName)
            let engine = section.engine.replacingPrimary(primary)
            inFlight(context: context, { await engine.authenticate(request) }) { $0.decided(messageID: messageID, $1) }

        case .sendAndCloseUpstream(let messages, let realm, let log):
            upstreams.removeValue(forKey: realm)?.close(final: true)
            run(.send(messages, log: log), context: context)

        case .sendAndClose(let messages, let log):
            if let log { logger.info("closing the LDAP connection: \(log)", metadata: peerMetadata(context)) }
            cancelDeadline()
            inbound.removeAll()
            guard !messages.isEmpty else {
                context.close(promise: nil)
                return
            }
            let written = context.eventLoop.makePromise(of: Void.self)
            write(messages, context: context, promise: written)
            context.flush()
            // A peer that does not read cannot keep the connection open: close after a short wait.
            let channel = context.channel
            let forced = context.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
            written.futureResult.whenComplete { _ in
                forced.cancel()
                channel.close(promise: nil)
            }
        }
    }

    /// This client's upstream connection to auto section `realm`'s directory.
    private func upstream(_ realm: Int) -> LDAPRelayUpstream {
        if let upstream = upstreams[realm] { return upstream }
        let section = autoSections[realm]
        let upstream = LDAPRelayUpstream(directory: section.directory, timeout: section.networkTimeout)
        upstreams[realm] = upstream
        return upstream
    }

    private func closeUpstreams() {
        for upstream in upstreams.values { upstream.close(final: true) }
        upstreams = [:]
    }

    private func relayAnswered(messageID: Int32, _ outcome: Result<[LDAPMessage], LDAPClientError>) {
        guard let context else { return }
        switch outcome {
        case .success(let responses):
            run(stateMachine.relayed(messageID: messageID, responses: responses), context: context)
        case .failure(let error):
            run(stateMachine.relayFailed(messageID: messageID, diagnostic: error.diagnostic), context: context)
        }
        resume(context: context)
    }

    /// Runs `work` off the event loop as one operation in flight (a graceful stop waits for it),
    /// then hands its result to `deliver` on the event loop. The answer is written and flushed
    /// before the count drops: a graceful stop closes the connections once nothing is in flight.
    private func inFlight<Outcome: Sendable>(
        context: ChannelHandlerContext, _ work: @escaping @Sendable () async -> Outcome,
        then deliver: @escaping (LDAPSessionHandler, Outcome) -> Void
    ) {
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let delivery = NIOLoopBound(deliver, eventLoop: context.eventLoop)
        let eventLoop = context.eventLoop
        let gate = self.gate
        gate.withLockedValue { $0.bindStarted() }
        Task {
            let outcome = await work()
            eventLoop.execute {
                delivery.value(handler.value, outcome)
                gate.withLockedValue { $0.bindFinished() }
            }
        }
    }

    private func decided(messageID: Int32, _ decision: Decision) {
        guard let context else { return }
        run(stateMachine.bindDecided(messageID: messageID, decision), context: context)
        resume(context: context)
    }

    /// Writes the messages as one buffer (a search's entries and its SearchResultDone in one write).
    private func write(_ messages: [LDAPMessage], context: ChannelHandlerContext, promise: EventLoopPromise<Void>? = nil) {
        var out = context.channel.allocator.buffer(capacity: 256)
        for message in messages { message.encode(into: &out) }
        context.write(wrapOutboundOut(out), promise: promise)
    }

    private func peerMetadata(_ context: ChannelHandlerContext) -> Logger.Metadata {
        ["client": "\(context.channel.remoteAddress?.description ?? "-")"]
    }
}

@available(*, unavailable)
extension LDAPSessionHandler: Sendable {}
