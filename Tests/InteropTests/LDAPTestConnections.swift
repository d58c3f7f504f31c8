import LDAPWire
import NIOCore
import NIOPosix
import Synchronization
import TestSupport

/// Collects the LDAPMessages that arrive on a channel (after `LDAPFrameDecoder` framing), and the
/// first decoding error, for tests that wait on them with a deadline.
final class LDAPMessageCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    private let state = Mutex<(messages: [LDAPMessage], frames: [[UInt8]], error: String?)>(([], [], nil))
    private let limits: LDAPLimits
    /// Called on the event loop with each message; returns the messages to send back.
    private let respond: @Sendable (LDAPMessage) -> [LDAPMessage]

    init(limits: LDAPLimits = .default, respond: @escaping @Sendable (LDAPMessage) -> [LDAPMessage] = { _ in [] }) {
        self.limits = limits
        self.respond = respond
    }

    var messages: [LDAPMessage] { state.withLock { $0.messages } }
    var error: String? { state.withLock { $0.error } }
    /// The raw bytes of each decoded message, as they arrived.
    var frames: [[UInt8]] { state.withLock { $0.frames } }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        do {
            let message = try LDAPMessage.decode(frame: frame, limits: limits)
            state.withLock {
                $0.messages.append(message)
                $0.frames.append(Array(frame.readableBytesView))
            }
            let answers = respond(message)
            for answer in answers { context.write(NIOAny(answer.encode()), promise: nil) }
            if !answers.isEmpty { context.flush() }
            if case .unbindRequest = message.protocolOp { context.close(promise: nil) }
        } catch {
            state.withLock { $0.error = "\(error)" }
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        state.withLock { if $0.error == nil { $0.error = "\(error)" } }
        context.close(promise: nil)
    }

    /// Waits until `count` messages arrived; fails early on a decoding error.
    func waitForMessages(_ count: Int, timeout: Duration = .seconds(10)) async throws -> [LDAPMessage] {
        try await Wait.until("\(count) LDAP messages arrive", timeout: timeout) {
            if let error = self.error { throw CollectorFailure(description: error) }
            return self.messages.count >= count
        }
        return messages
    }
}

struct CollectorFailure: Error, CustomStringConvertible {
    var description: String
}

/// A plain LDAP client connection on 127.0.0.1 speaking through our encoder and decoder.
struct LDAPTestClient {
    let channel: any Channel
    let collector: LDAPMessageCollector

    static func connect(port: Int, group: any EventLoopGroup) async throws -> LDAPTestClient {
        let collector = LDAPMessageCollector(limits: LDAPLimits(maximumPDUSize: 4 << 20))
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LDAPFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(collector)
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        return LDAPTestClient(channel: channel, collector: collector)
    }

    func send(_ message: LDAPMessage) async throws {
        try await channel.writeAndFlush(message.encode())
    }

    /// Sends `message` and waits until `count` messages in all have arrived on this connection.
    func exchange(_ message: LDAPMessage, untilTotal count: Int) async throws -> [LDAPMessage] {
        try await send(message)
        return try await collector.waitForMessages(count)
    }

    func close() async {
        try? await channel.close()
    }
}

/// Starts a capture server; every accepted connection gets its own collector, all sharing `respond`.
func startCaptureServer(
    group: any EventLoopGroup,
    respond: @escaping @Sendable (LDAPMessage) -> [LDAPMessage]
) async throws -> (
    channel: any Channel, received: @Sendable () -> [LDAPMessage], failure: @Sendable () -> String?,
    frames: @Sendable () -> [[UInt8]]
) {
    let shared = SharedCollectors()
    let channel = try await ServerBootstrap(group: group)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelInitializer { child in
            child.eventLoop.makeCompletedFuture {
                let collector = LDAPMessageCollector(respond: respond)
                shared.append(collector)
                try child.pipeline.syncOperations.addHandler(ByteToMessageHandler(LDAPFrameDecoder()))
                try child.pipeline.syncOperations.addHandler(collector)
            }
        }
        .bind(host: "127.0.0.1", port: 0)
        .get()
    return (channel, { shared.all.flatMap(\.messages) }, { shared.all.compactMap(\.error).first }, { shared.all.flatMap(\.frames) })
}

/// The collectors of every connection a capture server accepted.
final class SharedCollectors: Sendable {
    private let box = Mutex<[LDAPMessageCollector]>([])
    func append(_ collector: LDAPMessageCollector) { box.withLock { $0.append(collector) } }
    var all: [LDAPMessageCollector] { box.withLock { $0 } }
}
