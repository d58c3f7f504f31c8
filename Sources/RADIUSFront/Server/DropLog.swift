import Logging

/// Logs dropped datagrams at a limited rate: the first of each kind at once, then at most one
/// line per kind per interval, saying how many were dropped meanwhile. A flood of junk cannot
/// flood the log, and the administrator still learns that it happens and why.
struct DropLog: Sendable {
    let interval: Duration
    private var lastLogged: [RADIUSRequestGate.DropReason.Kind: ContinuousClock.Instant] = [:]
    private var suppressed: [RADIUSRequestGate.DropReason.Kind: Int] = [:]

    init(interval: Duration = .seconds(10)) {
        self.interval = interval
    }

    /// The line to log now, or nil when this drop is only counted.
    mutating func record(_ reason: RADIUSRequestGate.DropReason, now: ContinuousClock.Instant) -> String? {
        if let last = lastLogged[reason.kind], last.duration(to: now) < interval {
            suppressed[reason.kind, default: 0] += 1
            return nil
        }
        lastLogged[reason.kind] = now
        let count = suppressed.removeValue(forKey: reason.kind) ?? 0
        return count == 0 ? "dropped: \(reason)" : "dropped: \(reason) (and \(count) more of this kind since the last line)"
    }
}
