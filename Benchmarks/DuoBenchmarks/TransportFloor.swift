import AsyncHTTPClient
import DuoAPI
import DuoSim
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

// The floor under the Duo figures: what HTTPS itself costs on this machine, without the simulator's
// work (signature checks, users, JSON) and, for the second figure, without AsyncHTTPClient.
//
// - `CannedDuoServer`: an HTTP/1.1 server over TLS that answers every request with fixed bytes, one
//   write per answer: the cheapest Duo a client can talk to.
// - `asyncHTTPClientExchangesPerSecond`: AsyncHTTPClient configured by `DuoClient.httpConfiguration`,
//   sending one prepared POST again and again (no signing, no JSON): the cheapest client it can be.
// - `rawExchangesPerSecond`: a client of swift-nio's own handlers (TLS, HTTP/1.1 codec) that sends
//   the POST of a Duo call in one write and waits for the answer, on `concurrency` connections: the
//   cheapest client at all.

/// Answers `/auth/v2/preauth` with an `auth` result (one phone) and every other path with `allow`.
enum CannedDuoServer {
    static let preauth = ByteBuffer(string: #"{"stat":"OK","response":{"result":"auth","status_msg":"Account is active","devices":[{"device":"DPFZRS9FB0D46QFTM891","type":"phone","number":"XXX-XXX-0100","name":"Phone","capabilities":["auto","push","sms","phone","mobile_otp"]}]}}"#)
    static let allow = ByteBuffer(string: #"{"stat":"OK","response":{"result":"allow","status":"allow","status_msg":"Success. Logging you in..."}}"#)

    static func start(group: any EventLoopGroup) async throws -> (channel: any Channel, caPEM: String) {
        let generated = try DuoSimCertificates.generate()
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(try NIOSSLCertificate(bytes: Array(generated.leafCertificatePEM.utf8), format: .pem))],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(generated.leafPrivateKeyPEM.utf8), format: .pem)))
        tls.minimumTLSVersion = .tlsv12
        let context = try NIOSSLContext(configuration: tls)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withPipeliningAssistance: false)
                    try channel.pipeline.syncOperations.addHandler(Handler())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return (channel, generated.caCertificatePEM)
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        private var body = allow

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                body = head.uri.hasSuffix("/preauth") ? CannedDuoServer.preauth : CannedDuoServer.allow
            case .body:
                break
            case .end:
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: "application/json")
                headers.add(name: "Content-Length", value: String(body.readableBytes))
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}

/// The POST of a Duo call: its headers and body as `DuoClient` sends them (the signature's shape only).
private func duoLikePOST() -> (headers: HTTPHeaders, body: ByteBuffer) {
    let body = ByteBuffer(string: #"{"factor":"passcode","passcode":"123456","username":"bench"}"#)
    var headers = HTTPHeaders()
    headers.add(name: "Host", value: "127.0.0.1")
    headers.add(name: "Content-Type", value: "application/json")
    headers.add(name: "Content-Length", value: String(body.readableBytes))
    headers.add(name: "Authorization", value: "Basic " + String(repeating: "A", count: 160))
    headers.add(name: "Date", value: "Mon, 30 Nov 2026 05:00:00 +0000")
    return (headers, body)
}

/// Closed-loop POSTs through AsyncHTTPClient's future API (the one `DuoClient` uses), configured
/// as `duo` configures it, on `concurrency` tasks for `seconds`; returns the exchanges per second.
func asyncHTTPClientExchangesPerSecond(_ duo: DuoClientConfiguration, concurrency: Int, seconds: Int) async throws -> Double {
    let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: try DuoClient.httpConfiguration(duo))
    let (headers, body) = duoLikePOST()
    var prepared = try HTTPClient.Request(url: "https://127.0.0.1:\(duo.apiPort)/auth/v2/auth", method: .POST, headers: headers)
    prepared.headers.remove(name: "Content-Length")
    prepared.body = .byteBuffer(body)
    let request = prepared

    let (perSecond, _) = try await closedLoop(concurrency: concurrency, seconds: seconds) {
        let response = try await client.execute(
            request: request, delegate: ResponseAccumulator(request: request, maxBodySize: 1 << 20),
            deadline: .now() + .seconds(30)).futureResult.get()
        precondition(response.status == .ok)
    }
    try await client.shutdown()
    return perSecond
}

/// Closed-loop POSTs on `concurrency` connections for `seconds`; returns the exchanges completed.
func rawExchangesPerSecond(group: any EventLoopGroup, port: Int, caPEM: String, concurrency: Int, seconds: Int) async throws -> Double {
    var tls = TLSConfiguration.makeClientConfiguration()
    tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(caPEM.utf8)))
    tls.minimumTLSVersion = .tlsv12
    let context = try NIOSSLContext(configuration: tls)
    let (headers, body) = duoLikePOST()
    let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/auth/v2/auth", headers: headers)

    let clock = ContinuousClock()
    let started = clock.now
    let deadline = NIODeadline.now() + .seconds(Int64(seconds))
    var done: [EventLoopFuture<Int>] = []
    for _ in 0..<concurrency {
        let finished = group.next().makePromise(of: Int.self)
        _ = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: nil))
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(
                        RawLoop(head: head, body: body, deadline: deadline, finished: finished))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        done.append(finished.futureResult)
    }
    var total = 0
    for future in done { total += try await future.get() }
    return Double(total) / inSeconds(clock.now - started)
}

private final class RawLoop: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart
    let head: HTTPRequestHead
    let body: ByteBuffer
    let deadline: NIODeadline
    let finished: EventLoopPromise<Int>
    var count = 0

    init(head: HTTPRequestHead, body: ByteBuffer, deadline: NIODeadline, finished: EventLoopPromise<Int>) {
        self.head = head
        self.body = body
        self.deadline = deadline
        self.finished = finished
    }

    func channelActive(context: ChannelHandlerContext) {
        send(context: context)
    }

    func send(context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = unwrapInboundIn(data) else { return }
        count += 1
        if NIODeadline.now() < deadline {
            send(context: context)
        } else {
            finished.succeed(count)
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finished.fail(error)
        context.close(promise: nil)
    }
}
