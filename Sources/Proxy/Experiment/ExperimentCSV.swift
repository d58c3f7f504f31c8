import Foundation

/// `logins.csv`: one row per login, RFC 4180 (comma-separated, CRLF line ends, fields with a comma,
/// a quote or a line break quoted, quotes doubled).
enum ExperimentCSV {
    static let header = ["time_s", "phase", "phase_name", "section", "user", "expect_primary", "outcome", "failmode", "latency_ms"]

    static func write(_ logins: [ExperimentLogin], phases: [ExperimentScenario.Phase]) -> String {
        var text = header.joined(separator: ",") + "\r\n"
        for login in logins.sorted(by: { ($0.sentMilliseconds, $0.section) < ($1.sentMilliseconds, $1.section) }) {
            let fields = [
                String(format: "%.3f", login.sentMilliseconds / 1_000),
                String(login.phase),
                phases.indices.contains(login.phase) ? phases[login.phase].name : "",
                login.section,
                login.user,
                login.expectPrimary ? "yes" : "no",
                login.outcome.rawValue,
                login.failmode ? "yes" : "no",
                String(format: "%.2f", login.latencyMilliseconds),
            ]
            text += fields.map(field).joined(separator: ",") + "\r\n"
        }
        return text
    }

    static func field(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
