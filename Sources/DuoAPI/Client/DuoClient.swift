import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// The Duo Auth API v2 client of one integration: signed requests over pooled keep-alive HTTPS,
/// typed results, every failure classified (`DuoFailure`), and a circuit breaker per API host.
///
/// The client only classifies failures; Policy decides what failmode makes of them.
public final class DuoClient: Sendable {
    public let configuration: DuoClientConfiguration
    private let http: HTTPClient
    /// `auth_status` only: Duo holds each poll until the user answers, so every pending push holds
    /// a connection. Spread over several pools of at most `statusShardSize` connections, because
    /// a pool's bookkeeping scans its connections (thousands in one pool make each call slow).
    private let statusHTTP: [HTTPClient]
    private let nextStatusShard = Atomic<UInt>(0)
    static let statusShardSize = 256
    private let breaker: Mutex<DuoCircuitBreaker>
    private let logger: Logger
    private let circuitGauge: Gauge
    private let metrics: DuoClientMetrics
    private let now: @Sendable () -> Int64

    /// - Parameters:
    ///   - metricsFactory: where `twofold_duo_circuit_state` (0 closed, 1 open, 2 half-open) and
    ///     the request counts and times (``DuoClientMetrics``) go.
    ///   - now: seconds since 1970 for the `Date` header and drift checks (tests pass their own).
    public init(
        configuration: DuoClientConfiguration,
        logger: Logger = Logger(label: "twofold.duo"),
        metricsFactory: any MetricsFactory = MetricsSystem.factory,
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }
    ) throws(DuoFailure) {
        self.configuration = configuration
        self.logger = logger
        self.now = now
        self.breaker = Mutex(DuoCircuitBreaker(configuration: configuration.circuitBreaker))
        self.circuitGauge = Gauge(
            label: "twofold_duo_circuit_state", dimensions: [("api_host", configuration.apiHost)], factory: metricsFactory)
        circuitGauge.record(DuoCircuitBreaker.Status.closed.gaugeValue)
        self.metrics = DuoClientMetrics(apiHost: configuration.apiHost, factory: metricsFactory)

        var httpConfiguration = HTTPClient.Configuration()
        if configuration.useTLS {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.minimumTLSVersion = .tlsv12
            tls.certificateVerification = .fullVerification
            switch configuration.trustRoots {
            case .system:
                break
            case .pemFile(let path):
                tls.trustRoots = .file(path)
            case .pem(let text):
                do {
                    tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(text.utf8)))
                } catch {
                    throw DuoFailure(.tls, diagnostic: "the CA certificates for \(configuration.apiHost) are not valid PEM: \(error)")
                }
            }
            httpConfiguration.tlsConfiguration = tls
        }
        // Without this a refused connection or a TLS failure is retried until the connect timeout.
        httpConfiguration.connectionPool.retryConnectionEstablishment = false
        httpConfiguration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = configuration.connectionLimit
        httpConfiguration.timeout = .init(
            connect: .nanoseconds(configuration.connectTimeout.nanoseconds),
            read: .nanoseconds(configuration.apiTimeout.nanoseconds))
        httpConfiguration.redirectConfiguration = .disallow
        if let proxy = configuration.httpProxy {
            httpConfiguration.proxy = .server(host: proxy.host, port: proxy.port)
        }
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)
        // HTTP/1.1 only: over HTTP/2 the pool waits for a free stream on its one connection, and
        // servers allow about 100 streams, so pushes beyond that would wait for others to finish.
        httpConfiguration.httpVersion = .http1Only
        httpConfiguration.timeout.read = .nanoseconds(max(configuration.apiTimeout, configuration.authTimeout).nanoseconds)
        let shards = max(1, (configuration.statusConnectionLimit + Self.statusShardSize - 1) / Self.statusShardSize)
        httpConfiguration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit =
            max(1, (configuration.statusConnectionLimit + shards - 1) / shards)
        statusHTTP = (0..<shards).map { _ in HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration) }
    }

    /// Closes the pooled connections. Call once, when the client is no longer used.
    public func shutdown() async throws {
        // Together: one by one, 65 pools take seconds on a loaded machine, out of the stop's grace.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in [http] + statusHTTP { group.addTask { try await client.shutdown() } }
            try await group.waitForAll()
        }
    }

    /// The circuit breaker's state.
    public var circuitStatus: DuoCircuitBreaker.Status { breaker.withLock { $0.status } }

    // MARK: Endpoints

    /// `GET /auth/v2/ping`: whether Duo answers at all (unsigned). Returns Duo's time.
    public func ping() async throws(DuoFailure) -> Int64 {
        let answer = try await call(.GET, "/auth/v2/ping", [:], signed: false)
        return try DuoResponseDecoder.time(status: answer.status, body: answer.body, endpoint: "/auth/v2/ping")
    }

    /// `GET /auth/v2/check`: whether the keys are valid, and how far our clock is from Duo's.
    public func check() async throws(DuoFailure) -> DuoCheckResult {
        let answer = try await call(.GET, "/auth/v2/check", [:])
        let serverTime = try DuoResponseDecoder.time(status: answer.status, body: answer.body, endpoint: "/auth/v2/check")
        let result = DuoCheckResult(serverTime: serverTime, drift: serverTime - now())
        if result.driftIsExcessive {
            logger.warning("this machine's clock is off from Duo's", metadata: [
                "api_host": "\(configuration.apiHost)", "drift_seconds": "\(result.drift)",
                "what_to_do": "synchronise the clock (NTP); Duo refuses requests whose Date is too far off",
            ])
        }
        return result
    }

    /// `POST /auth/v2/preauth`.
    public func preauth(username: String, ipAddress: String? = nil) async throws(DuoFailure) -> DuoPreauthResult {
        var parameters = ["username": username]
        if let ipAddress { parameters["ipaddr"] = ipAddress }
        let answer = try await call(.POST, "/auth/v2/preauth", parameters)
        return try DuoResponseDecoder.preauth(status: answer.status, body: answer.body)
    }

    /// `POST /auth/v2/auth` (with `async=1` for push, phone and auto), then `GET /auth/v2/auth_status`
    /// until the user answered or `authTimeout` ran out. A user who never answers is a `.deny` with
    /// status `timeout`: Duo itself answered, so failmode does not apply.
    public func auth(_ request: DuoAuthRequest) async throws(DuoFailure) -> DuoAuthResult {
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.authTimeout
        let timedOut = DuoAuthResult.deny(
            message: "Login request timed out: no answer within \(configuration.authTimeout).", status: "timeout")
        let answer = try await call(.POST, "/auth/v2/auth", request.parameters)
        var progress = try DuoResponseDecoder.auth(status: answer.status, body: answer.body)
        var txid = ""
        while true {
            switch progress {
            case .done(let result):
                return result
            case .started(let id):
                txid = id
            case .waiting:
                break
            }
            // Duo answers, the user does not: that is a denied login, never a Duo failure that
            // failmode=safe could turn into an allow.
            guard clock.now < deadline else { return timedOut }
            let started = clock.now
            // A long-poll lasts until the user answers: its deadline is the authentication's,
            // not api_timeout's, and running out of it is the user's timeout, not a Duo failure.
            let status: Answer
            do {
                status = try await call(.GET, "/auth/v2/auth_status", ["txid": txid],
                                        longPoll: max(configuration.apiTimeout, deadline - clock.now))
            } catch where error.kind == .timeout && clock.now >= deadline {
                return timedOut
            }
            progress = try DuoResponseDecoder.auth(status: status.status, body: status.body, endpoint: "/auth/v2/auth_status")
            // Duo long-polls auth_status; a server that answers "waiting" at once is not asked
            // again sooner than every 500 ms.
            if case .waiting = progress, clock.now - started < .milliseconds(500) {
                try? await Task.sleep(until: started + .milliseconds(500), clock: clock)
            }
        }
    }

    // MARK: Transport

    struct Answer: Sendable {
        var status: Int
        var body: [UInt8]
    }

    /// One API call through the circuit breaker, with 429 retries. A `longPoll` call (auth_status)
    /// goes through the long-poll pools with that deadline instead of `api_timeout`.
    func call(_ method: HTTPMethod, _ path: String, _ parameters: [String: String], signed: Bool = true,
              longPoll: Duration? = nil) async throws(DuoFailure) -> Answer
    {
        let clock = ContinuousClock()
        let (decision, transition) = breaker.withLock { $0.decide(now: clock.now) }
        publish(transition)
        switch decision {
        case .proceed:
            break
        case .failFast(let retryAfter):
            throw DuoFailure(
                .circuitOpen,
                diagnostic: "Duo at \(configuration.apiHost) failed repeatedly; calls fail at once for \(retryAfter) more before a probe")
        case .probe:
            do {
                _ = try await send(.GET, "/auth/v2/ping", [:], signed: false)
                publish(breaker.withLock { $0.recordSuccess() })
            } catch {
                publish(breaker.withLock { $0.recordFailure(now: clock.now) })
                throw DuoFailure(
                    .circuitOpen, diagnostic: "Duo at \(configuration.apiHost) is still failing (probe: \(error.diagnostic))")
            }
        }

        var backoff = configuration.initialBackoff
        var attempt = 0
        while true {
            let answer: Answer
            do {
                answer = try await send(method, path, parameters, signed: signed, longPoll: longPoll)
            } catch {
                if error.countsAgainstCircuit { publish(breaker.withLock { $0.recordFailure(now: clock.now) }) }
                throw error
            }
            if (500..<600).contains(answer.status) {
                publish(breaker.withLock { $0.recordFailure(now: clock.now) })
            } else {
                publish(breaker.withLock { $0.recordSuccess() })
            }
            guard answer.status == 429, attempt < configuration.rateLimitRetries else { return answer }
            attempt += 1
            // Full jitter (AWS architecture blog): a random wait up to the current backoff.
            let wait = Duration.nanoseconds(Int64.random(in: backoff.nanoseconds / 2...max(backoff.nanoseconds / 2, backoff.nanoseconds)))
            logger.notice("Duo rate-limited a request; retrying", metadata: [
                "path": "\(path)", "attempt": "\(attempt)", "wait_ms": "\(wait.nanoseconds / 1_000_000)",
            ])
            try? await Task.sleep(for: wait)
            backoff = min(backoff * 2, .seconds(32))
        }
    }

    /// Builds, signs and sends one request; classifies transport failures.
    private func send(_ method: HTTPMethod, _ path: String, _ parameters: [String: String], signed: Bool,
                      longPoll: Duration? = nil) async throws(DuoFailure) -> Answer
    {
        let date = DuoDate.format(secondsSince1970: now())
        let version = configuration.signatureVersion
        let query = method == .GET ? DuoSignature.canonicalParameters(parameters) : ""
        var body: [UInt8] = []
        var contentType: String?
        var signedParameters = parameters
        if method != .GET {
            switch version {
            case .v4, .v5:
                body = DuoCanonicalJSON.encode(parameters)
                signedParameters = [:]
                contentType = "application/json"
            case .v2:
                body = Array(DuoSignature.canonicalParameters(parameters).utf8)
                contentType = "application/x-www-form-urlencoded"
            }
        }
        var request = HTTPClientRequest(url: configuration.baseURL + path + (query.isEmpty ? "" : "?" + query))
        request.method = method
        request.headers.add(name: "Date", value: date)
        request.headers.add(name: "User-Agent", value: configuration.userAgent)
        request.headers.add(name: "Host", value: configuration.apiHost)
        if signed {
            let signedRequest = DuoSignedRequest(
                method: method.rawValue, host: configuration.apiHost, path: path, parameters: signedParameters,
                date: date, body: version == .v2 ? [] : body)
            request.headers.add(name: "Authorization", value: DuoSignature.authorization(
                integrationKey: configuration.integrationKey, secretKey: configuration.secretKey,
                request: signedRequest, version: version, digest: configuration.signatureDigest))
        }
        if let contentType {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let started = ContinuousClock.now
        do {
            let client = longPoll == nil
                ? http : statusHTTP[Int(nextStatusShard.wrappingAdd(1, ordering: .relaxed).oldValue % UInt(statusHTTP.count))]
            let timeout = longPoll ?? configuration.apiTimeout
            let response = try await client.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
            let collected = try await response.body.collect(upTo: 1 << 20)
            let status = Int(response.status.code)
            metrics.record(path: path, outcome: DuoClientMetrics.outcome(status: status), duration: .now - started)
            return Answer(status: status, body: Array(collected.readableBytesView))
        } catch {
            let failure = DuoTransportErrors.classify(error, host: configuration.apiHost, port: configuration.apiPort, path: path)
            metrics.record(path: path, outcome: "\(failure.kind)", duration: .now - started)
            throw failure
        }
    }

    private func publish(_ transition: DuoCircuitBreaker.Transition?) {
        guard let transition else { return }
        circuitGauge.record(transition.to.gaugeValue)
        let metadata: Logger.Metadata = [
            "api_host": "\(configuration.apiHost)", "from": "\(transition.from.rawValue)",
            "to": "\(transition.to.rawValue)", "consecutive_failures": "\(transition.consecutiveFailures)",
        ]
        switch transition.to {
        case .open: logger.error("Duo circuit breaker opened: calls fail at once until a probe succeeds", metadata: metadata)
        case .halfOpen: logger.notice("Duo circuit breaker probing", metadata: metadata)
        case .closed: logger.notice("Duo circuit breaker closed: Duo answers again", metadata: metadata)
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
