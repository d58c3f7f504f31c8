import AsyncHTTPClient
import DuoSim
import Foundation
import NIOCore
import Testing

/// Every fault kind seen from an HTTP client, per path and global, set through `/sim/v1/faults`
/// and in process, and cleared by DELETE.
@Suite struct FaultTests {
    @Test(.timeLimit(.minutes(1)))
    func downClosesTheConnectionWithoutAnAnswer() async throws {
        try await SimHarness.with { sim async throws in
            sim.server.setFault(.down(path: "/auth/v2/check"))
            do {
                _ = try await sim.send(sim.signed(.GET, "/auth/v2/check"), timeout: .seconds(20))
                Issue.record("a request to a down path was answered")
            } catch {
                // Closed by the server, not given up on by the client.
                #expect(error as? HTTPClientError != .deadlineExceeded, "\(error)")
                #expect(error as? HTTPClientError == .remoteConnectionClosed, "\(error)")
            }
            // Another path is untouched.
            #expect(try await sim.send(sim.signed(.POST, "/auth/v2/preauth", ["username": "alice"])).status == 200)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func hangNeverAnswers() async throws {
        try await SimHarness.with { sim async throws in
            sim.server.setFault(.hang(path: "/auth/v2/preauth"))
            let started = ContinuousClock.now
            do {
                _ = try await sim.send(sim.signed(.POST, "/auth/v2/preauth", ["username": "alice"]), timeout: .milliseconds(500))
                Issue.record("a hung request was answered")
            } catch let error as HTTPClientError {
                #expect(error == .deadlineExceeded)
            }
            #expect(ContinuousClock.now - started >= .milliseconds(450))
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func delayAnswersNormallyAfterTheDelay() async throws {
        try await SimHarness.with { sim async throws in
            let added = try await sim.send(sim.plain(.POST, "/sim/v1/faults",
                                                     body: #"{"kind":"delay","ms":400,"path":"/auth/v2/check"}"#))
            #expect(added.status == 200)
            let started = ContinuousClock.now
            let answer = try await sim.send(sim.signed(.GET, "/auth/v2/check"))
            #expect(ContinuousClock.now - started >= .milliseconds(400))
            #expect(answer.status == 200)
            #expect(answer.json["stat"] as? String == "OK")
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func statusAnswersWithADuoErrorBody() async throws {
        try await SimHarness.with { sim async throws in
            sim.server.setFault(.status(503))
            let answer = try await sim.send(sim.signed(.POST, "/auth/v2/auth", ["username": "alice", "factor": "push"]))
            #expect(answer.status == 503)
            #expect(answer.json["stat"] as? String == "FAIL")
            #expect(answer.code == 50300)
            #expect(answer.json["message"] as? String == "Service Unavailable")
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func malformedAnswers200WithABodyThatIsNotJSON() async throws {
        try await SimHarness.with { sim async throws in
            sim.server.setFault(.malformed(path: "/auth/v2/preauth"))
            let answer = try await sim.send(sim.signed(.POST, "/auth/v2/preauth", ["username": "alice"]))
            #expect(answer.status == 200)
            #expect((try? JSONSerialization.jsonObject(with: Data(answer.body.utf8))) == nil)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func pathFaultsWinOverGlobalOnesAndDeleteClears() async throws {
        try await SimHarness.with { sim async throws in
            for body in [#"{"kind":"status","status":500}"#, #"{"kind":"status","status":429,"path":"/auth/v2/check"}"#] {
                #expect(try await sim.send(sim.plain(.POST, "/sim/v1/faults", body: body)).status == 200)
            }
            let listed = try await sim.send(sim.plain(.GET, "/sim/v1/faults"))
            #expect((listed.json["faults"] as? [Any])?.count == 2)
            #expect(try await sim.send(sim.signed(.GET, "/auth/v2/check")).status == 429)
            #expect(try await sim.send(sim.signed(.POST, "/auth/v2/preauth", ["username": "alice"])).status == 500)
            // Unsigned ping is a Duo path too: the global fault applies.
            #expect(try await sim.send(sim.plain(.GET, "/auth/v2/ping")).status == 500)

            #expect(try await sim.send(sim.plain(.DELETE, "/sim/v1/faults?path=%2Fauth%2Fv2%2Fcheck")).status == 200)
            #expect(try await sim.send(sim.signed(.GET, "/auth/v2/check")).status == 500)
            #expect(try await sim.send(sim.plain(.DELETE, "/sim/v1/faults")).status == 200)
            #expect(sim.server.faults().isEmpty)
            #expect(try await sim.send(sim.signed(.GET, "/auth/v2/check")).status == 200)
            #expect(sim.server.stats().endpoints["/auth/v2/check"]?.faults == 2)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func invalidFaultsAreRefusedWithAReason() async throws {
        try await SimHarness.with { sim async throws in
            for body in [#"{"kind":"explode"}"#, #"{"kind":"delay"}"#, #"{"kind":"status","status":200}"#,
                         #"{"kind":"down","path":"auth"}"#, "not json"] {
                let answer = try await sim.send(sim.plain(.POST, "/sim/v1/faults", body: body))
                #expect(answer.status == 400, "\(body)")
                #expect((answer.json["error"] as? String)?.isEmpty == false)
            }
            #expect(sim.server.faults().isEmpty)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func faultsWorkOverTLS() async throws {
        try await SimHarness.with(tls: true) { sim async throws in
            #expect(try await sim.send(sim.signed(.GET, "/auth/v2/check")).status == 200)
            sim.server.setFault(.status(502, path: "/auth/v2/check"))
            #expect(try await sim.send(sim.signed(.GET, "/auth/v2/check")).status == 502)
            sim.server.clearFaults()
            #expect(try await sim.send(sim.signed(.GET, "/auth/v2/check")).status == 200)
        }
    }
}
