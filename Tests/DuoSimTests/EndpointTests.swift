import AsyncHTTPClient
import DuoAPI
import DuoSim
import Foundation
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

/// Signature and Date checks, parameters, the answers of each endpoint, and the counters.
@Suite struct EndpointTests {
    @Test(.timeLimit(.minutes(1)))
    func credentialsAndDatesAreCheckedLikeDuo() async throws {
        try await SimHarness.with { sim async throws in
            var unsigned = sim.plain(.GET, "/auth/v2/check")
            #expect(try await sim.send(unsigned).code == 40101)
            unsigned.headers.add(name: "Authorization", value: "Bearer nothing")
            #expect(try await sim.send(unsigned).code == 40101)

            let unknown = try await sim.send(sim.signed(.GET, "/auth/v2/check", ikey: "DIUNKNOWN", skey: "x"))
            #expect(unknown.status == 401)
            #expect(unknown.code == 40102)

            let wrong = try await sim.send(sim.signed(.GET, "/auth/v2/check", skey: "wrong"))
            #expect(wrong.status == 401)
            #expect(wrong.code == 40103)
            #expect(wrong.json["message"] as? String == "Invalid signature in request credentials")

            var noDate = sim.signed(.GET, "/auth/v2/check")
            noDate.headers.remove(name: "Date")
            let missingDate = try await sim.send(noDate)
            #expect(missingDate.status == 401)
            #expect(missingDate.code == 40104)

            let now = Int64(Date().timeIntervalSince1970)
            // 10 s beyond the 300 s allowed: a loaded machine may take a second or more between
            // signing and checking, which at 301 s made the +301 case pass the check.
            for skew: Int64 in [-310, 310, -86_400 * 30] {
                let skewed = try await sim.send(sim.signed(.GET, "/auth/v2/check", date: DuoDate.format(secondsSince1970: now + skew)))
                #expect(skewed.status == 401, "skew \(skew)")
                #expect(skewed.code == 40105, "skew \(skew)")
            }
            let within = try await sim.send(sim.signed(.GET, "/auth/v2/check", date: DuoDate.format(secondsSince1970: now - 290)))
            #expect(within.status == 200)
            let garbled = try await sim.send(sim.signed(.GET, "/auth/v2/check", date: "yesterday at noon"))
            #expect(garbled.code == 40105)

            // A signature over other parameters than those sent.
            var tampered = sim.signed(.POST, "/auth/v2/preauth", ["username": "alice"])
            tampered.body = .bytes(ByteBuffer(string: #"{"username":"mallory"}"#))
            #expect(try await sim.send(tampered).code == 40103)

            let stats = sim.server.stats()
            #expect(stats.integrations["DIUNKNOWN"]?.rejected == 1)
            #expect(stats.integrations[SimHarness.ikey]?.rejected == 7)
            #expect(stats.endpoints["/auth/v2/check"]?.statuses["401"] == 9)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func parametersAndPathsAreValidated() async throws {
        try await SimHarness.with { sim async throws in
            func detail(_ request: HTTPClientRequest) async throws -> (Int, Int?, String?) {
                let answer = try await sim.send(request)
                return (answer.status, answer.code, answer.json["message_detail"] as? String)
            }
            #expect(try await detail(sim.signed(.POST, "/auth/v2/preauth")) == (400, 40002, "username"))
            #expect(try await detail(sim.signed(.POST, "/auth/v2/preauth", ["username": "a", "ipaddr": "not-an-ip"]))
                == (400, 40002, "ipaddr"))
            #expect(try await detail(sim.signed(.POST, "/auth/v2/auth", ["username": "alice"])) == (400, 40002, "factor"))
            #expect(try await detail(sim.signed(.POST, "/auth/v2/auth", ["username": "alice", "factor": "carrier-pigeon"]))
                == (400, 40002, "factor"))
            #expect(try await detail(sim.signed(.POST, "/auth/v2/auth", ["username": "alice", "factor": "passcode"]))
                == (400, 40002, "passcode"))
            #expect(try await detail(sim.signed(.POST, "/auth/v2/auth", ["username": "alice", "factor": "push", "device": "DPNOPE"]))
                == (400, 40002, "device"))
            #expect(try await detail(sim.signed(.GET, "/auth/v2/auth_status")) == (400, 40002, "txid"))
            #expect(try await detail(sim.signed(.GET, "/auth/v2/auth_status", ["txid": "nope"])) == (400, 40002, "txid"))
            #expect(try await sim.send(sim.signed(.GET, "/auth/v2/nothing")).status == 404)
            #expect(try await sim.send(sim.signed(.POST, "/auth/v2/check")).status == 405)
            let ping = try await sim.send(sim.plain(.GET, "/auth/v2/ping"))
            #expect(ping.status == 200)
            #expect(ping.response["time"] is Int)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func pushOutcomesTOTPAndPreauthResults() async throws {
        // 3 s: a loaded machine still polls the async push below before it times out.
        try await SimHarness.with(pushTimeout: .seconds(3)) { sim async throws in
            let never = try await sim.send(sim.signed(.POST, "/auth/v2/auth", ["username": "carol", "factor": "push", "device": "auto"]))
            #expect(never.response["result"] as? String == "deny")
            #expect(never.response["status"] as? String == "timeout")

            let phone = try await sim.send(sim.signed(.POST, "/auth/v2/auth", ["username": "alice", "factor": "phone"]))
            #expect(phone.response["result"] as? String == "allow")

            let totp = try #require(TOTP(base32: SimHarness.totpSecret))
            let code = totp.code(at: Int64(Date().timeIntervalSince1970))
            let right = try await sim.send(sim.signed(.POST, "/auth/v2/auth", ["username": "frank", "factor": "passcode", "passcode": code]))
            #expect(right.response["result"] as? String == "allow")
            let stale = totp.code(at: Int64(Date().timeIntervalSince1970) - 120)
            let old = try await sim.send(sim.signed(.POST, "/auth/v2/auth", ["username": "frank", "factor": "passcode", "passcode": stale]))
            #expect(old.response["result"] as? String == "deny")
            // frank has only a token: no push.
            let push = try await sim.send(sim.signed(.POST, "/auth/v2/auth", ["username": "frank", "factor": "push"]))
            #expect(push.code == 40002)

            let bypass = try await sim.send(sim.signed(.POST, "/auth/v2/auth", ["username": "dave", "factor": "push"]))
            #expect(bypass.response["result"] as? String == "allow")
            let disabled = try await sim.send(sim.signed(.POST, "/auth/v2/auth", ["username": "erin", "factor": "push"]))
            #expect(disabled.response["result"] as? String == "deny")

            // Async "never": waiting until the push timeout, then timeout.
            let started = try await sim.send(sim.signed(.POST, "/auth/v2/auth",
                                                        ["username": "carol", "factor": "push", "async": "1"]))
            let txid = try #require(started.response["txid"] as? String)
            let first = try await sim.send(sim.signed(.GET, "/auth/v2/auth_status", ["txid": txid]))
            #expect(first.response["result"] as? String == "waiting")
            try await Wait.until("the unanswered push times out", timeout: .seconds(20)) {
                let status = try await sim.send(sim.signed(.GET, "/auth/v2/auth_status", ["txid": txid]))
                return status.response["status"] as? String == "timeout"
            }
            // Another integration cannot poll it.
            let foreign = try await sim.send(sim.signed(.GET, "/auth/v2/auth_status", ["txid": txid],
                                                        ikey: SimHarness.otherIkey, skey: SimHarness.otherSkey))
            #expect(foreign.code == 40002)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func countersPerEndpointIntegrationAndUser() async throws {
        try await SimHarness.with { sim async throws in
            _ = try await sim.send(sim.signed(.POST, "/auth/v2/preauth", ["username": "alice"]))
            _ = try await sim.send(sim.signed(.POST, "/auth/v2/preauth", ["username": "alice"], ikey: SimHarness.otherIkey,
                                              skey: SimHarness.otherSkey))
            _ = try await sim.send(sim.signed(.POST, "/auth/v2/auth", ["username": "alice", "factor": "passcode", "passcode": "123456"]))
            _ = try await sim.send(sim.signed(.POST, "/auth/v2/auth", ["username": "bob", "factor": "push"]))
            _ = try await sim.send(sim.signed(.POST, "/auth/v2/auth", ["username": "held", "factor": "push", "async": "1"]))
            _ = try await sim.send(sim.plain(.GET, "/auth/v2/ping"))

            let answer = try await sim.send(sim.plain(.GET, "/sim/v1/stats"))
            #expect(answer.status == 200)
            let stats = try JSONDecoder().decode(DuoSimStats.self, from: Data(answer.body.utf8))
            // held's push stays pending for 45 s: both reads see the same counters.
            #expect(stats == sim.server.stats())
            #expect(stats.endpoints["/auth/v2/preauth"]?.requests == 2)
            #expect(stats.endpoints["/auth/v2/preauth"]?.statuses["200"] == 2)
            #expect(stats.endpoints["/auth/v2/auth"]?.requests == 3)
            #expect(stats.endpoints["/auth/v2/ping"]?.requests == 1)
            #expect(stats.endpoints["/sim/v1/stats"] == nil)
            #expect(stats.integrations[SimHarness.ikey]?.requests == 4)
            #expect(stats.integrations[SimHarness.otherIkey]?.requests == 1)
            #expect(stats.users["alice"] == DuoSimStats.User(preauth: 2, auth: 1, push: 0, pendingPushes: 0))
            #expect(stats.users["bob"] == DuoSimStats.User(preauth: 0, auth: 1, push: 1, pendingPushes: 0))
            #expect(stats.users["held"]?.pendingPushes == 1)
            #expect(stats.pendingPushes == 1)
            #expect(answer.body.contains("\"pending_pushes\""))
        }
    }
}
