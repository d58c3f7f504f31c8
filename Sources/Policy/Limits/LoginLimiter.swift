import Synchronization

/// How many failed primary attempts and pushes are allowed, per user and per client address.
///
/// Each limit is "at most `count` events in any trailing `window`": the `count + 1`-th within the
/// window is refused, and the refusal lifts as the oldest event ages out. `nil` turns a limit off.
public struct LoginLimits: Sendable, Hashable {
    public struct Limit: Sendable, Hashable {
        public var count: Int
        public var window: Duration

        public init(count: Int, window: Duration) {
            self.count = max(1, count)
            self.window = window
        }
    }

    /// Wrong passwords for one user (a guessing attack against one account). Default: 10 in 5 min.
    public var failedPrimaryPerUser: Limit?
    /// Wrong passwords from one client address, whatever the user (password spraying through one
    /// device or one user's machine). Default: 50 in 5 min.
    public var failedPrimaryPerAddress: Limit?
    /// Pushes and calls to one user (push fatigue, SECURITY.md). Default: 5 in 10 min.
    public var pushesPerUser: Limit?
    /// The most users or addresses each table remembers. When full, forgotten first are those
    /// whose events have all aged out, then arbitrary ones: memory stays bounded under a flood of
    /// made-up names, at the price of forgetting some counts during that flood.
    public var capacity: Int

    public init(
        failedPrimaryPerUser: Limit? = Limit(count: 10, window: .seconds(300)),
        failedPrimaryPerAddress: Limit? = Limit(count: 50, window: .seconds(300)),
        pushesPerUser: Limit? = Limit(count: 5, window: .seconds(600)),
        capacity: Int = 100_000
    ) {
        self.failedPrimaryPerUser = failedPrimaryPerUser
        self.failedPrimaryPerAddress = failedPrimaryPerAddress
        self.pushesPerUser = pushesPerUser
        self.capacity = max(16, capacity)
    }

    /// No limits at all (benchmarks, and sites that limit elsewhere).
    public static let unlimited = LoginLimits(failedPrimaryPerUser: nil, failedPrimaryPerAddress: nil, pushesPerUser: nil)
}

/// The counters behind ``LoginLimits``, shared by every login of a section.
public final class LoginLimiter: Sendable {
    public typealias Instant = ContinuousClock.Instant

    /// Why a login was refused by a limit.
    public enum Refusal: Sendable, Hashable, CustomStringConvertible {
        case failedPrimaryForUser(retryAfter: Duration)
        case failedPrimaryFromAddress(retryAfter: Duration)
        case pushesForUser(retryAfter: Duration)

        public var description: String {
            switch self {
            case .failedPrimaryForUser(let after): "too many failed passwords for this user; retry after \(after.wholeSeconds) s"
            case .failedPrimaryFromAddress(let after): "too many failed passwords from this address; retry after \(after.wholeSeconds) s"
            case .pushesForUser(let after): "too many push or phone requests for this user; retry after \(after.wholeSeconds) s"
            }
        }
    }

    public let limits: LoginLimits
    private let state: Mutex<State>

    private struct State {
        var failuresByUser: SlidingWindowTable
        var failuresByAddress: SlidingWindowTable
        var pushesByUser: SlidingWindowTable
    }

    public init(_ limits: LoginLimits) {
        self.limits = limits
        self.state = Mutex(State(
            failuresByUser: SlidingWindowTable(limits.failedPrimaryPerUser, capacity: limits.capacity),
            failuresByAddress: SlidingWindowTable(limits.failedPrimaryPerAddress, capacity: limits.capacity),
            pushesByUser: SlidingWindowTable(limits.pushesPerUser, capacity: limits.capacity)))
    }

    /// Before the primary factor: is this user or address locked out by failed attempts?
    public func checkPrimary(user: String, address: String?, now: Instant) -> Refusal? {
        state.withLock { state in
            if let after = state.failuresByUser.blockedFor(user, now: now) { return .failedPrimaryForUser(retryAfter: after) }
            if let address, let after = state.failuresByAddress.blockedFor(address, now: now) {
                return .failedPrimaryFromAddress(retryAfter: after)
            }
            return nil
        }
    }

    /// After a refused primary factor.
    public func recordPrimaryFailure(user: String, address: String?, now: Instant) {
        state.withLock { state in
            state.failuresByUser.record(user, now: now)
            if let address { state.failuresByAddress.record(address, now: now) }
        }
    }

    /// Before a push or call: counts it when allowed, refuses it when the user had too many.
    public func admitPush(user: String, now: Instant) -> Refusal? {
        state.withLock { state in
            if let after = state.pushesByUser.blockedFor(user, now: now) { return .pushesForUser(retryAfter: after) }
            state.pushesByUser.record(user, now: now)
            return nil
        }
    }

    /// How many users and addresses are remembered (for tests and metrics).
    public var trackedKeys: Int {
        state.withLock { $0.failuresByUser.count + $0.failuresByAddress.count + $0.pushesByUser.count }
    }
}

/// Per key, the instants of the last `limit.count` events.
struct SlidingWindowTable {
    let limit: LoginLimits.Limit?
    let capacity: Int
    private var events: [String: [ContinuousClock.Instant]] = [:]

    init(_ limit: LoginLimits.Limit?, capacity: Int) {
        self.limit = limit
        self.capacity = capacity
    }

    var count: Int { events.count }

    /// How long until the key may act again, or nil when it may act now.
    func blockedFor(_ key: String, now: ContinuousClock.Instant) -> Duration? {
        guard let limit, let instants = events[key], instants.count >= limit.count,
            let oldest = instants.first
        else { return nil }
        let elapsed = oldest.duration(to: now)
        return elapsed < limit.window ? limit.window - elapsed : nil
    }

    mutating func record(_ key: String, now: ContinuousClock.Instant) {
        guard let limit else { return }
        if events[key] == nil, events.count >= capacity { makeRoom(now: now, window: limit.window) }
        events[key, default: []].append(now)
        if events[key]!.count > limit.count { events[key]!.removeFirst() }
    }

    /// Forgets keys whose events all aged out; if that frees less than a tenth of the table,
    /// forgets arbitrary keys down to nine tenths, so that a flood costs O(1) amortised per key.
    private mutating func makeRoom(now: ContinuousClock.Instant, window: Duration) {
        events = events.filter { _, instants in
            guard let newest = instants.last else { return false }
            return newest.duration(to: now) < window
        }
        let target = capacity - capacity / 10
        while events.count > target { events.remove(at: events.startIndex) }
    }
}

extension Duration {
    /// Whole seconds, rounded up, for messages.
    var wholeSeconds: Int64 {
        let (seconds, attoseconds) = components
        return attoseconds > 0 ? seconds + 1 : seconds
    }
}
