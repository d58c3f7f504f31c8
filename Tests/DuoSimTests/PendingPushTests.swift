import AsyncHTTPClient
import DuoSim
import Foundation
import NIOCore
import TestSupport
import Testing

/// Many pushes pending at once are only deadlines: no thread (and no task) waits for each.
@Suite(.serialized) struct PendingPushTests {
    @Test(.timeLimit(.minutes(1)))
    func aThousandAsyncPushesPendingAtOnce() async throws {
        try await SimHarness.with(connections: 64) { sim async throws in
            let txids = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<1000 {
                    group.addTask {
                        // Queued behind 64 connections: a loaded machine needs more than the default 10 s.
                        let answer = try await sim.send(sim.signed(.POST, "/auth/v2/auth",
                                                                   ["username": "held", "factor": "push", "async": "1"]),
                                                        timeout: .seconds(40))
                        return answer.response["txid"] as? String ?? ""
                    }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(Set(txids).count == 1000)
            #expect(!txids.contains(""))
            let stats = sim.server.stats()
            #expect(stats.pendingPushes == 1000)
            #expect(stats.users["held"]?.pendingPushes == 1000)
            #expect(stats.users["held"]?.push == 1000)
            for txid in txids.prefix(20) {
                let status = try await sim.send(sim.signed(.GET, "/auth/v2/auth_status", ["txid": txid]))
                #expect(status.response["result"] as? String == "waiting")
            }
            sim.server.engine.clearTransactions()
            #expect(sim.server.stats().pendingPushes == 0)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func twoHundredSynchronousPushesAreHeldConcurrently() async throws {
        try await SimHarness.with(connections: 220) { sim async throws in
            let started = ContinuousClock.now
            async let results = withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<200 {
                    group.addTask {
                        let answer = try await sim.send(sim.signed(.POST, "/auth/v2/auth", ["username": "slow", "factor": "push"]),
                                                        timeout: .seconds(30))
                        return answer.response["result"] as? String ?? "\(answer.status)"
                    }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            try await Wait.until("200 pushes are pending", timeout: .seconds(10)) {
                sim.server.stats().pendingPushes == 200
            }
            let answers = try await results
            #expect(answers.count == 200)
            #expect(answers.allSatisfy { $0 == "allow" })
            // Held together, not one after another (each takes 2.5 s).
            #expect(ContinuousClock.now - started < .seconds(12))
            #expect(sim.server.stats().pendingPushes == 0)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func stopClosesConnectionsWithPendingPushes() async throws {
        let sim = try await SimHarness.start()
        let request = sim.signed(.POST, "/auth/v2/auth", ["username": "held", "factor": "push"])
        async let outcome: Result<SimHarness.Answer, any Error> = {
            do { return .success(try await sim.send(request, timeout: .seconds(20))) } catch { return .failure(error) }
        }()
        try await Wait.until("the push is pending", timeout: .seconds(10)) { sim.server.stats().pendingPushes == 1 }
        let stopped = ContinuousClock.now
        await sim.server.stop()
        if case .success = await outcome { Issue.record("a pending push was answered after stop") }
        #expect(ContinuousClock.now - stopped < .seconds(5))
        try? await sim.client.shutdown()
    }
}
