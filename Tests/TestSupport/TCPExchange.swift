import NIOCore
import NIOPosix

/// A raw TCP client on 127.0.0.1 for hostile-input tests: sends bytes as given, collects what comes
/// back, and says whether the server closed the connection.
public final class TCPExchange: Sendable {
    private let channel: any Channel
    private let received: Locked<(bytes: [UInt8], closed: Bool)>

    public init(to port: Int) async throws {
        let received = Locked<(bytes: [UInt8], closed: Bool)>(([], false))
        self.channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(received: received))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        self.received = received
    }

    public func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    /// Everything received so far.
    public var bytes: [UInt8] { received.value.bytes }

    public var isClosedByServer: Bool { received.value.closed }

    /// Waits until the server closed the connection; returns everything it sent.
    public func waitForClose(timeout: Duration = .seconds(10)) async throws -> [UInt8] {
        try await Wait.until("the server closes the connection", timeout: timeout) { received.value.closed }
        return bytes
    }

    /// Waits until at least `count` bytes arrived.
    public func waitForBytes(_ count: Int, timeout: Duration = .seconds(10)) async throws -> [UInt8] {
        try await Wait.until("\(count) bytes arrive", timeout: timeout) { received.value.bytes.count >= count || received.value.closed }
        return bytes
    }

    public func close() async {
        try? await channel.close()
    }

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received: Locked<(bytes: [UInt8], closed: Bool)>
        init(received: Locked<(bytes: [UInt8], closed: Bool)>) { self.received = received }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = Array(unwrapInboundIn(data).readableBytesView)
            received.withLock { $0.bytes += bytes }
        }

        func channelInactive(context: ChannelHandlerContext) {
            received.withLock { $0.closed = true }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
