#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LDAPWire
import NIOCore
import NIOSSL
import NIOTLS

/// One operation on its way to the handler: what to send and where the answer goes.
struct LDAPClientRequest: Sendable {
    var operation: LDAPClientOperation
    var promise: EventLoopPromise<LDAPClientResponse>
}

/// The thin NIO side of one client connection: frames and decodes responses, feeds
/// ``LDAPClientStateMachine`` and performs its actions (write, complete promises, insert the TLS
/// handler after StartTLS, close). Every operation has a deadline, scheduled here on the event loop.
final class LDAPClientHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = LDAPClientRequest
    typealias OutboundOut = ByteBuffer

    private var stateMachine: LDAPClientStateMachine
    private let limits: LDAPLimits
    /// Bytes received but not yet a whole PDU: at most one maximum PDU plus one read.
    private var inbound: LDAPInboundBuffer
    private var promises: [Int32: EventLoopPromise<LDAPClientResponse>] = [:]
    private var deadlines: [Int32: Scheduled<Void>] = [:]
    private let timeout: Duration
    /// Completed when the TLS handshake of an LDAPS connection completes (nil without LDAPS).
    private let tlsEstablished: EventLoopPromise<Void>?
    /// Builds the TLS handler inserted after a successful StartTLS.
    private let makeTLSHandler: (@Sendable () throws -> NIOSSLClientHandler)?

    init(
        endpoint: String,
        timeout: Duration,
        limits: LDAPLimits,
        tlsEstablished: EventLoopPromise<Void>?,
        makeTLSHandler: (@Sendable () throws -> NIOSSLClientHandler)?
    ) {
        self.stateMachine = LDAPClientStateMachine(endpoint: endpoint, tlsFromStart: tlsEstablished != nil)
        self.inbound = LDAPInboundBuffer(limits: limits)
        self.limits = limits
        self.timeout = timeout
        self.tlsEstablished = tlsEstablished
        self.makeTLSHandler = makeTLSHandler
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        let (messageID, action) = stateMachine.send(request.operation)
        switch action {
        case .write(let message, let expectsResponse):
            if expectsResponse {
                promises[messageID] = request.promise
                let timeout = self.timeout
                deadlines[messageID] = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(timeout)) {
                    [weak self] in
                    guard let self, let context = self.context else { return }
                    self.run(self.stateMachine.timedOut(messageID: messageID, after: timeout), context: context)
                }
            } else {
                request.promise.succeed(.unbound)
            }
            context.write(wrapOutboundOut(message.encode()), promise: promise)
        case .failOperation(let error):
            request.promise.fail(error)
            promise?.fail(error)
        case .none, .succeed, .insertTLSHandler, .tlsEstablished, .failAll:
            run(action, context: context)
            promise?.succeed(())
        }
    }

    // MARK: Inbound

    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        run(stateMachine.channelInactive(), context: context)
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !stateMachine.isClosed else { return }
        inbound.append(unwrapInboundIn(data))
        while !stateMachine.isClosed {
            let frame: ByteBuffer?
            do {
                frame = try inbound.nextFrame()
            } catch {
                run(stateMachine.decodingFailed("undecodable response: \(error)"), context: context)
                return
            }
            guard let frame else { break }
            let message: LDAPMessage
            do {
                message = try LDAPMessage.decode(frame: frame, limits: limits)
            } catch {
                run(stateMachine.decodingFailed("undecodable response: \(error)"), context: context)
                return
            }
            run(stateMachine.received(message, size: frame.readableBytes), context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            run(stateMachine.tlsHandshakeCompleted(), context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let isTLS = error is NIOSSLError || error is BoringSSLError || error is NIOSSLExtraError
        run(stateMachine.errorCaught(Self.describe(error), isTLSError: isTLS), context: context)
    }

    /// A certificate that fails verification is the TLS error administrators meet most; say what
    /// to check instead of only BoringSSL's reason.
    static func describe(_ error: any Error) -> String {
        let text = "\(error)"
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            return "the server's certificate was not accepted (CERTIFICATE_VERIFY_FAILED): it must chain to ssl_ca_certs_file (or the system's roots when unset) and, unless ssl_verify_hostname=false, name the host connected to"
        }
        if let error = error as? IOError {
            return String(cString: strerror(error.errnoCode)).lowercased()
        }
        return text
    }

    func channelInactive(context: ChannelHandlerContext) {
        run(stateMachine.channelInactive(), context: context)
        context.fireChannelInactive()
    }

    // MARK: Actions

    private func run(_ action: LDAPClientStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .write(let message, _):
            // Only `send` returns writes, and `write(context:data:promise:)` performs them itself.
            context.writeAndFlush(wrapOutboundOut(message.encode()), promise: nil)
        case .failOperation:
            break
        case .succeed(let messageID, let response):
            deadlines.removeValue(forKey: messageID)?.cancel()
            promises.removeValue(forKey: messageID)?.succeed(response)
        case .insertTLSHandler(let messageID):
            // The server must send nothing between the StartTLS response and the handshake; bytes
            // already buffered were sent in the clear and are refused (RFC 4511 §4.14.2).
            if inbound.readableBytes > 0 {
                run(stateMachine.unencryptedBytesAfterStartTLS(), context: context)
                return
            }
            do {
                guard let makeTLSHandler else {
                    throw LDAPClientError.tlsFailed(stateMachine.endpoint, "StartTLS without a TLS configuration")
                }
                try context.pipeline.syncOperations.addHandler(try makeTLSHandler(), position: .first)
            } catch {
                run(stateMachine.errorCaught("cannot start TLS: \(error)", isTLSError: true), context: context)
                return
            }
            _ = messageID  // answered once the handshake completes (`tlsEstablished`)
        case .tlsEstablished(let startTLSMessageID):
            tlsEstablished?.succeed(())
            if let startTLSMessageID {
                deadlines.removeValue(forKey: startTLSMessageID)?.cancel()
                promises.removeValue(forKey: startTLSMessageID)?.succeed(.startedTLS)
            }
        case .failAll(let messageIDs, let error, let closeChannel):
            tlsEstablished?.fail(error)
            for messageID in messageIDs {
                deadlines.removeValue(forKey: messageID)?.cancel()
                promises.removeValue(forKey: messageID)?.fail(error)
            }
            // Anything left (there should be nothing) must not hang its caller.
            for (messageID, promise) in promises {
                deadlines.removeValue(forKey: messageID)?.cancel()
                promise.fail(error)
            }
            promises = [:]
            inbound.removeAll()
            if closeChannel { context.close(promise: nil) }
        }
    }
}

@available(*, unavailable)
extension LDAPClientHandler: Sendable {}
