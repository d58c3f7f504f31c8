import NIOCore
import NIOPosix

/// Sends one datagram from a fresh 127.0.0.1 socket and waits for the first answer, the way a
/// RADIUS client does one exchange.
public enum UDPExchange {
    public struct NoAnswer: Error, CustomStringConvertible {
        public var port: Int
        public var timeout: Duration
        public var description: String { "no datagram came back from 127.0.0.1:\(port) within \(timeout)" }
    }

    /// Returns the first datagram received, or throws `NoAnswer` after `timeout`.
    public static func send(_ bytes: [UInt8], to port: Int, timeout: Duration = .seconds(5)) async throws -> [UInt8] {
        let group = MultiThreadedEventLoopGroup.singleton
        let promise = group.next().makePromise(of: [UInt8].self)
        let channel = try await DatagramBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(FirstDatagram(promise: promise))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        let scheduled = channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(timeout.components.seconds) * 1_000_000_000
            + Int64(timeout.components.attoseconds / 1_000_000_000))) {
            promise.fail(NoAnswer(port: port, timeout: timeout))
        }
        defer {
            scheduled.cancel()
            channel.close(promise: nil)
        }
        let remote = try SocketAddress(ipAddress: "127.0.0.1", port: port)
        try await channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: ByteBuffer(bytes: bytes)))
        return try await promise.futureResult.get()
    }

    private final class FirstDatagram: ChannelInboundHandler {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let promise: EventLoopPromise<[UInt8]>
        init(promise: EventLoopPromise<[UInt8]>) { self.promise = promise }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            promise.succeed(Array(unwrapInboundIn(data).data.readableBytesView))
        }
    }
}
