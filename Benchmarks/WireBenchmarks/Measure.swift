import Foundation

/// Runs `body` `iterations` times per round and prints the best round's nanoseconds per call.
func measure(_ name: String, iterations: Int = 20_000, rounds: Int = 5, _ body: () throws -> Void) rethrows {
    let clock = ContinuousClock()
    var best = Duration.seconds(1_000)
    for _ in 0..<rounds {
        let start = clock.now
        for _ in 0..<iterations { try body() }
        best = min(best, clock.now - start)
    }
    let (seconds, attoseconds) = best.components
    let nanoseconds = (Double(seconds) * 1e9 + Double(attoseconds) / 1e9) / Double(iterations)
    let padded = name.padding(toLength: 48, withPad: " ", startingAt: 0)
    print("\(padded) \(String(format: "%10.0f", nanoseconds)) ns")
}

/// Keeps the optimiser from discarding a benchmark's result.
@inline(never)
func blackHole<T>(_ value: T) { withExtendedLifetime(value) {} }
