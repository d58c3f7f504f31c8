import DuoAPI
import DuoSim
import Foundation
import TestSupport
import Testing

/// The DuoAPI client against the simulator over TLS: every preauth and auth result, and every
/// fault with the failure class that failmode will see.
@Suite struct DuoClientAgainstSimulatorTests {
    /// A simulator with the harness's users, and a client of it, both stopped afterwards.
    static func withClient<T>(
        configure: (inout DuoClientConfiguration) -> Void = { _ in },
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) },
        _ body: (DuoClient, DuoSimServer) async throws -> T
    ) async throws -> T {
        try await SimHarness.with(tls: true) { sim in
            var configuration = DuoClientConfiguration(
                integrationKey: SimHarness.ikey, secretKey: SimHarness.skey, apiHost: "127.0.0.1",
                apiPort: sim.server.port, trustRoots: .pem(sim.server.caCertificatePEM ?? ""),
                connectTimeout: .seconds(5), apiTimeout: .seconds(5), authTimeout: .seconds(10),
                initialBackoff: .milliseconds(10))
            configure(&configuration)
            let client = try DuoClient(configuration: configuration, now: now)
            do {
                let result = try await body(client, sim.server)
                try? await client.shutdown()
                return result
            } catch {
                try? await client.shutdown()
                throw error
            }
        }
    }

    /// The failure a call ends with, or nil when it succeeded.
    static func failure(_ call: () async throws -> Void) async -> DuoFailure? {
        do {
            try await call()
            return nil
        } catch let failure as DuoFailure {
            return failure
        } catch {
            Issue.record("the client threw something other than DuoFailure: \(error)")
            return nil
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func pingAndCheckReportDuosTime() async throws {
        try await Self.withClient { client, _ in
            // Generous bounds: on a loaded 2-core machine a request can take seconds.
            let now = Int64(Date().timeIntervalSince1970)
            #expect(abs(try await client.ping() - now) <= 30)
            let check = try await client.check()
            #expect(abs(check.drift) <= 30)
            #expect(!check.driftIsExcessive)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aClockTwoMinutesAheadIsReportedAsDrift() async throws {
        try await Self.withClient(now: { Int64(Date().timeIntervalSince1970) + 120 }) { client, _ in
            let check = try await client.check()
            #expect((-150 ... -90).contains(check.drift))
            #expect(check.driftIsExcessive)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func everyPreauthResult() async throws {
        try await Self.withClient { client, _ in
            guard case .auth(let devices, _) = try await client.preauth(username: "alice", ipAddress: "192.0.2.7") else {
                Issue.record("alice is not asked for a second factor"); return
            }
            #expect(devices.first?.capabilities.contains("push") == true)
            guard case .allow = try await client.preauth(username: "dave") else { Issue.record("dave"); return }
            guard case .deny = try await client.preauth(username: "erin") else { Issue.record("erin"); return }
            guard case .enroll(_, let url) = try await client.preauth(username: "nobody-known") else {
                Issue.record("unknown user"); return
            }
            #expect(url?.isEmpty == false)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func everyAuthOutcome() async throws {
        try await Self.withClient { client, server in
            #expect(try await client.auth(DuoAuthRequest(username: "alice", factor: .push)) == .allow(message: "Success. Logging you in..."))
            guard case .deny(_, let status) = try await client.auth(DuoAuthRequest(username: "bob", factor: .push)) else {
                Issue.record("bob's denied push"); return
            }
            #expect(status == "deny")
            guard case .allow = try await client.auth(DuoAuthRequest(username: "alice", factor: .passcode("123456"))) else {
                Issue.record("alice's passcode"); return
            }
            guard case .deny = try await client.auth(DuoAuthRequest(username: "alice", factor: .passcode("000000"))) else {
                Issue.record("a wrong passcode"); return
            }
            // carol never answers; the simulator's push timeout (1 s) ends it.
            guard case .deny(_, let timeout) = try await client.auth(DuoAuthRequest(username: "carol", factor: .push)) else {
                Issue.record("carol's unanswered push"); return
            }
            #expect(timeout == "timeout")
            #expect(server.stats().users["alice"]?.auth == 3)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aUserWhoNeverAnswersIsDeniedEvenBeforeDuoGivesUp() async throws {
        // The simulator's push timeout (1 s in the harness) is longer than the client's 300 ms:
        // the client stops waiting first, and that must be a deny, not a failure failmode could open.
        try await Self.withClient(configure: { $0.authTimeout = .milliseconds(300) }) { client, _ in
            let result = try await client.auth(DuoAuthRequest(username: "carol", factor: .push))
            guard case .deny(_, let status) = result else { Issue.record("\(result)"); return }
            #expect(status == "timeout")
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aLongPollOutlastsApiTimeoutAndIsNotRepeated() async throws {
        // steady approves after 8 s; api_timeout is 1 s. Duo holds the second auth_status until
        // the answer: that wait belongs to the authentication's deadline, not to api_timeout.
        try await Self.withClient(configure: { $0.apiTimeout = .seconds(1) }) { client, server in
            let result = try await client.auth(DuoAuthRequest(username: "steady", factor: .push))
            #expect(result == .allow(message: "Success. Logging you in..."))
            #expect(server.stats().endpoints["/auth/v2/auth_status"]?.requests == 2, "one waiting, then one held poll")
        }
    }

    /// Once Duo took the push, a failed poll (a 5xx, a reset long-poll connection) is asked
    /// again: handed to failmode, `safe` would let in a login whose push the user may deny.
    @Test(.timeLimit(.minutes(1)), arguments: [
        ("slow", DuoSimFault.status(503, path: "/auth/v2/auth_status"), true),
        ("bob", DuoSimFault.down(path: "/auth/v2/auth_status"), false),
    ])
    func aPollThatFailsAfterThePushWasSentIsAskedAgain(_ user: String, _ fault: DuoSimFault, _ approves: Bool) async throws {
        // A long pause: the fault must be cleared before the retries run out, on a loaded machine too.
        try await Self.withClient(configure: { $0.pollRetryPause = .seconds(2) }) { client, server in
            server.setFault(fault)
            async let result = client.auth(DuoAuthRequest(username: user, factor: .push))
            try await Wait.until("a poll met the fault", timeout: .seconds(30)) {
                (server.stats().endpoints["/auth/v2/auth_status"]?.faults ?? 0) >= 1
            }
            server.clearFaults()
            switch try await result {
            case .allow: #expect(approves, "\(user)'s push was denied, and the login was allowed")
            case .deny(_, let status): #expect(!approves, "\(user)'s push was approved, and the login was denied (\(status))")
            }
            #expect((server.stats().endpoints["/auth/v2/auth_status"]?.requests ?? 0) >= 2)
        }
    }

    /// A poll that keeps failing is Duo's failure after all, for failmode to decide.
    @Test(.timeLimit(.minutes(1)))
    func aPollThatKeepsFailingIsAFailure() async throws {
        try await Self.withClient(configure: { $0.pollRetryPause = .milliseconds(50) }) { client, server in
            server.setFault(.status(503, path: "/auth/v2/auth_status"))
            let failure = await Self.failure { _ = try await client.auth(DuoAuthRequest(username: "slow", factor: .push)) }
            #expect(failure?.kind == .serverError, "\(String(describing: failure))")
            #expect(failure?.failmodeClass == .unavailable)
            #expect(server.stats().endpoints["/auth/v2/auth_status"]?.faults == client.configuration.pollRetries + 1)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func signatureVersionTwoIsAcceptedToo() async throws {
        try await Self.withClient(configure: { $0.signatureVersion = .v2; $0.signatureDigest = .sha1 }) { client, _ in
            guard case .auth = try await client.preauth(username: "alice") else { Issue.record("v2 preauth"); return }
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aWrongSecretKeyIsRefusedNotUnavailable() async throws {
        try await Self.withClient(configure: { $0.secretKey = String(repeating: "x", count: 40) }) { client, _ in
            let failure = await Self.failure { _ = try await client.preauth(username: "alice") }
            #expect(failure?.kind == .clientError)
            #expect(failure?.httpStatus == 401)
            #expect(failure?.duoCode == 40103)
            #expect(failure?.failmodeClass == .refused)
            #expect(client.circuitStatus == .closed)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func httpsGoesThroughTheConfiguredProxyWithConnect() async throws {
        let proxy = try await ConnectProxy.start()
        defer { Task { await proxy.stop() } }
        // Generous timeouts: the TLS connections through the proxy (keep-alive and long-poll) once
        // took longer than the usual 5 s to set up at the start of a cold, parallel test run.
        try await Self.withClient(configure: {
            $0.httpProxy = (host: "127.0.0.1", port: proxy.port)
            $0.connectTimeout = .seconds(30)
            $0.apiTimeout = .seconds(30)
            $0.authTimeout = .seconds(50)
        }) { client, server in
            guard case .auth = try await client.preauth(username: "alice") else { Issue.record("preauth via proxy \(proxy.connects)"); return }
            #expect(try await client.auth(DuoAuthRequest(username: "alice", factor: .push)) == .allow(message: "Success. Logging you in..."))
            #expect(proxy.connects.first == "127.0.0.1:\(server.port)")
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func anUntrustedCertificateIsATLSFailure() async throws {
        try await Self.withClient(configure: { $0.trustRoots = .system }) { client, _ in
            let failure = await Self.failure { _ = try await client.check() }
            #expect(failure?.kind == .tls, "\(String(describing: failure))")
            #expect(failure?.failmodeClass == .unavailable)
        }
    }

    @Test(.timeLimit(.minutes(1)), arguments: [
        (DuoSimFault.status(503), DuoFailure.Kind.serverError, DuoFailure.FailmodeClass.unavailable),
        (.status(500), .serverError, .unavailable),
        (.status(400), .clientError, .refused),
        (.status(403), .clientError, .refused),
        (.malformed(), .unreadableBody, .refused),
        (.down(), .connectionReset, .unavailable),
        (.hang(), .timeout, .unavailable),
    ] as [(DuoSimFault, DuoFailure.Kind, DuoFailure.FailmodeClass)])
    func everyFaultIsClassified(_ fault: DuoSimFault, _ kind: DuoFailure.Kind, _ failmode: DuoFailure.FailmodeClass) async throws {
        // 3 s: long enough for a TLS connection on a loaded CI machine, so only `hang` times out.
        try await Self.withClient(configure: {
            $0.apiTimeout = .seconds(3)
            // Classification only: the breaker (tested below) must not turn the recovery into fail-fast.
            $0.circuitBreaker = .init(failureThreshold: 1_000, coolDown: .seconds(1))
        }) { client, server in
            server.setFault(fault)
            let preauth = await Self.failure { _ = try await client.preauth(username: "alice") }
            #expect(preauth?.kind == kind, "\(fault.kind): \(String(describing: preauth))")
            #expect(preauth?.failmodeClass == failmode)
            let auth = await Self.failure { _ = try await client.auth(DuoAuthRequest(username: "alice", factor: .push)) }
            #expect(auth?.kind == kind)
            server.clearFaults()
            // Answered again once the fault is gone (a loaded machine may need more than one
            // api_timeout for the new connection).
            try await Wait.until("preauth works again after the fault is cleared", timeout: .seconds(30)) {
                if case .auth = try? await client.preauth(username: "alice") { return true }
                return false
            }
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aDelayBelowTheTimeoutIsNoFailure() async throws {
        try await Self.withClient { client, server in
            server.setFault(.delay(milliseconds: 300, path: "/auth/v2/preauth"))
            let started = ContinuousClock.now
            guard case .auth = try await client.preauth(username: "alice") else { Issue.record("delayed preauth"); return }
            #expect(ContinuousClock.now - started >= .milliseconds(300))
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func rateLimitsAreRetriedWithBackoffThenRefused() async throws {
        try await Self.withClient(configure: { $0.rateLimitRetries = 2 }) { client, server in
            server.setFault(.status(429, path: "/auth/v2/preauth"))
            let failure = await Self.failure { _ = try await client.preauth(username: "alice") }
            #expect(failure?.kind == .clientError)
            #expect(failure?.httpStatus == 429)
            #expect(server.stats().endpoints["/auth/v2/preauth"]?.requests == 3)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func theCircuitOpensOnAnOutageFailsFastAndRecoversThroughAProbe() async throws {
        try await Self.withClient(configure: {
            $0.circuitBreaker = .init(failureThreshold: 3, coolDown: .milliseconds(300))
        }) { client, server in
            server.setFault(.status(503))
            for _ in 0..<3 {
                #expect(await Self.failure { _ = try await client.preauth(username: "alice") }?.kind == .serverError)
            }
            #expect(client.circuitStatus == .open)
            let before = server.stats().endpoints["/auth/v2/preauth"]?.requests ?? 0
            let fast = await Self.failure { _ = try await client.preauth(username: "alice") }
            #expect(fast?.kind == .circuitOpen)
            #expect(fast?.failmodeClass == .unavailable)
            #expect(server.stats().endpoints["/auth/v2/preauth"]?.requests == before)  // not attempted

            server.clearFaults()
            try await Wait.until("the cool-down ends and a probe closes the circuit", timeout: .seconds(10)) {
                (try? await client.preauth(username: "alice")) != nil
            }
            #expect(client.circuitStatus == .closed)
            #expect((server.stats().endpoints["/auth/v2/ping"]?.requests ?? 0) >= 1)
        }
    }

    /// Duo long-polls `auth_status`; over HTTP/2 (offered by ALPN) pending pushes share a few
    /// connections, at most 96 polls each, instead of holding one TLS connection each.
    @Test(.timeLimit(.minutes(2)))
    func pendingPushesShareHTTP2ConnectionsInsteadOfHoldingOneEach() async throws {
        try await Self.withClient(configure: {
            $0.apiTimeout = .seconds(30)
            $0.authTimeout = .seconds(60)
            $0.connectionLimit = 16
        }) { client, server in
            let results = try await withThrowingTaskGroup(of: DuoAuthResult.self) { group in
                // Started 20 ms apart (all 120 pushes are still pending together: each takes 8 s), so
                // that the debug build's burst does not stall the event loops other tests share.
                for _ in 0..<120 {
                    group.addTask { try await client.auth(DuoAuthRequest(username: "steady", factor: .push)) }
                    try await Task.sleep(for: .milliseconds(20))
                }
                return try await group.reduce(into: [DuoAuthResult]()) { $0.append($1) }
            }
            #expect(results.count == 120)
            #expect(results.allSatisfy { $0 == .allow(message: "Success. Logging you in...") })
            let stats = server.stats()
            #expect(stats.users["steady"]?.push == 120)
            // 120 polls in flight: 2 pools of at most 96, one HTTP/2 connection each (AsyncHTTPClient
            // may open one more while the first handshakes); the short calls on at most 16 of HTTP/1.1.
            #expect((1...8).contains(stats.http2Connections), "\(stats.http2Connections) HTTP/2 connections")
            #expect(stats.connections - stats.http2Connections <= 16, "\(stats.connections) connections in all")
        }
    }
}
