import Foundation

/// The table printed at the end of an experiment: one line per section and phase, then the
/// circuit breaker's changes and how fast logins were decided while it was open.
enum ExperimentTable {
    static func render(_ summary: ExperimentSummary) -> String {
        let header = ["section", "failmode", "phase", "Duo", "sent", "accepted", "by failmode", "rejected", "timeouts", "right pw accepted", "wrong pw accepted", "p50 ms", "p99 ms", "max ms"]
        var rows: [[String]] = []
        for row in summary.rows {
            rows.append([
                row.section, row.failmode, row.phaseName, row.condition, "\(row.sent)", "\(row.accepted)", "\(row.acceptedByFailmode)",
                "\(row.rejected)", "\(row.timeouts)", "\(row.rightPassword.accepted)/\(row.rightPassword.sent)",
                "\(row.wrongPassword.accepted)/\(row.wrongPassword.sent)", milliseconds(row.latency.p50), milliseconds(row.latency.p99),
                milliseconds(row.latency.max),
            ])
        }
        var lines = grid(header, rows)
        lines.append("")
        if summary.breakerChanges.isEmpty {
            lines.append("circuit breaker: no change")
        } else {
            lines.append("circuit breaker changes:")
            for change in summary.breakerChanges {
                lines.append("  \(String(format: "%7.2f", change.atMilliseconds / 1_000)) s  [\(change.section)] \(change.from) -> \(change.to)")
            }
        }
        for open in summary.breakerOpen {
            lines.append(
                "breaker open, [\(open.section)]: \(open.logins) logins decided (\(open.accepted) accepted, \(open.rejected) rejected), "
                    + "p50 \(milliseconds(open.latency.p50)) ms, p99 \(milliseconds(open.latency.p99)) ms, max \(milliseconds(open.latency.max)) ms"
                    + (open.waitedForProbe > 0 ? "; \(open.waitedForProbe) more made or waited for the probe that ends the cool-down" : ""))
        }
        return lines.joined(separator: "\n")
    }

    /// Markdown-compatible columns: `| a | b |`, numbers right-aligned.
    static func grid(_ header: [String], _ rows: [[String]]) -> [String] {
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            let padded = cells.enumerated().map { index, cell in
                let pad = String(repeating: " ", count: widths[index] - cell.count)
                return index >= 4 ? pad + cell : cell + pad
            }
            return "| " + padded.joined(separator: " | ") + " |"
        }
        let rule = "|" + widths.enumerated().map { index, width in
            index >= 4 ? String(repeating: "-", count: width + 1) + ":" : String(repeating: "-", count: width + 2)
        }.joined(separator: "|") + "|"
        return [line(header), rule] + rows.map(line)
    }

    static func milliseconds(_ value: Double?) -> String {
        guard let value else { return "-" }
        return value < 10 ? String(format: "%.2f", value) : value < 1_000 ? String(format: "%.1f", value) : String(format: "%.0f", value)
    }
}
