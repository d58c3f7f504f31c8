/// Logins in progress that an identical new login may join instead of starting its own: the same
/// user pressing "log in" again, or a device giving up on a request and sending it anew with a new
/// Identifier, while the first push is still on the user's phone. One push, one Duo auth call, and
/// every request gets the answer.
///
/// RFC 5080's duplicate detection (``DuplicateCache``) only recognises a retransmit by its
/// Identifier and Request Authenticator; this table recognises the same login by what it asks:
/// section, device, the user's address, the user name as sent and the password, which the caller
/// gives as a keyed digest (never the password itself). A different password never rides on
/// another login's push.
///
/// Pure: the caller passes the time and the waiters (whatever it resumes when the leader decides).
public struct PendingLogins<Waiter: Sendable>: Sendable {
    public struct Key: Hashable, Sendable {
        public var section: Int
        /// The device (the RADIUS client's source address).
        public var device: IPAddress
        /// The user's own address (`client_ip_attr`). Required: without it, two people behind one
        /// device who know the same password could not be told apart.
        public var userAddress: String
        /// The user name as sent.
        public var user: String
        /// A keyed digest of the password (HMAC with a key that never leaves the process).
        public var passwordDigest: [UInt8]

        public init(section: Int, device: IPAddress, userAddress: String, user: String, passwordDigest: [UInt8]) {
            self.section = section
            self.device = device
            self.userAddress = userAddress
            self.user = user
            self.passwordDigest = passwordDigest
        }
    }

    public enum Begin: Equatable, Sendable {
        /// No identical login is pending: decide this one, then call ``finish(_:leader:)``.
        case lead(UInt64)
        /// An identical login is pending: the waiter was kept and gets its decision.
        case joined
        /// An identical login is pending but cannot be joined (older than the window, or enough
        /// have joined it already): decide this one on its own, and do not call ``finish(_:leader:)``.
        case alone
    }

    private struct Entry {
        var leader: UInt64
        var started: ContinuousClock.Instant
        var waiters: [Waiter]
    }

    /// The most logins that may wait on one (a user pressing the button a few times; a device
    /// resending for half a minute).
    public let followersPerLogin: Int
    /// The most logins pending in the table; beyond, logins are decided on their own.
    public let capacity: Int
    private var entries: [Key: Entry] = [:]
    private var nextLeader: UInt64 = 0

    public init(followersPerLogin: Int = 16, capacity: Int = 65_536) {
        self.followersPerLogin = followersPerLogin
        self.capacity = capacity
    }

    public var count: Int { entries.count }
    /// Logins waiting on another's decision.
    public private(set) var followers = 0

    /// A login starts. It joins a pending identical one that started at most `window` ago.
    public mutating func begin(_ key: Key, waiter: Waiter, window: Duration, now: ContinuousClock.Instant) -> Begin {
        if var entry = entries[key] {
            guard entry.started.duration(to: now) <= window, entry.waiters.count < followersPerLogin else { return .alone }
            entry.waiters.append(waiter)
            entries[key] = entry
            followers += 1
            return .joined
        }
        guard entries.count < capacity else { return .alone }
        nextLeader &+= 1
        entries[key] = Entry(leader: nextLeader, started: now, waiters: [])
        return .lead(nextLeader)
    }

    /// The leader decided: the waiters to give its decision to. Only the leader's own entry is
    /// removed.
    public mutating func finish(_ key: Key, leader: UInt64) -> [Waiter] {
        guard let entry = entries[key], entry.leader == leader else { return [] }
        entries[key] = nil
        followers -= entry.waiters.count
        return entry.waiters
    }
}
