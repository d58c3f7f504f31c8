import NIOCore
import NIOPosix

/// An HTTP CONNECT proxy on 127.0.0.1 for tests of `http_proxy_host`: it tunnels to 127.0.0.1
/// targets only and records every CONNECT it was asked for.
public final class ConnectProxy: Sendable {
    private let channel: any Channel
    private let requests: Locked<[String]>

    public var port: Int { channel.localAddress?.port ?? 0 }
    /// The `host:port` of each CONNECT, in order.
    public var connects: [String] { requests.value }

    private init(channel: any Channel, requests: Locked<[String]>) {
        self.channel = channel
        self.requests = requests
    }

    public static func start() async throws -> ConnectProxy {
        let requests = Locked<[String]>([])
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(ConnectHandler(requests: requests))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return ConnectProxy(channel: channel, requests: requests)
    }

    public func stop() async {
        try? await channel.close()
    }

    /// Reads the CONNECT request head, dials the target, answers 200, then glues the two sockets.
    private final class ConnectHandler: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        let requests: Locked<[String]>
        var head = ByteBuffer()

        init(requests: Locked<[String]>) { self.requests = requests }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = unwrapInboundIn(data)
            head.writeBuffer(&bytes)
            guard let text = head.getString(at: head.readerIndex, length: head.readableBytes),
                  let end = text.range(of: "\r\n\r\n") else { return }
            // "\r\n" is one Character in Swift: split lines on it as a whole.
            let firstLine = (text[..<end.lowerBound].split(separator: "\r\n").first ?? "").split(separator: " ")
            guard firstLine.count == 3, firstLine[0] == "CONNECT",
                  let colon = firstLine[1].lastIndex(of: ":"), let port = Int(firstLine[1][firstLine[1].index(after: colon)...]),
                  firstLine[1][..<colon] == "127.0.0.1"
            else {
                requests.withLock { $0.append("refused: " + String(text.prefix(60))) }
                context.writeAndFlush(NIOAny(ByteBuffer(string: "HTTP/1.1 403 Forbidden\r\n\r\n")), promise: nil)
                context.close(promise: nil)
                return
            }
            requests.withLock { $0.append(String(firstLine[1])) }
            let client = context.channel
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            ClientBootstrap(group: context.eventLoop)
                .connect(host: "127.0.0.1", port: port)
                .whenComplete { result in
                    let (handler, context) = loopBound.value
                    switch result {
                    case .failure(let error):
                        handler.requests.withLock { $0.append("failed: \(error)") }
                        context.writeAndFlush(NIOAny(ByteBuffer(string: "HTTP/1.1 502 Bad Gateway\r\n\r\n")), promise: nil)
                        context.close(promise: nil)
                    case .success(let server):
                        context.writeAndFlush(
                            NIOAny(ByteBuffer(string: "HTTP/1.1 200 Connection established\r\n\r\n")), promise: nil)
                        let (toServer, toClient) = Glue.pair()
                        try? client.pipeline.syncOperations.addHandler(toServer)
                        server.pipeline.addHandler(toClient).whenComplete { _ in }
                        toServer.partnerChannel = server
                        toClient.partnerChannel = client
                        context.pipeline.syncOperations.removeHandler(handler, promise: nil)
                    }
                }
        }
    }

    /// Forwards everything read on one channel to its partner, and closes the partner on close.
    private final class Glue: ChannelDuplexHandler, @unchecked Sendable {
        // @unchecked: each Glue is touched only on the event loop of the proxy's accepted channel,
        // and the server connection is made on that same loop (ClientBootstrap(group: context.eventLoop)).
        typealias InboundIn = ByteBuffer
        typealias OutboundIn = ByteBuffer
        var partnerChannel: (any Channel)?

        static func pair() -> (Glue, Glue) { (Glue(), Glue()) }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            partnerChannel?.writeAndFlush(unwrapInboundIn(data), promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            partnerChannel?.close(promise: nil)
            context.fireChannelInactive()
        }
    }
}
