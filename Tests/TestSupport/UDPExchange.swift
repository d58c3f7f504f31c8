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

    /// One client socket for several exchanges: retransmits must come from the same port to be
    /// recognised as such (RFC 5080 §2.2.2 keys duplicates on the source port).
    public final class Session: Sendable {
        private let channel: any Channel
        private let port: Int
        private let inbox: Locked<[[UInt8]]>

        public init(to port: Int) async throws {
            let inbox = Locked<[[UInt8]]>([])
            self.channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(EveryDatagram(inbox: inbox))
                    }
                }
                .bind(host: "127.0.0.1", port: 0)
                .get()
            self.port = port
            self.inbox = inbox
        }

        public func send(_ bytes: [UInt8]) async throws {
            let remote = try SocketAddress(ipAddress: "127.0.0.1", port: port)
            try await channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: ByteBuffer(bytes: bytes)))
        }

        /// Datagrams received and not yet taken.
        public var pending: Int { inbox.value.count }

        /// The next datagram that arrives, or `NoAnswer` after `timeout`.
        public func receive(timeout: Duration = .seconds(5)) async throws -> [UInt8] {
            do {
                try await Wait.until("a datagram from 127.0.0.1:\(port)", timeout: timeout) { !inbox.value.isEmpty }
            } catch {
                throw NoAnswer(port: port, timeout: timeout)
            }
            return inbox.withLock { $0.removeFirst() }
        }

        public func close() async {
            try? await channel.close()
        }
    }

    private final class EveryDatagram: ChannelInboundHandler, Sendable {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        let inbox: Locked<[[UInt8]]>
        init(inbox: Locked<[[UInt8]]>) { self.inbox = inbox }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = Array(unwrapInboundIn(data).data.readableBytesView)
            inbox.withLock { $0.append(bytes) }
        }
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
