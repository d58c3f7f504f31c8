import DequeModule

/// RFC 5080 §2.2.2 duplicate detection: a retransmitted Access-Request is recognised by its
/// source address and port, Identifier and Request Authenticator.
///
/// While the login is in flight a retransmit is absorbed (no second Duo call, no reply yet); once
/// answered, a retransmit gets the same reply byte for byte until the entry expires. Pure: the
/// caller passes the time.
///
/// RFC 5080 §2.2.2: "the server SHOULD ... cache the response ... and resend it" and "use the
/// source IP address and port, the Identifier, and the Request Authenticator".
public struct DuplicateCache: Sendable {
    public struct Key: Hashable, Sendable {
        public var source: IPAddress
        public var port: Int
        public var identifier: UInt8
        public var authenticator: [UInt8]

        public init(source: IPAddress, port: Int, identifier: UInt8, authenticator: [UInt8]) {
            self.source = source
            self.port = port
            self.identifier = identifier
            self.authenticator = authenticator
        }
    }

    public enum Lookup: Equatable, Sendable {
        /// Not seen: the request is now in flight; handle it and call ``complete(_:reply:now:)``.
        case new
        /// Being handled: drop the retransmit.
        case inFlight
        /// Answered: send these bytes again.
        case answered([UInt8])
        /// The table is full of requests in flight: drop (and log), the work bound is reached.
        case full
    }

    private enum Entry {
        case inFlight
        case answered([UInt8], expires: ContinuousClock.Instant)
    }

    /// How long an answer is resent for (RFC 5080 suggests a few seconds; devices retransmit for
    /// up to about 30 s).
    public let replyLifetime: Duration
    /// The most entries, in flight and answered together.
    public let capacity: Int
    private var entries: [Key: Entry] = [:]
    /// Answered keys in the order they expire (one lifetime for all, so completion order).
    private var expiries: Deque<(key: Key, expires: ContinuousClock.Instant)> = []

    public init(replyLifetime: Duration = .seconds(30), capacity: Int = 65_536) {
        self.replyLifetime = replyLifetime
        self.capacity = capacity
    }

    public var count: Int { entries.count }

    public mutating func lookup(_ key: Key, now: ContinuousClock.Instant) -> Lookup {
        expire(now: now)
        switch entries[key] {
        case .inFlight?:
            return .inFlight
        case .answered(let reply, _)?:
            return .answered(reply)
        case nil:
            guard entries.count < capacity else { return .full }
            entries[key] = .inFlight
            return .new
        }
    }

    /// The state of a key without adding it (used when there is no room for new work, so that
    /// answered retransmits are still served).
    public mutating func lookupExisting(_ key: Key, now: ContinuousClock.Instant) -> Lookup? {
        expire(now: now)
        switch entries[key] {
        case .inFlight?: return .inFlight
        case .answered(let reply, _)?: return .answered(reply)
        case nil: return nil
        }
    }

    /// The login was answered with `reply`: keep it for retransmits.
    public mutating func complete(_ key: Key, reply: [UInt8], now: ContinuousClock.Instant) {
        let expires = now + replyLifetime
        entries[key] = .answered(reply, expires: expires)
        expiries.append((key, expires))
    }

    /// The login ended without a reply (dropped): forget it, so that a retransmit is handled anew.
    public mutating func abandon(_ key: Key) {
        if case .inFlight? = entries[key] { entries[key] = nil }
    }

    private mutating func expire(now: ContinuousClock.Instant) {
        while let oldest = expiries.first, oldest.expires <= now {
            expiries.removeFirst()
            // A key may have been answered again after a new request reused it; only drop the
            // entry whose expiry this is.
            if case .answered(_, let expires)? = entries[oldest.key], expires == oldest.expires {
                entries[oldest.key] = nil
            }
        }
    }
}
