import Foundation
@testable import Proxy
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

/// logins.csv, summary.json, report.svg and the terminal table.
@Suite struct ExperimentWritersTests {
    static let phases: [ExperimentScenario.Phase] = [
        .init(name: "healthy", condition: .healthy, duration: .seconds(2)),
        .init(name: "down <&>", condition: .down, duration: .seconds(3)),
    ]
    static let logins = [
        ExperimentLogin(
            sentMilliseconds: 2_100, phase: 1, section: "radius_server_auto", user: "o\"brien, jr", expectPrimary: true, outcome: .accepted,
            failmode: true, latencyMilliseconds: 0.456),
        ExperimentLogin(
            sentMilliseconds: 100, phase: 0, section: "radius_server_auto", user: "alice", expectPrimary: false, outcome: .rejected,
            failmode: false, latencyMilliseconds: 12.3),
    ]
    static func summary() -> ExperimentSummary {
        ExperimentSummary(
            logins: logins,
            breakerChanges: [.init(atMilliseconds: 2_050, section: "radius_server_auto", from: "closed", to: "open")],
            sections: [.init(name: "radius_server_auto", failmode: "safe", listener: "127.0.0.1:1812")],
            clock: ExperimentPhaseClock(ExperimentScenario(phases: phases, users: [], rate: nil)), rate: 4)
    }

    @Test func csvHasOneRowPerLoginInTimeOrderQuotedPerRFC4180() {
        let csv = ExperimentCSV.write(Self.logins, phases: Self.phases)
        let lines = csv.components(separatedBy: "\r\n")
        #expect(lines[0] == "time_s,phase,phase_name,section,user,expect_primary,outcome,failmode,latency_ms")
        #expect(lines[1] == "0.100,0,healthy,radius_server_auto,alice,no,rejected,no,12.30")
        #expect(lines[2] == "2.100,1,down <&>,radius_server_auto,\"o\"\"brien, jr\",yes,accepted,yes,0.46")
        #expect(lines[3] == "")
        #expect(lines.count == 4)
    }

    @Test func summaryJSONUsesSnakeCaseAndReadsBack() throws {
        let data = try Self.summary().json()
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"accepted_by_failmode\" : 1"))
        #expect(text.contains("\"breaker_changes\""))
        #expect(text.contains("\"right_password\""))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        #expect(try decoder.decode(ExperimentSummary.self, from: data) == Self.summary())
    }

    @Test func theChartIsWellFormedXMLWithPhasesDotsAndBreakerLines() throws {
        let svg = ExperimentChart.render(Self.summary(), logins: Self.logins)
        #expect(svg.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.contains("down &lt;&amp;&gt;"))
        #expect(svg.components(separatedBy: "<circle ").count - 1 == 2 + 5)  // two logins, five legend entries
        #expect(svg.contains("fill=\"#6a1b9a\""))  // the open breaker's band
        #expect(svg.contains("[radius_server_auto] failmode=safe, 127.0.0.1:1812"))
        #expect(!svg.contains("nan") && !svg.contains("inf"))
        #if canImport(FoundationXML) || canImport(Darwin)
        let parser = XMLParser(data: Data(svg.utf8))
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        #endif
    }

    @Test func theTableHasARowPerSectionAndPhaseAndTheBreakerFigures() {
        let table = ExperimentTable.render(Self.summary())
        let lines = table.components(separatedBy: "\n")
        #expect(lines[0].hasPrefix("| section "))
        #expect(lines[1].hasPrefix("|---"))
        #expect(lines[2].contains("| healthy ") && lines[2].contains("| safe "))
        #expect(lines[3].contains("| down <&> "))
        #expect(table.contains("0.00 s  [radius_server_auto] closed -> open") || table.contains("2.05 s  [radius_server_auto] closed -> open"))
        #expect(table.contains("breaker open, [radius_server_auto]: 1 logins decided (1 accepted, 0 rejected), p50 0.46 ms, p99 0.46 ms, max 0.46 ms\n")
            || table.hasSuffix("max 0.46 ms"))
        #expect(Set(lines.prefix(4).map(\.count)).count == 1)  // aligned columns
    }
}
