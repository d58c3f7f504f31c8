import Foundation

/// `report.svg`: for each section, every login as a dot at (time sent, answer time on a log scale),
/// coloured by outcome, hollow when the password was wrong; phases shaded and labelled; circuit
/// breaker changes as dashed lines. Hand-written SVG 1.1, valid XML, no scripts.
enum ExperimentChart {
    static let width = 960.0
    static let left = 70.0
    static let right = 20.0
    static let top = 46.0
    static let panelHeight = 170.0
    static let panelGap = 44.0
    static let bottom = 52.0

    static func colour(_ login: ExperimentLogin) -> String {
        switch login.outcome {
        case .accepted: login.failmode ? "#ef6c00" : "#2e7d32"
        case .rejected: "#c62828"
        case .challenged: "#1565c0"
        case .timeout: "#616161"
        }
    }

    static func shade(_ condition: String) -> String {
        condition == "healthy" ? "#e8f5e9" : condition.hasPrefix("slow") ? "#fff8e1" : "#fdecea"
    }

    static func render(_ summary: ExperimentSummary, logins: [ExperimentLogin]) -> String {
        let sections = summary.sections
        let height = top + Double(max(1, sections.count)) * (panelHeight + panelGap) + bottom
        let plotWidth = width - left - right
        let total = max(summary.durationSeconds, 0.001)
        func x(_ seconds: Double) -> Double { left + plotWidth * min(max(seconds / total, 0), 1) }
        let maxLatency = max(1_000, logins.map(\.latencyMilliseconds).max() ?? 1)
        let decades = Int(log10(maxLatency).rounded(.up))  // the axis runs from 0.1 ms to 10^decades ms
        func y(_ ms: Double, panelTop: Double) -> Double {
            let fraction = (log10(max(ms, 0.1)) + 1) / Double(decades + 1)
            return panelTop + panelHeight * (1 - min(max(fraction, 0), 1))
        }

        var svg = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="\(f(width))" height="\(f(height))" viewBox="0 0 \(f(width)) \(f(height))" font-family="sans-serif" font-size="11">
            <title>twofold failmode experiment</title>
            <rect x="0" y="0" width="\(f(width))" height="\(f(height))" fill="#ffffff"/>
            <text x="\(f(left))" y="18" font-size="14" font-weight="bold">twofold failmode experiment: answer time of each login (log scale) over the scenario</text>

            """
        for (number, section) in sections.enumerated() {
            let panelTop = top + Double(number) * (panelHeight + panelGap) + 16
            svg += "<g>\n"
            let title = escape("[\(section.name)] failmode=\(section.failmode), \(section.listener)")
            svg += "<text x=\"\(f(left))\" y=\"\(f(panelTop - 20))\" font-size=\"12\" font-weight=\"bold\">\(title)</text>\n"
            for phase in summary.phases {
                let x0 = x(phase.startSeconds)
                let x1 = x(phase.endSeconds)
                svg += "<rect x=\"\(f(x0))\" y=\"\(f(panelTop))\" width=\"\(f(max(0, x1 - x0)))\" height=\"\(f(panelHeight))\" fill=\"\(shade(phase.condition))\"/>\n"
                if let label = label(phase, width: x1 - x0) {
                    svg += "<text x=\"\(f(x0 + 3))\" y=\"\(f(panelTop - 5))\" fill=\"#333333\">\(escape(label))</text>\n"
                }
            }
            for decade in -1...decades {
                let value = pow(10, Double(decade))
                let yy = y(value, panelTop: panelTop)
                let label = decade < 0 ? "0.1 ms" : decade < 3 ? "\(Int(value)) ms" : "\(Int(value / 1_000)) s"
                svg += "<line x1=\"\(f(left))\" y1=\"\(f(yy))\" x2=\"\(f(width - right))\" y2=\"\(f(yy))\" stroke=\"#cccccc\" stroke-width=\"0.5\"/>\n"
                svg += "<text x=\"\(f(left - 6))\" y=\"\(f(yy + 4))\" text-anchor=\"end\" fill=\"#555555\">\(label)</text>\n"
            }
            for login in logins where login.section == section.name {
                let cx = x(login.sentMilliseconds / 1_000)
                let cy = y(login.latencyMilliseconds, panelTop: panelTop)
                let colour = colour(login)
                if login.expectPrimary {
                    svg += "<circle cx=\"\(f(cx))\" cy=\"\(f(cy))\" r=\"2.2\" fill=\"\(colour)\"/>\n"
                } else {
                    svg += "<circle cx=\"\(f(cx))\" cy=\"\(f(cy))\" r=\"2.2\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"0.9\"/>\n"
                }
            }
            // The circuit breaker under the panel: a band where it is open (dark) or probing (light).
            let bandY = panelTop + panelHeight + 3
            svg += "<text x=\"\(f(left - 6))\" y=\"\(f(bandY + 7))\" text-anchor=\"end\" fill=\"#6a1b9a\" font-size=\"9\">breaker</text>\n"
            let changes = summary.breakerChanges.filter { $0.section == section.name }
            for (index, change) in changes.enumerated() where change.to != "closed" {
                let end = index + 1 < changes.count ? changes[index + 1].atMilliseconds / 1_000 : total
                let x0 = x(change.atMilliseconds / 1_000)
                let colour = change.to == "open" ? "#6a1b9a" : "#ce93d8"
                svg += "<rect x=\"\(f(x0))\" y=\"\(f(bandY))\" width=\"\(f(max(1, x(end) - x0)))\" height=\"8\" fill=\"\(colour)\"/>\n"
            }
            svg += "<rect x=\"\(f(left))\" y=\"\(f(panelTop))\" width=\"\(f(plotWidth))\" height=\"\(f(panelHeight))\" fill=\"none\" stroke=\"#999999\"/>\n"
            svg += "</g>\n"
        }
        // The time axis under the last panel, and the legend.
        let axisY = top + Double(max(1, sections.count)) * (panelHeight + panelGap) - panelGap + 16 + 26
        let step = total <= 20 ? 2.0 : total <= 60 ? 5.0 : total <= 150 ? 10.0 : total <= 300 ? 30.0 : 60.0
        var tick = 0.0
        while tick <= total + 0.0001 {
            svg += "<text x=\"\(f(x(tick)))\" y=\"\(f(axisY))\" text-anchor=\"middle\" fill=\"#555555\">\(f(tick)) s</text>\n"
            tick += step
        }
        let legend: [(String, String, Bool)] = [
            ("#2e7d32", "accepted after Duo", true), ("#ef6c00", "accepted by failmode", true), ("#c62828", "rejected", true),
            ("#616161", "timeout", true), ("#c62828", "wrong password (hollow)", false),
        ]
        var lx = left
        let ly = axisY + 22
        for (colour, label, filled) in legend {
            let fill = filled ? "fill=\"\(colour)\"" : "fill=\"none\" stroke=\"\(colour)\""
            svg += "<circle cx=\"\(f(lx + 4))\" cy=\"\(f(ly - 4))\" r=\"4\" \(fill)/>\n"
            svg += "<text x=\"\(f(lx + 12))\" y=\"\(f(ly))\">\(escape(label))</text>\n"
            lx += 20 + Double(label.count) * 6.2
        }
        svg += "<rect x=\"\(f(lx))\" y=\"\(f(ly - 8))\" width=\"14\" height=\"8\" fill=\"#6a1b9a\"/>\n"
        svg += "<text x=\"\(f(lx + 18))\" y=\"\(f(ly))\">breaker open</text>\n"
        svg += "<rect x=\"\(f(lx + 100))\" y=\"\(f(ly - 8))\" width=\"14\" height=\"8\" fill=\"#ce93d8\"/>\n"
        svg += "<text x=\"\(f(lx + 118))\" y=\"\(f(ly))\">probing</text>\n"
        svg += "</svg>\n"
        return svg
    }

    /// A phase's label that fits `width` pixels (about 6.2 per character), or nil.
    static func label(_ phase: ExperimentSummary.Phase, width: Double) -> String? {
        let full = phase.condition.hasPrefix(phase.name) ? phase.condition : "\(phase.name): \(phase.condition)"
        let fits = Int((width - 6) / 6.2)
        for candidate in [full, phase.name] where candidate.count <= fits { return candidate }
        guard fits >= 2 else { return nil }
        return String(phase.name.prefix(fits - 1)) + "…"
    }

    /// Numbers with at most two decimals and no exponent.
    static func f(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(format: "%.2f", rounded)
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                // XML 1.0 forbids most control characters even as references.
                if scalar.value < 0x20 && scalar != "\t" && scalar != "\n" { out += "?" } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }
}
