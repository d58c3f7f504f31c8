import DuoAPI
import Policy
import RADIUSWire
import Synchronization
import TestSupport
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

/// A Duo whose preauth waits until the test opens the gate, counting calls.
final class GatedDuo: SecondFactor {
    private let state = Mutex((open: false, preauths: 0, auths: 0))
    var preauths: Int { state.withLock { $0.preauths } }
    var auths: Int { state.withLock { $0.auths } }
    func open() { state.withLock { $0.open = true } }

    func preauth(username: String, ipAddress: String?) async throws(DuoFailure) -> DuoPreauthResult {
        state.withLock { $0.preauths += 1 }
        // A fake's wait on the test's condition, not a test sleeping and hoping.
        while !state.withLock({ $0.open }) { try? await Task.sleep(for: .milliseconds(5)) }
        return .auth(devices: [DuoDevice(device: "DPHONE1", capabilities: ["auto", "push"])], message: "")
    }

    func auth(_ request: DuoAuthRequest) async throws(DuoFailure) -> DuoAuthResult {
        state.withLock { $0.auths += 1 }
        return .allow(message: "Success. Logging you in...")
    }
}

/// Joining through the login processor: the decision is shared, a challenge is not.
@Suite struct PendingLoginJoiningTests {
    static let device = IPAddress("192.0.2.10")!
    static let laptop = RADIUSAttribute(.callingStationID, text: "198.51.100.7")

    static func replies(mode: SectionPolicy.Mode) async throws -> (codes: [RADIUSCode], states: Set<[UInt8]>, duo: GatedDuo) {
        let duo = GatedDuo()
        let section = Fixtures.section(mode: mode, duo: duo)
        let processor = RADIUSLoginProcessor(sections: [section])
        var gate = RADIUSRequestGate(sections: [section])
        var logins: [RADIUSRequestGate.PendingLogin] = []
        for identifier in [UInt8(1), 2] {
            guard case .login(let login) = gate.receive(
                Fixtures.accessRequest("alice", "secret", identifier: identifier, extra: [laptop]), from: device, port: 40_000, now: .now)
            else { throw LoginProcessorTests.GateRefused() }
            logins.append(login)
        }
        async let first = processor.process(logins[0])
        try await Wait.until("the first login is at Duo", timeout: .seconds(10)) { duo.preauths == 1 }
        async let second = processor.process(logins[1])
        try await Wait.until("the second login waits on the first", timeout: .seconds(10)) { processor.loginsWaitingOnAnother == 1 }
        duo.open()
        let outcomes = await [first, second]
        let packets = try outcomes.map { try RADIUSPacket(decoding: $0.reply) }
        return (packets.map(\.code), Set(packets.compactMap { $0[.state]?.value }), duo)
    }

    @Test(.timeLimit(.minutes(1)))
    func aPushDecisionIsShared() async throws {
        let (codes, _, duo) = try await Self.replies(mode: .auto)
        #expect(codes == [.accessAccept, .accessAccept])
        #expect(duo.preauths == 1 && duo.auths == 1)
    }

    @Test(.timeLimit(.minutes(1)))
    func aChallengeIsNotSharedEachLoginGetsItsOwnState() async throws {
        let (codes, states, duo) = try await Self.replies(mode: .challenge)
        #expect(codes == [.accessChallenge, .accessChallenge])
        #expect(states.count == 2)
        #expect(duo.preauths == 2)
    }
}
