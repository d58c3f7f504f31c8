import NIOCore
import NIOHTTP1
import Foundation

/// One HTTP/1.1 connection, or one HTTP/2 stream, of the simulator: collects a request, asks the
/// engine what to do and does it. Over HTTP/1.1, `HTTPServerPipelineHandler` (in front of it) hands
/// over one request at a time and stops reading while an answer is pending, so a client cannot
/// queue work without bound; over HTTP/2 a stream carries one request, and the connection's
/// `SETTINGS_MAX_CONCURRENT_STREAMS` bounds them.
final class DuoSimHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case idle
        case receiving(HTTPRequestHead, ByteBuffer)
        /// The body went over the limit: the rest is dropped and 413 answered at the end.
        case discarding(HTTPRequestHead)
        /// An answer is pending (a delay, a push, or a hang that never answers).
        case answering(HTTPRequestHead)
    }

    private let engine: DuoSimEngine
    private let maximumBodySize: Int
    /// An HTTP/2 stream: `down` closes its connection (the parent channel), not only the stream.
    private let isStream: Bool
    private var state = State.idle
    private var scheduled: Scheduled<Void>?

    init(engine: DuoSimEngine, maximumBodySize: Int, isStream: Bool = false) {
        self.engine = engine
        self.maximumBodySize = maximumBodySize
        self.isStream = isStream
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), .idle):
            state = .receiving(head, context.channel.allocator.buffer(capacity: 0))
        case (.body(var chunk), .receiving(let head, var body)):
            if body.readableBytes + chunk.readableBytes > maximumBodySize {
                state = .discarding(head)
            } else {
                body.writeBuffer(&chunk)
                state = .receiving(head, body)
            }
        case (.body, .discarding):
            break
        case (.end, .receiving(let head, let body)):
            state = .answering(head)
            let request = DuoSimRequest(method: head.method.rawValue, uri: head.uri, headers: head.headers,
                                        body: Array(body.readableBytesView))
            perform(engine.handle(request, now: .now(), unixTime: Self.unixTime()), request: request, context: context)
        case (.end, .discarding(let head)):
            state = .answering(head)
            write(DuoSimResponse(status: .payloadTooLarge, body: Array(#"{"code":41301,"message":"Request entity too large","stat":"FAIL"}"#.utf8)),
                  keepAlive: false, context: context)
        case (.head, _), (.body, _), (.end, _):
            // The pipeline handler delivers one request at a time, so this is a protocol error.
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        scheduled?.cancel()
        scheduled = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        scheduled?.cancel()
        scheduled = nil
    }

    private func perform(_ action: DuoSimAction, request: DuoSimRequest, context: ChannelHandlerContext) {
        guard case .answering(let head) = state else { return }
        switch action {
        case .respond(let response):
            write(response, keepAlive: Self.keepAlive(head), context: context)
        case .closeConnection:
            // Over HTTP/2 the connection, not only this stream: Duo is down for every request on it.
            ((isStream ? context.channel.parent : nil) ?? context.channel).close(promise: nil)
        case .hang:
            break
        case .delay(let amount):
            scheduled = context.eventLoop.assumeIsolated().scheduleTask(in: amount) {
                self.scheduled = nil
                self.perform(self.engine.handle(request, now: .now(), unixTime: Self.unixTime(), afterDelay: true),
                             request: request, context: context)
            }
        case .awaitTransaction(let txid, let deadline):
            scheduled = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
                self.scheduled = nil
                self.write(self.engine.finishSynchronous(txid: txid, now: .now()), keepAlive: Self.keepAlive(head),
                           context: context)
            }
        case .awaitStatus(let txid, let deadline):
            scheduled = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
                self.scheduled = nil
                self.write(self.engine.finishStatus(txid: txid, now: .now()), keepAlive: Self.keepAlive(head), context: context)
            }
        }
    }

    /// HTTP/2 has no `Connection` header (it is forbidden there): a stream ends with its response.
    private static func keepAlive(_ head: HTTPRequestHead) -> Bool {
        head.version.major >= 2 || head.isKeepAlive
    }

    private func write(_ response: DuoSimResponse, keepAlive: Bool, context: ChannelHandlerContext) {
        guard case .answering(let head) = state else { return }
        var headers = HTTPHeaders()
        headers.reserveCapacity(4)
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(response.body.count))
        if !keepAlive, head.version.major < 2 { headers.add(name: "Connection", value: "close") }
        state = .idle
        var buffer = context.channel.allocator.buffer(capacity: response.body.count)
        buffer.writeBytes(response.body)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: response.status, headers: headers))),
                      promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
                loopBoundContext.value.close(promise: nil)
            }
        }
    }

    static func unixTime() -> Int64 { Int64(Date().timeIntervalSince1970) }
}

@available(*, unavailable)
extension DuoSimHTTPHandler: Sendable {}
