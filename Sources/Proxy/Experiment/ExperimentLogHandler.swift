import Logging
import Synchronization

/// The circuit breaker changes the Duo clients log, timed from the scenario's start.
final class ExperimentBreakerLog: Sendable {
    private let state = Mutex<(start: ContinuousClock.Instant?, changes: [ExperimentBreakerChange])>((nil, []))

    /// Changes logged before this are timed as 0.
    func start(at instant: ContinuousClock.Instant) { state.withLock { $0.start = instant } }

    func record(section: String, from: String, to: String) {
        let now = ContinuousClock.now
        state.withLock { state in
            let elapsed = state.start.map { max(.zero, $0.duration(to: now)) } ?? .zero
            state.changes.append(
                ExperimentBreakerChange(atMilliseconds: ExperimentSummary.seconds(elapsed) * 1_000, section: section, from: from, to: to))
        }
    }

    var changes: [ExperimentBreakerChange] { state.withLock { $0.changes } }
}

/// The proxy's log during an experiment: lines go to `DIR/twofold.log` (the terminal keeps the
/// progress line), and the Duo clients' circuit breaker messages are also recorded, with the
/// section their client belongs to (`RunningProxy` tags each Duo client's logger with it).
struct ExperimentLogHandler: LogHandler {
    var file: FileLogHandler
    let breaker: ExperimentBreakerLog

    var logLevel: Logger.Level {
        get { file.logLevel }
        set { file.logLevel = newValue }
    }

    var metadata: Logger.Metadata {
        get { file.metadata }
        set { file.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { file[metadataKey: key] }
        set { file[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        file.log(event: event)
        guard "\(event.message)".hasPrefix("Duo circuit breaker") else { return }
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        guard let to = all["to"], let from = all["from"] else { return }
        breaker.record(section: all["section"].map { "\($0)" } ?? "?", from: "\(from)", to: "\(to)")
    }
}
