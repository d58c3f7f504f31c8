/// Runs `body` again and again on `concurrency` tasks until `seconds` have passed (a closed loop:
/// each task starts its next run when the last one finished); returns the runs per second.
func closedLoop(concurrency: Int, seconds: Int, _ body: @escaping @Sendable () async throws -> Void) async throws -> (perSecond: Double, runs: Int) {
    let clock = ContinuousClock()
    let started = clock.now
    let deadline = started + .seconds(seconds)
    let runs = try await withThrowingTaskGroup(of: Int.self) { group in
        for _ in 0..<concurrency {
            group.addTask {
                var count = 0
                while clock.now < deadline {
                    try await body()
                    count += 1
                }
                return count
            }
        }
        var total = 0
        for try await count in group { total += count }
        return total
    }
    return (Double(runs) / inSeconds(clock.now - started), runs)
}

func inSeconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}
