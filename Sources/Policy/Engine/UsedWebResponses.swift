import DequeModule
import Synchronization

/// Duo Web responses already accepted, so that each opens one login only.
///
/// A signed response stays valid until its AUTH cookie expires (minutes): without this, whoever
/// saw one (a shared screen, a proxy log, a browser history) could replay it, as a whole
/// `ldap_server_duo_only` bind password or as the answer to a new iframe challenge of the same user.
/// Each accepted AUTH cookie is kept for `retention`, at most `capacity` of them (the oldest go
/// first). The set belongs to one process; `[main] state_key` peers do not share it.
public final class UsedWebResponses: Sendable {
    /// Longer than any AUTH cookie Duo signs lives.
    public static let retention: Int64 = 3_600
    public static let capacity = 100_000

    private let state = Mutex<(seen: Set<String>, order: Deque<(cookie: String, until: Int64)>)>(([], []))
    private let capacity: Int

    public init(capacity: Int = UsedWebResponses.capacity) {
        self.capacity = capacity
    }

    /// Records the AUTH cookie of `response` as used at `now` (seconds since 1970); false when it
    /// was used already.
    public func use(_ response: String, now: Int64) -> Bool {
        let cookie = String(response.prefix { $0 != ":" })
        return state.withLock { state in
            while let first = state.order.first, first.until <= now || state.order.count >= capacity {
                state.seen.remove(first.cookie)
                state.order.removeFirst()
            }
            guard state.seen.insert(cookie).inserted else { return false }
            state.order.append((cookie, now + Self.retention))
            return true
        }
    }

    public var count: Int { state.withLock { $0.order.count } }
}
