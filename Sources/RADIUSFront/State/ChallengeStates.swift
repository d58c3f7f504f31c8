import DequeModule
import Policy

/// The logins waiting for a challenge answer, and the State tokens that name them.
///
/// SECURITY.md: "State is a sealed, expiring, single-use token bound to client, user and realm."
/// Here the token is 16 random octets naming an entry kept in this process; the entry records
/// whom it was issued to, so a token that is forged (unknown), replayed (already redeemed),
/// expired, or presented by another client, user or section redeems nothing. A token sealed with
/// a shared key, so that another process can continue the login, is issue 7's work and will
/// replace the table behind the same two calls.
public struct ChallengeStates: Sendable {
    /// Who a challenge was issued to; the answer must come from the same.
    public struct Binding: Hashable, Sendable {
        public var client: IPAddress
        /// The identity's raw name.
        public var username: String
        public var section: String

        public init(client: IPAddress, username: String, section: String) {
            self.client = client
            self.username = username
            self.section = section
        }
    }

    /// Why an answer's State redeemed nothing, for the log.
    public enum Refusal: Error, Hashable, Sendable, CustomStringConvertible {
        case unknown, expired, wrongBinding

        public var description: String {
            switch self {
            case .unknown: "unknown or already used State"
            case .expired: "expired State"
            case .wrongBinding: "State issued to another client, user or section"
            }
        }
    }

    public static let tokenLength = 16

    private struct Entry {
        var continuation: LoginContinuation
        var binding: Binding
        var expires: ContinuousClock.Instant
    }

    /// How long a user has to answer (the reference gives a challenge about a minute).
    public let lifetime: Duration
    public let capacity: Int
    private var entries: [[UInt8]: Entry] = [:]
    private var order: Deque<(token: [UInt8], expires: ContinuousClock.Instant)> = []

    public init(lifetime: Duration = .seconds(120), capacity: Int = 65_536) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    public var count: Int { entries.count }

    /// Keeps a continuation and returns the State to send; nil when the table is full (the
    /// caller rejects the login rather than forget another user's challenge).
    public mutating func issue(_ continuation: LoginContinuation, to binding: Binding, now: ContinuousClock.Instant) -> [UInt8]? {
        expire(now: now)
        guard entries.count < capacity else { return nil }
        var token = [UInt8](repeating: 0, count: Self.tokenLength)
        var generator = SystemRandomNumberGenerator()
        for index in token.indices { token[index] = generator.next() }
        let expires = now + lifetime
        entries[token] = Entry(continuation: continuation, binding: binding, expires: expires)
        order.append((token, expires))
        return token
    }

    /// The continuation named by `token`, once: the entry is gone afterwards, whatever the answer.
    public mutating func redeem(_ token: [UInt8], by binding: Binding, now: ContinuousClock.Instant) -> Result<LoginContinuation, Refusal> {
        expire(now: now)
        guard let entry = entries.removeValue(forKey: token) else { return .failure(.unknown) }
        guard entry.expires > now else { return .failure(.expired) }
        guard entry.binding == binding else { return .failure(.wrongBinding) }
        return .success(entry.continuation)
    }

    private mutating func expire(now: ContinuousClock.Instant) {
        while let oldest = order.first, oldest.expires <= now {
            order.removeFirst()
            if let entry = entries[oldest.token], entry.expires == oldest.expires { entries[oldest.token] = nil }
        }
    }
}
