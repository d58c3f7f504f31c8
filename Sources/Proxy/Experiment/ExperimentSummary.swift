import Foundation

/// What an experiment found, per section and phase: built from the login records and the circuit
/// breaker changes alone (pure), then written as `summary.json`, the table and the chart.
struct ExperimentSummary: Codable, Hashable, Sendable {
    struct Section: Codable, Hashable, Sendable {
        var name: String
        var failmode: String
        /// Where its logins were sent (`127.0.0.1:1812`).
        var listener: String
    }

    struct Phase: Codable, Hashable, Sendable {
        var index: Int
        var name: String
        var condition: String
        var startSeconds: Double
        var endSeconds: Double
    }

    /// Answer times in milliseconds (nearest-rank percentiles); nil without logins.
    struct Latency: Codable, Hashable, Sendable {
        var count: Int
        var p50: Double?
        var p99: Double?
        var max: Double?
    }

    struct Counts: Codable, Hashable, Sendable {
        var sent = 0
        var accepted = 0
        var rejected = 0
        var challenged = 0
        var timeouts = 0
    }

    /// One section in one phase.
    struct Row: Codable, Hashable, Sendable {
        var section: String
        var failmode: String
        var phase: Int
        var phaseName: String
        var condition: String
        var sent: Int
        var accepted: Int
        var rejected: Int
        var challenged: Int
        var timeouts: Int
        var acceptedByFailmode: Int
        var rejectedByFailmode: Int
        /// Logins whose password the primary should accept, and those it should refuse.
        var rightPassword: Counts
        var wrongPassword: Counts
        var latency: Latency
    }

    /// Logins sent while a section's circuit breaker was open and answered before it changed: how
    /// fast they were decided. The login that finds the cool-down over makes the probe and waits
    /// for it; it is counted in `waitedForProbe` instead.
    struct BreakerOpen: Codable, Hashable, Sendable {
        var section: String
        var logins: Int
        var accepted: Int
        var rejected: Int
        var latency: Latency
        var waitedForProbe: Int
    }

    var rate: Double
    var durationSeconds: Double
    var sections: [Section]
    var phases: [Phase]
    var rows: [Row]
    var breakerChanges: [ExperimentBreakerChange]
    var breakerOpen: [BreakerOpen]
    var totals: Counts
    /// Failmode decisions in the proxy's own auth events (`authevents.log`), by section: the same
    /// fact as the logins' `failmode`, counted on the proxy's side.
    var failmodeAuthEvents: [String: Int] = [:]

    init(
        logins: [ExperimentLogin], breakerChanges: [ExperimentBreakerChange], sections: [Section], clock: ExperimentPhaseClock,
        rate: Double
    ) {
        self.rate = rate
        durationSeconds = Self.seconds(clock.total)
        self.sections = sections
        phases = clock.phases.enumerated().map { index, phase in
            Phase(
                index: index, name: phase.name, condition: phase.condition.description, startSeconds: Self.seconds(clock.starts[index]),
                endSeconds: Self.seconds(clock.starts[index] + phase.duration))
        }
        let changes = breakerChanges.sorted { $0.atMilliseconds < $1.atMilliseconds }
        self.breakerChanges = changes

        var rows: [Row] = []
        var totals = Counts()
        for section in sections {
            let mine = logins.filter { $0.section == section.name }
            for phase in phases {
                let here = mine.filter { $0.phase == phase.index }
                var row = Row(
                    section: section.name, failmode: section.failmode, phase: phase.index, phaseName: phase.name,
                    condition: phase.condition, sent: here.count, accepted: 0, rejected: 0, challenged: 0, timeouts: 0,
                    acceptedByFailmode: 0, rejectedByFailmode: 0, rightPassword: Counts(), wrongPassword: Counts(),
                    latency: Self.latency(here.map(\.latencyMilliseconds)))
                for login in here {
                    switch login.outcome {
                    case .accepted:
                        row.accepted += 1
                        if login.failmode { row.acceptedByFailmode += 1 }
                    case .rejected:
                        row.rejected += 1
                        if login.failmode { row.rejectedByFailmode += 1 }
                    case .challenged: row.challenged += 1
                    case .timeout: row.timeouts += 1
                    }
                    if login.expectPrimary { row.rightPassword.add(login.outcome) } else { row.wrongPassword.add(login.outcome) }
                    totals.add(login.outcome)
                }
                rows.append(row)
            }
        }
        self.rows = rows
        self.totals = totals

        breakerOpen = sections.compactMap { section in
            let sentOpen = logins.filter {
                $0.section == section.name && Self.breakerStatus(of: section.name, atMilliseconds: $0.sentMilliseconds, changes: changes) == "open"
            }
            guard !sentOpen.isEmpty else { return nil }
            let open = sentOpen.filter { login in
                !changes.contains {
                    $0.section == section.name && $0.atMilliseconds > login.sentMilliseconds
                        && $0.atMilliseconds <= login.sentMilliseconds + login.latencyMilliseconds
                }
            }
            return BreakerOpen(
                section: section.name, logins: open.count, accepted: open.count { $0.outcome == .accepted },
                rejected: open.count { $0.outcome == .rejected }, latency: Self.latency(open.map(\.latencyMilliseconds)),
                waitedForProbe: sentOpen.count - open.count)
        }
    }

    /// The breaker's status for `section` at a moment, from the changes sorted by time
    /// (`closed` before the first).
    static func breakerStatus(of section: String, atMilliseconds time: Double, changes: [ExperimentBreakerChange]) -> String {
        var status = "closed"
        for change in changes where change.section == section {
            guard change.atMilliseconds <= time else { break }
            status = change.to
        }
        return status
    }

    /// Nearest-rank percentiles: the smallest value with at least p of the values at or below it.
    static func latency(_ values: [Double]) -> Latency {
        guard !values.isEmpty else { return Latency(count: 0, p50: nil, p99: nil, max: nil) }
        let sorted = values.sorted()
        func rank(_ p: Double) -> Double {
            let index = Int((p * Double(sorted.count)).rounded(.up)) - 1
            return sorted[min(sorted.count - 1, max(0, index))]
        }
        return Latency(count: sorted.count, p50: rank(0.5), p99: rank(0.99), max: sorted.last)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// `summary.json`: snake_case keys, sorted, indented.
    func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    /// The row of a section in a phase.
    func row(section: String, phase: Int) -> Row? {
        rows.first { $0.section == section && $0.phase == phase }
    }
}

extension ExperimentSummary.Counts {
    mutating func add(_ outcome: ExperimentLogin.Outcome) {
        sent += 1
        switch outcome {
        case .accepted: accepted += 1
        case .rejected: rejected += 1
        case .challenged: challenged += 1
        case .timeout: timeouts += 1
        }
    }
}
