import DuoAPI
import InMemoryLogging
import Logging
import MetricsTestKit
import NIOCore
import NIOPosix
import TestSupport
import Testing

/// Transport failures without a Duo at all: nothing listening, a server that never answers, one
/// that speaks no TLS; and the circuit breaker over them.
@Suite struct DuoClientTransportTests {
    static func client(port: Int, useTLS: Bool = false, threshold: Int = 5, apiTimeout: Duration = .seconds(2)) throws -> DuoClient {
        try DuoClient(configuration: DuoClientConfiguration(
            integrationKey: "DIXXXXXXXXXXXXXXXXXX", secretKey: String(repeating: "s", count: 40),
            apiHost: "127.0.0.1", apiPort: port, useTLS: useTLS, connectTimeout: .seconds(2), apiTimeout: apiTimeout,
            circuitBreaker: .init(failureThreshold: threshold, coolDown: .seconds(60))))
    }

    /// A TCP server on 127.0.0.1 that accepts connections and then does nothing with them (or
    /// closes each as soon as the client sends something: closing before the request is written
    /// would only make the client's pool connect again until the deadline).
    static func silentServer(closeOnRead: Bool = false) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if closeOnRead { try channel.pipeline.syncOperations.addHandler(CloseOnRead()) }
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
    }

    /// A TCP server on 127.0.0.1 that answers the first bytes of every connection with `reply`,
    /// and then keeps the connection open without another byte.
    static func answeringServer(_ reply: [UInt8]) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AnswerOnce(reply: reply))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
    }

    private final class AnswerOnce: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let reply: [UInt8]
        init(reply: [UInt8]) { self.reply = reply }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: reply)), promise: nil)
        }
    }

    private final class CloseOnRead: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            context.close(promise: nil)
        }
    }

    /// The failure of a call that must fail; nil, with an issue recorded, when it succeeded.
    static func failure<T>(of what: String, _ call: () async throws -> T) async -> DuoFailure? {
        do {
            _ = try await call()
            Issue.record("\(what) succeeded")
            return nil
        } catch {
            #expect(error is DuoFailure, "\(what): \(error)")
            return error as? DuoFailure
        }
    }

    /// `http_ca_certs_file` text that holds no certificate is refused when the client is made,
    /// saying which API host it was for, not at the first login.
    @Test func caCertificatesThatAreNotPEMAreRefusedAtOnce() {
        #expect {
            _ = try DuoClient(configuration: DuoClientConfiguration(
                integrationKey: "DIXXXXXXXXXXXXXXXXXX", secretKey: String(repeating: "s", count: 40),
                apiHost: "api-test.duosecurity.com", trustRoots: .pem("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")))
        } throws: { error in
            guard let failure = error as? DuoFailure else { return false }
            return failure.kind == .tls && failure.diagnostic.contains("api-test.duosecurity.com")
                && failure.diagnostic.contains("not valid PEM")
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func nothingListeningIsConnectionRefusedAndFailOpenEligible() async throws {
        let port = try FreePort.tcp()
        let client = try Self.client(port: port)
        defer { Task { try? await client.shutdown() } }
        let error = try #require(await Self.failure(of: "preauth against nothing") { try await client.preauth(username: "alice") })
        #expect(error.kind == .connectionRefused, "\(error)")
        #expect(error.failmodeClass == .unavailable)
        #expect(error.diagnostic.contains("127.0.0.1:\(port)"))
    }

    @Test(.timeLimit(.minutes(1)))
    func aServerThatNeverAnswersIsATimeout() async throws {
        let server = try await Self.silentServer()
        defer { server.close(promise: nil) }
        let client = try Self.client(port: server.localAddress!.port!, apiTimeout: .milliseconds(500))
        defer { Task { try? await client.shutdown() } }
        let clock = ContinuousClock()
        let started = clock.now
        let error = try #require(await Self.failure(of: "check against a silent server") { try await client.check() })
        #expect(error.kind == .timeout, "\(error)")
        #expect(error.failmodeClass == .unavailable)
        #expect(clock.now - started < .seconds(10))
    }

    @Test(.timeLimit(.minutes(1)))
    func aServerThatClosesOnTheRequestIsAReset() async throws {
        let server = try await Self.silentServer(closeOnRead: true)
        defer { server.close(promise: nil) }
        // A long deadline: the close comes at once, and a loaded test machine must not turn it
        // into a timeout.
        let client = try Self.client(port: server.localAddress!.port!, apiTimeout: .seconds(30))
        defer { Task { try? await client.shutdown() } }
        let error = try #require(await Self.failure(of: "ping to a server that closes on the request") { try await client.ping() })
        #expect([DuoFailure.Kind.connectionReset, .transport].contains(error.kind), "\(error)")
        #expect(error.failmodeClass == .unavailable)
    }

    /// The deadline covers the whole answer: a head followed by a body that stops half-way is a
    /// timeout, not a call that waits forever.
    @Test(.timeLimit(.minutes(1)))
    func anAnswerThatStopsHalfWayIsATimeout() async throws {
        let server = try await Self.answeringServer(Array(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"stat\": \"OK\"".utf8))
        defer { server.close(promise: nil) }
        let client = try Self.client(port: server.localAddress!.port!, apiTimeout: .milliseconds(500))
        defer { Task { try? await client.shutdown() } }
        let clock = ContinuousClock()
        let started = clock.now
        let error = try #require(await Self.failure(of: "preauth on half an answer") { try await client.preauth(username: "alice") })
        #expect(error.kind == .timeout, "\(error)")
        #expect(clock.now - started < .seconds(10))
    }

    /// Duo's answers are a few hundred bytes. One past the client's limit is an answer Duo did not
    /// send: refused (a login is denied in every failmode), never "Duo unavailable", which
    /// failmode=safe would turn into an allow.
    @Test(.timeLimit(.minutes(1)))
    func anOversizedAnswerIsUnreadableAndRefused() async throws {
        let size = 2 << 20
        let server = try await Self.answeringServer(Array(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(size)\r\n\r\n".utf8)
            + [UInt8](repeating: UInt8(ascii: " "), count: size))
        defer { server.close(promise: nil) }
        let client = try Self.client(port: server.localAddress!.port!, apiTimeout: .seconds(30))
        defer { Task { try? await client.shutdown() } }
        let error = try #require(await Self.failure(of: "preauth on an oversized answer") { try await client.preauth(username: "alice") })
        #expect(error.kind == .unreadableBody, "\(error)")
        #expect(error.failmodeClass == .refused)
        #expect(!error.countsAgainstCircuit)
        #expect(error.diagnostic.contains("127.0.0.1:\(server.localAddress!.port!)"), "\(error.diagnostic)")
    }

    @Test(.timeLimit(.minutes(1)))
    func tlsToAServerThatSpeaksNoTLSFailsAsUnavailable() async throws {
        let server = try await Self.silentServer(closeOnRead: true)
        defer { server.close(promise: nil) }
        let client = try Self.client(port: server.localAddress!.port!, useTLS: true)
        defer { Task { try? await client.shutdown() } }
        let error = try #require(await Self.failure(of: "ping over TLS to a server without TLS") { try await client.ping() })
        #expect(error.failmodeClass == .unavailable, "\(error)")
    }

    @Test(.timeLimit(.minutes(1)))
    func theCircuitOpensAfterRepeatedFailuresAndThenFailsFast() async throws {
        let port = try FreePort.tcp()
        let logs = InMemoryLogHandler()
        let metrics = TestMetrics()
        let client = try DuoClient(
            configuration: DuoClientConfiguration(
                integrationKey: "DIXXXXXXXXXXXXXXXXXX", secretKey: String(repeating: "s", count: 40),
                apiHost: "127.0.0.1", apiPort: port, useTLS: false,
                circuitBreaker: .init(failureThreshold: 3, coolDown: .seconds(60))),
            logger: Logger(label: "test") { _ in logs }, metricsFactory: metrics)
        defer { Task { try? await client.shutdown() } }
        let gauge = try metrics.expectGauge("twofold_duo_circuit_state", [("api_host", "127.0.0.1")])
        #expect(gauge.lastValue == 0)
        for _ in 0..<3 {
            await #expect(throws: DuoFailure.self) { _ = try await client.preauth(username: "alice") }
        }
        #expect(client.circuitStatus == .open)
        #expect(gauge.lastValue == 1)
        let opened = logs.entries.filter { $0.level == .error && "\($0.message)".contains("circuit breaker opened") }
        #expect(opened.count == 1)
        #expect(opened.first?.metadata["api_host"] == "127.0.0.1")
        #expect(opened.first?.metadata["consecutive_failures"] == "3")
        let error = try #require(await Self.failure(of: "a call through an open circuit") { try await client.preauth(username: "alice") })
        #expect(error.kind == .circuitOpen)
        #expect(error.failmodeClass == .unavailable)
    }
}
