import NIOCore
import NIOPosix

/// A UDP server on 127.0.0.1 and a free port that hands each datagram to a closure and sends back
/// what it returns: the "test listener" that captures what real clients (radclient, pyrad) send.
public final class UDPResponder: Sendable {
    public typealias Respond = @Sendable (_ datagram: [UInt8]) -> [UInt8]?

    /// One datagram as it arrived: its bytes, the sender's port on 127.0.0.1 and when it came.
    public struct Arrival: Sendable {
        public var bytes: [UInt8]
        public var sourcePort: Int
        public var instant: ContinuousClock.Instant
    }

    private let channel: any Channel
    private let received = Locked<[Arrival]>([])
    /// The address it listens on: 127.0.0.1, or ::1 when started so.
    public let host: String

    public var port: Int { channel.localAddress?.port ?? 0 }

    /// The datagrams received so far, in order.
    public var datagrams: [[UInt8]] { received.value.map(\.bytes) }

    /// The datagrams received so far with their source ports and arrival instants, in order:
    /// for tests that check which sockets a client sent from and how far apart its retries were.
    public var arrivals: [Arrival] { received.value }

    private init(channel: any Channel, host: String) {
        self.channel = channel
        self.host = host
    }

    /// Starts a responder on `host` (127.0.0.1 or ::1) and a free port.
    public static func start(host: String = "127.0.0.1", _ respond: @escaping Respond) async throws -> UDPResponder {
        let box = ReceivedBox()
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            // Tests send hundreds of requests at once; the default 208 KiB holds about 270.
            .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Handler(respond: respond, box: box))
                }
            }
            .bind(host: host, port: 0)
            .get()
        let responder = UDPResponder(channel: channel, host: host)
        box.responder.withLock { $0 = responder }
        return responder
    }

    fileprivate func record(_ datagram: [UInt8], from sourcePort: Int) {
        let arrival = Arrival(bytes: datagram, sourcePort: sourcePort, instant: .now)
        received.withLock { $0.append(arrival) }
    }

    /// Sends a datagram from this responder's socket to `port` on its own address: a reply the
    /// test builds itself, at the moment it chooses (for example after many requests are pending).
    public func send(_ bytes: [UInt8], toPort port: Int) async throws {
        let remote = try SocketAddress(ipAddress: host, port: port)
        try await channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: ByteBuffer(bytes: bytes)))
    }

    public func stop() async {
        try? await channel.close()
    }

    private final class ReceivedBox: Sendable {
        let responder = Locked<UDPResponder?>(nil)
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = AddressedEnvelope<ByteBuffer>
        typealias OutboundOut = AddressedEnvelope<ByteBuffer>
        let respond: Respond
        let box: ReceivedBox

        init(respond: @escaping Respond, box: ReceivedBox) {
            self.respond = respond
            self.box = box
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let envelope = unwrapInboundIn(data)
            let bytes = Array(envelope.data.readableBytesView)
            box.responder.value?.record(bytes, from: envelope.remoteAddress.port ?? 0)
            guard let reply = respond(bytes) else { return }
            let out = AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: ByteBuffer(bytes: reply))
            context.writeAndFlush(wrapOutboundOut(out), promise: nil)
        }
    }
}
