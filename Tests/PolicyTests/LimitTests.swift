import Logging
import DuoAPI
import Policy
import Testing

/// Lockout after failed passwords and push-fatigue limits, with a clock the test moves.
@Suite struct LimitTests {
    static func limits(user: Int? = 3, address: Int? = nil, pushes: Int? = nil) -> LoginLimits {
        LoginLimits(
            failedPrimaryPerUser: user.map { .init(count: $0, window: .seconds(60)) },
            failedPrimaryPerAddress: address.map { .init(count: $0, window: .seconds(60)) },
            pushesPerUser: pushes.map { .init(count: $0, window: .seconds(60)) })
    }

    @Test func aUserIsLockedOutAfterTooManyWrongPasswordsAndTheLockLifts() async throws {
        let harness = Harness(section: Harness.section(limits: Self.limits(user: 3)))
        for _ in 0..<3 { #expect(try await harness.login("alice", "wrong").message == PolicyMessages.primaryRejected) }
        // Locked: even the right password is refused, and the primary is not asked.
        let locked = try await harness.login("alice", "secret")
        #expect(locked.message == PolicyMessages.lockedOut)
        #expect(harness.primary.requests.count == 3)
        #expect(harness.events.all.last?.status == .reject)
        #expect(harness.logs.entries.last?.metadata["reason"]?.description.contains("retry after 60 s") == true)
        // Another user is not affected; nor is the same name in another case a way around it.
        #expect(try await harness.login("ALICE", "secret").message == PolicyMessages.lockedOut)
        harness.clock.advance(.seconds(61))
        #expect(try await harness.login("alice", "secret").isAccept)
    }

    @Test func anAddressIsLockedOutAcrossUsers() async throws {
        let primary = FakePrimary(["alice": "secret", "bob": "secret", "carol": "secret"])
        let harness = Harness(section: Harness.section(limits: Self.limits(user: nil, address: 2)), primary: primary)
        #expect(try await !harness.login("alice", "x", from: "198.51.100.7").isAccept)
        #expect(try await !harness.login("bob", "y", from: "198.51.100.7").isAccept)
        #expect(try await harness.login("carol", "secret", from: "198.51.100.7").message == PolicyMessages.lockedOut)
        #expect(try await harness.login("carol", "secret", from: "198.51.100.8").isAccept)
    }

    @Test func pushesAreLimitedPerUserButPasscodesAreNot() async throws {
        let harness = Harness(section: Harness.section(limits: Self.limits(user: nil, pushes: 2)))
        #expect(try await harness.login("alice", "secret,push").isAccept)
        #expect(try await harness.login("alice", "secret,phone").isAccept)
        let third = try await harness.login("alice", "secret,push")
        #expect(third.message == PolicyMessages.tooManyPushes)
        #expect(harness.duo.authRequests.count == 2)
        #expect(try await harness.login("alice", "secret,123456").isAccept)
        harness.clock.advance(.seconds(60))
        #expect(try await harness.login("alice", "secret").isAccept)
    }

    @Test func theTablesStayBoundedUnderAFloodOfNames() {
        let limiter = LoginLimiter(LoginLimits(capacity: 100))
        let now = ContinuousClock.now
        for index in 0..<10_000 {
            limiter.recordPrimaryFailure(user: "user\(index)", address: "10.0.\(index / 256).\(index % 256)", now: now)
        }
        #expect(limiter.trackedKeys <= 200)
        // The most recent names are still counted.
        limiter.recordPrimaryFailure(user: "user9999", address: nil, now: now)
        #expect(limiter.checkPrimary(user: "user9999", address: nil, now: now) == nil)
    }

    @Test func theWindowSlides() {
        let limiter = LoginLimiter(Self.limits(user: 2))
        let start = ContinuousClock.now
        limiter.recordPrimaryFailure(user: "alice", address: nil, now: start)
        limiter.recordPrimaryFailure(user: "alice", address: nil, now: start + .seconds(30))
        #expect(limiter.checkPrimary(user: "alice", address: nil, now: start + .seconds(31)) == .failedPrimaryForUser(retryAfter: .seconds(29)))
        // The first failure ages out at 60 s; the second still counts, alone.
        #expect(limiter.checkPrimary(user: "alice", address: nil, now: start + .seconds(60)) == nil)
        limiter.recordPrimaryFailure(user: "alice", address: nil, now: start + .seconds(61))
        #expect(limiter.checkPrimary(user: "alice", address: nil, now: start + .seconds(62)) == .failedPrimaryForUser(retryAfter: .seconds(28)))
    }
}
