import DequeModule
import Foundation
import Policy

/// The logins waiting for a challenge answer, and the State tokens that name them.
///
/// SECURITY.md: "State is a sealed, expiring, single-use token bound to client, user and realm."
///
/// Most States carry the continuation itself, sealed (`StateSealer`, AES-GCM with the client,
/// user and section authenticated): with `[main] state_key` shared, any twofold process can
/// continue the login. Within a process a sealed State is redeemed once (its id is remembered
/// until it expires); another process with the same key could accept it once more within its
/// lifetime, which only leads back to the second factor of the same user from the same client.
///
/// A continuation too large for the 253 octets of State (a long menu, a long DN, pass-through
/// attributes) is kept in this process instead, named by 16 random octets: only this process can
/// continue that login. Either way a token that is forged, altered, replayed, expired, or
/// presented by another client, user or section redeems nothing.
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
        case unknown, expired, wrongBinding, unsealable

        public var description: String {
            switch self {
            case .unknown: "unknown or already used State"
            case .expired: "expired State"
            case .wrongBinding: "State issued to another client, user or section"
            case .unsealable:
                "State that does not open with this process's key: altered, issued to another client, user or section, "
                    + "or by a twofold with another [main] state_key"
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
    public let sealer: StateSealer
    /// Seconds since 1970: sealed States expire by the wall clock, which processes share.
    private let wallClock: @Sendable () -> Int64
    private var entries: [[UInt8]: Entry] = [:]
    private var order: Deque<(token: [UInt8], expires: ContinuousClock.Instant)> = []
    /// Ids of sealed States redeemed here, until they expire.
    private var redeemed: Set<[UInt8]> = []
    private var redeemedOrder: Deque<(id: [UInt8], expires: Int64)> = []

    static let sealedIDLength = 16

    public init(
        lifetime: Duration = .seconds(120), capacity: Int = 65_536, sealer: StateSealer = .random(),
        wallClock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }
    ) {
        self.lifetime = lifetime
        self.capacity = capacity
        self.sealer = sealer
        self.wallClock = wallClock
    }

    /// Continuations kept in this process (those too large to seal).
    public var count: Int { entries.count }

    /// Keeps a continuation and returns the State to send; nil when the table is full (the
    /// caller rejects the login rather than forget another user's challenge).
    public mutating func issue(_ continuation: LoginContinuation, to binding: Binding, now: ContinuousClock.Instant) -> [UInt8]? {
        expire(now: now)
        if let compact = continuation.compactEncoded() {
            var plaintext = Self.randomBytes(Self.sealedIDLength)
            let expires = wallClock() + lifetime.components.seconds
            plaintext.append(contentsOf: withUnsafeBytes(of: expires.bigEndian, Array.init))
            plaintext.append(contentsOf: compact)
            if let token = sealer.seal(plaintext, binding: binding) { return token }
        }
        guard entries.count < capacity else { return nil }
        let token = Self.randomBytes(Self.tokenLength)
        let expires = now + lifetime
        entries[token] = Entry(continuation: continuation, binding: binding, expires: expires)
        order.append((token, expires))
        return token
    }

    /// The continuation named by `token`, once: the entry is gone afterwards, whatever the answer.
    public mutating func redeem(_ token: [UInt8], by binding: Binding, now: ContinuousClock.Instant) -> Result<LoginContinuation, Refusal> {
        expire(now: now)
        if token.count != Self.tokenLength { return redeemSealed(token, by: binding) }
        guard let entry = entries.removeValue(forKey: token) else { return .failure(.unknown) }
        guard entry.expires > now else { return .failure(.expired) }
        guard entry.binding == binding else { return .failure(.wrongBinding) }
        return .success(entry.continuation)
    }

    private mutating func redeemSealed(_ token: [UInt8], by binding: Binding) -> Result<LoginContinuation, Refusal> {
        guard let plaintext = sealer.open(token, binding: binding), plaintext.count > Self.sealedIDLength + 8 else {
            return .failure(.unsealable)
        }
        let id = Array(plaintext[..<Self.sealedIDLength])
        let expires = plaintext[Self.sealedIDLength..<(Self.sealedIDLength + 8)].reduce(Int64(0)) { $0 << 8 | Int64($1) }
        let wallNow = wallClock()
        while let oldest = redeemedOrder.first, oldest.expires < wallNow {
            redeemedOrder.removeFirst()
            redeemed.remove(oldest.id)
        }
        guard expires >= wallNow else { return .failure(.expired) }
        guard !redeemed.contains(id) else { return .failure(.unknown) }
        guard let continuation = LoginContinuation(compact: Array(plaintext[(Self.sealedIDLength + 8)...])) else {
            return .failure(.unsealable)
        }
        // A full replay table refuses rather than forgets: forgetting would let a State be used twice.
        guard redeemed.count < capacity else { return .failure(.unknown) }
        redeemed.insert(id)
        redeemedOrder.append((id, expires))
        return .success(continuation)
    }

    private static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in generator.next() }
    }

    private mutating func expire(now: ContinuousClock.Instant) {
        while let oldest = order.first, oldest.expires <= now {
            order.removeFirst()
            if let entry = entries[oldest.token], entry.expires == oldest.expires { entries[oldest.token] = nil }
        }
    }
}
