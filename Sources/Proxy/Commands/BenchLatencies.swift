import ArgumentParser
import Foundation
import Synchronization

/// A bench's running tally, shared by its workers.
final class BenchTally<Tally: Sendable>: Sendable {
    let state: Mutex<Tally>
    init(_ tally: Tally) { state = Mutex(tally) }
}

/// The load options every `twofold bench` takes.
struct BenchLoadOptions: ParsableArguments {
    @Option(name: .customLong("concurrency"), help: "Logins in flight at once.")
    var concurrency: Int = 64
    @Option(name: .customLong("duration"), help: "Seconds to run.")
    var duration: Int = 10
    @Option(name: .customLong("timeout"), help: "Seconds before an unanswered request (or step) counts as failed.")
    var timeout: Int = 5

    func validate() throws {
        guard concurrency >= 1, concurrency <= 65_536 else { throw ValidationError("--concurrency must be from 1 to 65536") }
        guard duration >= 1 else { throw ValidationError("--duration must be at least 1 second") }
        guard timeout >= 1 else { throw ValidationError("--timeout must be at least 1 second") }
    }
}

/// The latency and rate lines every `twofold bench` prints.
struct BenchLatencies {
    private let sorted: [Duration]
    let seconds: Double

    init(_ latencies: [Duration], elapsed: Duration) {
        sorted = latencies.sorted()
        seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// `1234 logins/s over 10.0 s at concurrency 64`.
    func rate(_ count: Int, _ unit: String, concurrency: Int) -> String {
        "\(String(format: "%.0f", Double(count) / seconds)) \(unit)/s over \(String(format: "%.1f", seconds)) s at concurrency \(concurrency)"
    }

    /// `latency p50 ..., p90 ..., p99 ..., max ...`.
    var percentiles: String {
        "latency p50 \(percentile(0.5)), p90 \(percentile(0.9)), p99 \(percentile(0.99)), max \(percentile(1.0))"
    }

    private func percentile(_ p: Double) -> String {
        guard !sorted.isEmpty else { return "-" }
        let value = sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
        return String(format: "%.2f ms", Double(value.components.attoseconds) / 1e15 + Double(value.components.seconds) * 1000)
    }
}
