import Foundation
@testable import Proxy
import Testing

/// The summary is built from the login records and the breaker changes alone.
@Suite struct ExperimentSummaryTests {
    static let clock = ExperimentPhaseClock(
        ExperimentScenario(
            phases: [
                .init(name: "healthy", condition: .healthy, duration: .seconds(2)),
                .init(name: "down", condition: .down, duration: .seconds(3)),
            ],
            users: [], rate: nil))
    static let sections = [
        ExperimentSummary.Section(name: "radius_server_auto", failmode: "safe", listener: "127.0.0.1:1812"),
        ExperimentSummary.Section(name: "radius_server_auto2", failmode: "secure", listener: "127.0.0.1:1813"),
    ]

    static func login(
        _ at: Double, _ phase: Int, section: String = "radius_server_auto", right: Bool = true, _ outcome: ExperimentLogin.Outcome,
        failmode: Bool = false, ms: Double
    ) -> ExperimentLogin {
        ExperimentLogin(
            sentMilliseconds: at, phase: phase, section: section, user: right ? "alice" : "mallory", expectPrimary: right, outcome: outcome,
            failmode: failmode, latencyMilliseconds: ms)
    }

    @Test func countsPerSectionAndPhase() {
        let logins = [
            Self.login(100, 0, .accepted, ms: 12),
            Self.login(200, 0, right: false, .rejected, ms: 3),
            Self.login(2_100, 1, .accepted, failmode: true, ms: 40),
            Self.login(2_200, 1, right: false, .rejected, ms: 2),
            Self.login(2_300, 1, .timeout, ms: 15_000),
            Self.login(2_100, 1, section: "radius_server_auto2", .rejected, failmode: true, ms: 30),
            Self.login(2_200, 1, section: "radius_server_auto2", right: false, .rejected, ms: 4),
        ]
        let summary = ExperimentSummary(logins: logins, breakerChanges: [], sections: Self.sections, clock: Self.clock, rate: 5)
        #expect(summary.rows.count == 4)
        #expect(summary.durationSeconds == 5)
        #expect(summary.phases.map(\.startSeconds) == [0, 2])
        #expect(summary.phases.map(\.condition) == ["healthy", "down"])
        let healthy = summary.row(section: "radius_server_auto", phase: 0)!
        #expect(healthy.sent == 2 && healthy.accepted == 1 && healthy.rejected == 1 && healthy.acceptedByFailmode == 0)
        let down = summary.row(section: "radius_server_auto", phase: 1)!
        #expect(down.sent == 3 && down.accepted == 1 && down.acceptedByFailmode == 1 && down.rejected == 1 && down.timeouts == 1)
        #expect(down.rightPassword == .init(sent: 2, accepted: 1, rejected: 0, challenged: 0, timeouts: 1))
        #expect(down.wrongPassword == .init(sent: 1, accepted: 0, rejected: 1, challenged: 0, timeouts: 0))
        #expect(down.latency == .init(count: 3, p50: 40, p99: 15_000, max: 15_000))
        let secure = summary.row(section: "radius_server_auto2", phase: 1)!
        #expect(secure.rejected == 2 && secure.rejectedByFailmode == 1 && secure.accepted == 0)
        #expect(summary.row(section: "radius_server_auto2", phase: 0)!.sent == 0)
        #expect(summary.row(section: "radius_server_auto2", phase: 0)!.latency == .init(count: 0, p50: nil, p99: nil, max: nil))
        #expect(summary.totals == .init(sent: 7, accepted: 2, rejected: 4, challenged: 0, timeouts: 1))
        #expect(summary.breakerOpen.isEmpty)
    }

    @Test func nearestRankPercentiles() {
        let latency = ExperimentSummary.latency((1...100).map(Double.init).shuffled())
        #expect(latency == .init(count: 100, p50: 50, p99: 99, max: 100))
        #expect(ExperimentSummary.latency([7]) == .init(count: 1, p50: 7, p99: 7, max: 7))
        #expect(ExperimentSummary.latency([1, 2]) == .init(count: 2, p50: 1, p99: 2, max: 2))
    }

    @Test func loginsSentWhileTheBreakerWasOpen() {
        let changes = [
            ExperimentBreakerChange(atMilliseconds: 3_000, section: "radius_server_auto", from: "open", to: "half-open"),
            ExperimentBreakerChange(atMilliseconds: 2_500, section: "radius_server_auto", from: "closed", to: "open"),
            ExperimentBreakerChange(atMilliseconds: 3_001, section: "radius_server_auto", from: "half-open", to: "open"),
            ExperimentBreakerChange(atMilliseconds: 2_000, section: "radius_server_auto2", from: "closed", to: "open"),
        ]
        let logins = [
            Self.login(2_400, 1, .accepted, failmode: true, ms: 30),  // before it opened
            Self.login(2_600, 1, .accepted, failmode: true, ms: 0.8),
            Self.login(2_700, 1, right: false, .rejected, ms: 1.2),
            Self.login(2_990, 1, .accepted, failmode: true, ms: 20),  // made the probe (half-open at 3 000 ms)
            Self.login(4_000, 1, .accepted, failmode: true, ms: 0.5),
        ]
        let summary = ExperimentSummary(logins: logins, breakerChanges: changes, sections: Self.sections, clock: Self.clock, rate: 5)
        #expect(summary.breakerChanges.map(\.atMilliseconds) == [2_000, 2_500, 3_000, 3_001])
        #expect(summary.breakerOpen == [
            .init(
                section: "radius_server_auto", logins: 3, accepted: 2, rejected: 1, latency: .init(count: 3, p50: 0.8, p99: 1.2, max: 1.2),
                waitedForProbe: 1)
        ])
        #expect(ExperimentSummary.breakerStatus(of: "radius_server_auto", atMilliseconds: 3_000.5, changes: summary.breakerChanges) == "half-open")
        #expect(ExperimentSummary.breakerStatus(of: "other", atMilliseconds: 9_000, changes: summary.breakerChanges) == "closed")
    }

    @Test func failmodeEventsAreCountedFromTheAuthEventLog() {
        let log = """
            {"timestamp": "2026-11-29T15:40:36.123456Z", "msg": "Failmode Safe - Allowed Duo login on preauth failure", "username": "alice", "server_section": "radius_server_auto"}
            {"timestamp": "2026-11-29T15:40:36.2Z", "msg": "Success. Logging you in...", "username": "alice", "server_section": "radius_server_auto"}
            {"timestamp": "2026-11-29T15:40:36.3Z", "msg": "Failmode Secure - Denied Duo login on preauth failure", "username": "alice", "server_section": "radius_server_auto2"}
            not json
            """
        #expect(ExperimentAuthEvents.failmodeCounts(lines: log, messages: ExperimentRunner.failmodeMessages)
            == ["radius_server_auto": 1, "radius_server_auto2": 1])
    }
}
