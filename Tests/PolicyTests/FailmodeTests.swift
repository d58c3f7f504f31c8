import DuoAPI
import Policy
import Testing

/// DESIGN.md's failmode table, row by row, for both failmodes and both Duo calls.
@Suite struct FailmodeTests {
    static let failures: [(DuoFailure, DuoFailure.FailmodeClass)] = [
        (DuoFailure(.connectionRefused, diagnostic: "refused"), .unavailable),
        (DuoFailure(.connectionReset, diagnostic: "reset"), .unavailable),
        (DuoFailure(.tls, diagnostic: "certificate not trusted"), .unavailable),
        (DuoFailure(.dns, diagnostic: "no such host"), .unavailable),
        (DuoFailure(.timeout, diagnostic: "api_timeout"), .unavailable),
        (DuoFailure(.serverError, diagnostic: "HTTP 503", httpStatus: 503), .unavailable),
        (DuoFailure(.circuitOpen, diagnostic: "circuit open"), .unavailable),
        (DuoFailure(.clientError, diagnostic: "HTTP 401", httpStatus: 401, duoCode: 40103, duoMessage: "Invalid signature"), .refused),
        (DuoFailure(.clientError, diagnostic: "HTTP 400", httpStatus: 400, duoCode: 40002), .refused),
        (DuoFailure(.unreadableBody, diagnostic: "not JSON", httpStatus: 200), .refused),
    ]

    struct Row: CustomTestStringConvertible, Sendable {
        var failmode: Failmode
        var failure: DuoFailure
        var failsAt: String
        var testDescription: String { "failmode=\(failmode) \(failure.kind) at \(failsAt)" }
    }

    static let rows: [Row] = Failmode.allCases.flatMap { failmode in
        failures.flatMap { failure, _ in ["preauth", "auth"].map { Row(failmode: failmode, failure: failure, failsAt: $0) } }
    }

    @Test(arguments: rows)
    func eachRowOfTheTable(_ row: Row) async throws {
        var script = FakeDuo.Script()
        if row.failsAt == "preauth" {
            script.preauth = .failure(row.failure)
        } else {
            script.auth = { _ in .failure(row.failure) }
        }
        let harness = Harness(section: Harness.section(failmode: row.failmode), duo: FakeDuo(script))
        let decision = try await harness.login("alice", "secret")

        let opens = row.failmode == .safe && row.failure.failmodeClass == .unavailable
        #expect(decision.isAccept == opens)
        if case .accept(let accept) = decision { #expect(accept.withoutSecondFactor) }
        let expectedMessage: String =
            switch (opens, row.failure.failmodeClass, row.failsAt) {
            case (true, _, "preauth"): "Failmode Safe - Allowed Duo login on preauth failure"
            case (true, _, _): "Failmode Safe - Allowed Duo login on auth failure"
            case (false, .refused, _): PolicyMessages.duoRefused
            case (false, _, "preauth"): "Failmode Secure - Denied Duo login on preauth failure"
            case (false, _, _): "Failmode Secure - Denied Duo login on auth failure"
            }
        #expect(decision.message == expectedMessage)
        // Once per login: a failed preauth is never followed by an auth.
        #expect(harness.duo.authRequests.count == (row.failsAt == "preauth" ? 0 : 1))
        #expect(harness.events.all.last?.status == (opens ? .allow : .reject))
        // Every fail-open is logged as such, as a warning; nothing else is.
        let failOpenLines = harness.logs.entries.filter { $0.message.description.hasPrefix("fail-open") }
        #expect(failOpenLines.count == (opens ? 1 : 0))
        #expect(failOpenLines.allSatisfy { $0.level == .warning })
        let failOpens = try harness.metrics.expectCounter("twofold_failmode_open_total", [("section", "radius_server_auto")])
        #expect(failOpens.totalValue == (opens ? 1 : 0))
        let result = opens ? "accept" : "reject"
        let logins = try harness.metrics.expectCounter("twofold_logins_total", [("section", "radius_server_auto"), ("result", result)])
        #expect(logins.totalValue == 1)
    }

    @Test func theClassesMatchTheDesignTable() {
        for (failure, expected) in Self.failures {
            #expect(failure.failmodeClass == expected, "\(failure.kind)")
        }
    }

    @Test(arguments: Failmode.allCases)
    func safeNeverOpensWithoutASuccessfulPrimary(_ failmode: Failmode) async throws {
        let duo = FakeDuo(FakeDuo.Script(preauth: .failure(DuoFailure(.timeout, diagnostic: "down"))))
        let harness = Harness(section: Harness.section(failmode: failmode), duo: duo)
        #expect(try await harness.login("alice", "wrong").isAccept == false)
        #expect(try await harness.login("mallory", "secret").isAccept == false)
        #expect(duo.calls.isEmpty)
    }

    @Test func aPrimaryThatIsDownIsARejectEvenInFailmodeSafe() async throws {
        let primary = FakePrimary(fixed: .unavailable(diagnostic: "ldap://10.0.0.1:389: connection refused"))
        let harness = Harness(section: Harness.section(failmode: .safe), primary: primary)
        let decision = try await harness.login("alice", "secret")
        #expect(!decision.isAccept)
        #expect(decision.message == PolicyMessages.primaryUnavailable)
        #expect(harness.duo.calls.isEmpty)
    }

    @Test func duoOnlySectionsApplyFailmodeToo() async throws {
        let duo = FakeDuo(FakeDuo.Script(preauth: .failure(DuoFailure(.serverError, diagnostic: "HTTP 500", httpStatus: 500))))
        let safe = Harness(section: Harness.section(mode: .duoOnly, failmode: .safe), duo: duo)
        #expect(try await safe.login("alice", "push").isAccept)
        let secure = Harness(section: Harness.section(mode: .duoOnly, failmode: .secure), duo: duo)
        #expect(try await !secure.login("alice", "push").isAccept)
    }
}
