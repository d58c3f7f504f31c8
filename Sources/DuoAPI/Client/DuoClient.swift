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
    /// `auth_status` only: Duo holds each poll until the user answers (``DuoStatusPools``).
    private let statusPools: DuoStatusPools
    private let breaker: Mutex<DuoCircuitBreaker>
    private let logger: Logger
    private let circuitGauge: Gauge
    private let metrics: DuoClientMetrics
    private let now: @Sendable () -> Int64
    /// `https://host:port`, built once.
    private let baseURL: String
    /// The requests without a query (preauth, auth, check, ping), their URLs parsed once; each
    /// call adds its headers and body to a copy. AsyncHTTPClient parses the URL of every request
    /// it is given: ~2% of a login's CPU.
    private let requestTemplates: [String: HTTPClient.Request]

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
        self.baseURL = configuration.baseURL
        var requestTemplates: [String: HTTPClient.Request] = [:]
        for (method, path) in [(HTTPMethod.POST, "/auth/v2/preauth"), (.POST, "/auth/v2/auth"), (.GET, "/auth/v2/check"), (.GET, "/auth/v2/ping")] {
            // A URL that does not parse fails on each call instead, where it is classified.
            requestTemplates[path] = try? HTTPClient.Request(url: baseURL + path, method: method)
        }
        self.requestTemplates = requestTemplates
        self.breaker = Mutex(DuoCircuitBreaker(configuration: configuration.circuitBreaker))
        self.circuitGauge = Gauge(
            label: "twofold_duo_circuit_state", dimensions: [("api_host", configuration.apiHost)], factory: metricsFactory)
        circuitGauge.record(DuoCircuitBreaker.Status.closed.gaugeValue)
        self.metrics = DuoClientMetrics(apiHost: configuration.apiHost, factory: metricsFactory)

        let httpConfiguration = try Self.httpConfiguration(configuration)
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)
        statusPools = DuoStatusPools(configuration: httpConfiguration, limit: configuration.statusConnectionLimit)
    }

    /// The AsyncHTTPClient configuration of the short calls (the long-poll pools start from it),
    /// also what the benchmarks measure AsyncHTTPClient with.
    public static func httpConfiguration(_ configuration: DuoClientConfiguration) throws(DuoFailure) -> HTTPClient.Configuration {
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
        // Every call has a deadline (`execute`): api_timeout, or a long-poll's own. A read timeout
        // as well would only arm and cancel a second timer per request, never firing first.
        httpConfiguration.timeout = .init(connect: .nanoseconds(configuration.connectTimeout.nanoseconds), read: nil)
        httpConfiguration.redirectConfiguration = .disallow
        // No distributed tracing here: the default (swift-distributed-tracing's no-op tracer)
        // still builds a span with its attributes for every request, ~3% of a Duo call's CPU.
        httpConfiguration.tracing.tracer = nil
        if let proxy = configuration.httpProxy {
            httpConfiguration.proxy = .server(host: proxy.host, port: proxy.port)
        }
        // HTTP/1.1 for the short calls even where Duo offers HTTP/2: a pool of keep-alive
        // connections spreads them over the event loops (one HTTP/2 connection is one loop, one
        // core), and never waits for a stream behind long-polls.
        httpConfiguration.httpVersion = .http1Only
        return httpConfiguration
    }

    /// Closes the pooled connections. Call once, when the client is no longer used.
    public func shutdown() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.http.shutdown() }
            group.addTask { try await self.statusPools.shutdown() }
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
    ///
    /// Once Duo has taken the request (a transaction ID), the user is being asked. A poll that
    /// fails on the way (a reset long-poll connection, a 5xx) is asked again, up to
    /// `pollRetries` times in a row within the deadline, before the failure goes to failmode:
    /// with `failmode=safe` it would let in a login whose push the user may be denying.
    public func auth(_ request: DuoAuthRequest) async throws(DuoFailure) -> DuoAuthResult {
        let clock = ContinuousClock()
        let deadline = clock.now + configuration.authTimeout
        let timedOut = DuoAuthResult.deny(
            message: "Login request timed out: no answer within \(configuration.authTimeout).", status: "timeout")
        let answer = try await call(.POST, "/auth/v2/auth", request.parameters)
        var progress = try DuoResponseDecoder.auth(status: answer.status, body: answer.body)
        var txid = ""
        var pollFailures = 0
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
            do {
                let status = try await call(.GET, "/auth/v2/auth_status", ["txid": txid],
                                            longPoll: max(configuration.apiTimeout, deadline - clock.now))
                progress = try DuoResponseDecoder.auth(status: status.status, body: status.body, endpoint: "/auth/v2/auth_status")
                pollFailures = 0
            } catch where error.kind == .timeout && clock.now >= deadline {
                return timedOut
            } catch where pollFailures < configuration.pollRetries && error.failmodeClass == .unavailable
                && error.kind != .circuitOpen && clock.now + configuration.pollRetryPause < deadline
            {
                pollFailures += 1
                pollFailed(error, txid: txid, attempt: pollFailures)
                try? await Task.sleep(for: configuration.pollRetryPause)
                continue
            }
            // Duo long-polls auth_status; a server that answers "waiting" at once is not asked
            // again sooner than every 500 ms.
            if case .waiting = progress, clock.now - started < .milliseconds(500) {
                try? await Task.sleep(until: started + .milliseconds(500), clock: clock)
            }
        }
    }

    @inline(never)
    private func pollFailed(_ failure: DuoFailure, txid: String, attempt: Int) {
        logger.notice("Duo's auth_status failed while the user is being asked; polling the transaction again", metadata: [
            "api_host": "\(configuration.apiHost)", "txid": "\(txid)", "attempt": "\(attempt)",
            "failure": "\(failure.kind)", "diagnostic": "\(failure.diagnostic)",
        ])
    }

    // MARK: Transport

    struct Answer: Sendable {
        var status: Int
        var body: [UInt8]
    }

    /// One API call through the circuit breaker, with 429 retries. A `longPoll` call (auth_status)
    /// goes through the long-poll pools with that deadline instead of `api_timeout`.
    @inline(never)
    func call(_ method: HTTPMethod, _ path: String, _ parameters: [String: String], signed: Bool = true,
              longPoll: Duration? = nil) async throws(DuoFailure) -> Answer
    {
        try await admit()
        var backoff = configuration.initialBackoff
        var attempt = 0
        while true {
            let answer: Answer
            do {
                answer = try await send(method, path, parameters, signed: signed, longPoll: longPoll)
            } catch {
                if error.countsAgainstCircuit { recordFailure() }
                throw error
            }
            if (500..<600).contains(answer.status) { recordFailure() } else { publish(breaker.withLock { $0.recordSuccess() }) }
            guard answer.status == 429, attempt < configuration.rateLimitRetries else { return answer }
            attempt += 1
            try? await Task.sleep(for: rateLimited(path: path, attempt: attempt, backoff: backoff))
            backoff = min(backoff * 2, .seconds(32))
        }
    }

    /// The circuit breaker's decision for one call: go on, fail fast, or probe Duo first (only
    /// then is there anything to wait for: the check itself is synchronous, so that the common
    /// case adds no async frame under every call).
    private func admit() async throws(DuoFailure) {
        if try admission() { try await probe() }
    }

    /// True when Duo must be probed before the call; throws when the circuit is open.
    @inline(never)
    private func admission() throws(DuoFailure) -> Bool {
        let (decision, transition) = breaker.withLock { $0.decide(now: ContinuousClock.now) }
        publish(transition)
        switch decision {
        case .proceed:
            return false
        case .failFast(let retryAfter):
            throw DuoFailure(
                .circuitOpen,
                diagnostic: "Duo at \(configuration.apiHost) failed repeatedly; calls fail at once for \(retryAfter) more before a probe")
        case .probe:
            return true
        }
    }

    /// The half-open circuit's probe: one unsigned ping decides whether calls go through again.
    @inline(never)
    private func probe() async throws(DuoFailure) {
        do {
            _ = try await send(.GET, "/auth/v2/ping", [:], signed: false)
            publish(breaker.withLock { $0.recordSuccess() })
        } catch {
            recordFailure()
            throw DuoFailure(
                .circuitOpen, diagnostic: "Duo at \(configuration.apiHost) is still failing (probe: \(error.diagnostic))")
        }
    }

    private func recordFailure() {
        publish(breaker.withLock { $0.recordFailure(now: ContinuousClock.now) })
    }

    /// How long to wait before retrying a rate-limited call: full jitter (AWS architecture blog),
    /// a random wait up to the current backoff.
    @inline(never)
    private func rateLimited(path: String, attempt: Int, backoff: Duration) -> Duration {
        let wait = Duration.nanoseconds(Int64.random(in: backoff.nanoseconds / 2...max(backoff.nanoseconds / 2, backoff.nanoseconds)))
        logger.notice("Duo rate-limited a request; retrying", metadata: [
            "path": "\(path)", "attempt": "\(attempt)", "wait_ms": "\(wait.nanoseconds / 1_000_000)",
        ])
        return wait
    }

    /// Builds, signs and sends one request; classifies transport failures.
    ///
    /// Not inlined, and the request built and started by a synchronous function: a pending push
    /// keeps this call chain suspended for as long as the user takes, and every local an async
    /// function holds is in its task's frame for that time (10,000 pending pushes made these
    /// frames ~7 KB each when everything was inlined into `auth`). While it waits, this frame holds
    /// the started request (a reference), not the request itself (376 bytes, with its TLS
    /// configuration).
    @inline(never)
    private func send(_ method: HTTPMethod, _ path: String, _ parameters: [String: String], signed: Bool,
                      longPoll: Duration? = nil) async throws(DuoFailure) -> Answer
    {
        let started = ContinuousClock.now
        do {
            let answer: Answer
            if let longPoll {
                let lease = try statusPools.lease()
                defer { statusPools.release(lease) }
                answer = try await Self.answer(of: start(method, path, parameters, signed: signed, on: lease.pool, timeout: longPoll))
            } else {
                answer = try await Self.answer(of: start(method, path, parameters, signed: signed, on: http, timeout: configuration.apiTimeout))
            }
            metrics.record(path: path, status: answer.status, duration: .now - started)
            return answer
        } catch {
            let failure = DuoTransportErrors.classify(error, host: configuration.apiHost, port: configuration.apiPort, path: path)
            metrics.record(path: path, failure: failure.kind, duration: .now - started)
            throw failure
        }
    }

    /// Builds and signs one request and hands it to `client`, through the future-based API: the
    /// request's state lives in the client's objects, not in the calling task's frames (see `send`).
    /// The deadline covers the whole answer, head and body.
    @inline(never)
    private func start(_ method: HTTPMethod, _ path: String, _ parameters: [String: String], signed: Bool,
                       on client: HTTPClient, timeout: Duration) throws -> HTTPClient.Task<HTTPClient.Response>
    {
        let request = try makeRequest(method, path, parameters, signed: signed)
        return client.execute(
            request: request, delegate: ResponseAccumulator(request: request, maxBodySize: 1 << 20),
            deadline: .now() + .nanoseconds(timeout.nanoseconds))
    }

    /// Waits for a started request's answer; task cancellation cancels the request.
    private static func answer(of task: HTTPClient.Task<HTTPClient.Response>) async throws -> Answer {
        let response = try await withTaskCancellationHandler {
            try await task.futureResult.get()
        } onCancel: {
            task.cancel()
        }
        return Answer(status: Int(response.status.code), body: response.body.map { Array($0.readableBytesView) } ?? [])
    }

    /// The signed HTTP request of one call.
    @inline(never)
    private func makeRequest(_ method: HTTPMethod, _ path: String, _ parameters: [String: String], signed: Bool) throws -> HTTPClient.Request {
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
        var request: HTTPClient.Request
        if query.isEmpty, let prepared = requestTemplates[path], prepared.method == method {
            request = prepared
        } else {
            request = try HTTPClient.Request(url: baseURL + path + (query.isEmpty ? "" : "?" + query), method: method)
        }
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
            request.body = .bytes(body)
        }
        return request
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
