import Foundation

/// Waiting on a condition with a deadline: tests never sleep and hope.
public enum Wait {
    public struct TimedOut: Error, CustomStringConvertible {
        public var what: String
        public var timeout: Duration
        public var description: String { "timed out after \(timeout) waiting until \(what)" }
    }

    /// Polls `condition` every `interval` until it holds or `timeout` passes.
    public static func until(
        _ what: String,
        timeout: Duration,
        interval: Duration = .milliseconds(20),
        _ condition: () async throws -> Bool
    ) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            if try await condition() { return }
            if clock.now >= deadline { throw TimedOut(what: what, timeout: timeout) }
            try await Task.sleep(for: interval)
        }
    }
}
