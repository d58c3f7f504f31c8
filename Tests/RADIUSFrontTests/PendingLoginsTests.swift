import RADIUSFront
import Testing

/// Which new logins join an identical one in progress, and who gets the decision.
@Suite struct PendingLoginsTests {
    static let start = ContinuousClock.now
    static func key(user: String = "alice", password: [UInt8] = [1, 2, 3], address: String = "198.51.100.7") -> PendingLogins<Int>.Key {
        .init(section: 0, device: IPAddress("192.0.2.10")!, userAddress: address, user: user, passwordDigest: password)
    }

    @Test func anIdenticalLoginWithinTheWindowJoinsAndGetsTheDecision() {
        var table = PendingLogins<Int>()
        guard case .lead(let leader) = table.begin(Self.key(), waiter: 1, window: .seconds(30), now: Self.start) else {
            Issue.record("the first login leads")
            return
        }
        #expect(table.begin(Self.key(), waiter: 2, window: .seconds(30), now: Self.start + .seconds(5)) == .joined)
        #expect(table.begin(Self.key(), waiter: 3, window: .seconds(30), now: Self.start + .seconds(30)) == .joined)
        #expect(table.finish(Self.key(), leader: leader) == [2, 3])
        #expect(table.count == 0)
        // Finished: the next identical login leads again (no decision is replayed).
        #expect(table.begin(Self.key(), waiter: 4, window: .seconds(30), now: Self.start + .seconds(31)) != .joined)
    }

    @Test func anotherPasswordUserOrAddressNeverJoins() {
        var table = PendingLogins<Int>()
        _ = table.begin(Self.key(), waiter: 1, window: .seconds(30), now: Self.start)
        for other in [Self.key(password: [1, 2, 4]), Self.key(user: "bob"), Self.key(address: "198.51.100.8")] {
            guard case .lead = table.begin(other, waiter: 2, window: .seconds(30), now: Self.start) else {
                Issue.record("\(other) joined another login")
                continue
            }
        }
    }

    @Test func pastTheWindowOrTheFollowerBoundALoginGoesAlone() {
        var table = PendingLogins<Int>(followersPerLogin: 2)
        guard case .lead(let leader) = table.begin(Self.key(), waiter: 0, window: .seconds(30), now: Self.start) else {
            Issue.record("the first login leads")
            return
        }
        #expect(table.begin(Self.key(), waiter: 1, window: .seconds(30), now: Self.start + .seconds(31)) == .alone)
        #expect(table.begin(Self.key(), waiter: 2, window: .seconds(30), now: Self.start) == .joined)
        #expect(table.begin(Self.key(), waiter: 3, window: .seconds(30), now: Self.start) == .joined)
        #expect(table.begin(Self.key(), waiter: 4, window: .seconds(30), now: Self.start) == .alone)
        // A stale leader id removes nothing.
        #expect(table.finish(Self.key(), leader: leader &+ 1).isEmpty)
        #expect(table.finish(Self.key(), leader: leader) == [2, 3])
    }
}
