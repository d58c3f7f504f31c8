import Policy
import RADIUSFront
import Synchronization
import Testing

@Suite struct ChallengeStatesTests {
    let start = ContinuousClock.now
    let alice = ChallengeStates.Binding(client: IPAddress("192.0.2.10")!, username: "alice", section: "radius_server_challenge")
    static let continuation = LoginContinuation(
        username: "alice",
        stage: .secondFactor(menu: [
            .init(factor: "push", device: "DPFZRS9FB0D46QFTM899", label: "Duo Push to XXX-XXX-0100"),
            .init(factor: "phone", device: "DPFZRS9FB0D46QFTM899", label: "Phone call to XXX-XXX-0100"),
            .init(factor: "sms", device: "DPFZRS9FB0D46QFTM899", label: "SMS passcodes to XXX-XXX-0100"),
        ]),
        distinguishedName: nil, passThrough: [], attemptsLeft: 3)
    /// Too large for State (a long pass-through attribute): kept in the process instead.
    static let large = LoginContinuation(
        username: "alice", stage: .secondFactor(menu: []), distinguishedName: nil,
        passThrough: [.init(type: 25, value: Array(repeating: 0x41, count: 250))], attemptsLeft: 3)
    static let others = [
        ChallengeStates.Binding(client: IPAddress("192.0.2.11")!, username: "alice", section: "radius_server_challenge"),
        ChallengeStates.Binding(client: IPAddress("192.0.2.10")!, username: "mallory", section: "radius_server_challenge"),
        ChallengeStates.Binding(client: IPAddress("192.0.2.10")!, username: "alice", section: "radius_server_auto"),
    ]

    // MARK: Sealed States (the continuation travels in the token)

    @Test func aSealedStateRedeemsOnceAndKeepsNothingInTheProcess() throws {
        var states = ChallengeStates(sealer: StateSealer(secret: Array("a shared state key".utf8)))
        let issuedToken = states.issue(Self.continuation, to: alice, now: start)
        let token = try #require(issuedToken)
        #expect(token.count > 16 && token.count <= 253)
        #expect(states.count == 0)
        #expect(states.redeem(token, by: alice, now: start) == .success(Self.continuation))
        #expect(states.redeem(token, by: alice, now: start) == .failure(.unknown), "single use")
    }

    @Test func anotherProcessWithTheSameKeyContinuesTheLoginAndOtherKeysCannot() throws {
        var issuer = ChallengeStates(sealer: StateSealer(secret: Array("a shared state key".utf8)))
        var peer = ChallengeStates(sealer: StateSealer(secret: Array("a shared state key".utf8)))
        var stranger = ChallengeStates(sealer: StateSealer(secret: Array("another key".utf8)))
        var randomKey = ChallengeStates()
        let issuedToken = issuer.issue(Self.continuation, to: alice, now: start)
        let token = try #require(issuedToken)
        #expect(stranger.redeem(token, by: alice, now: start) == .failure(.unsealable))
        #expect(randomKey.redeem(token, by: alice, now: start) == .failure(.unsealable))
        #expect(peer.redeem(token, by: alice, now: start) == .success(Self.continuation))
    }

    @Test(arguments: others)
    func aSealedStateOpensForItsBindingOnly(_ other: ChallengeStates.Binding) throws {
        var states = ChallengeStates()
        let issuedToken = states.issue(Self.continuation, to: alice, now: start)
        let token = try #require(issuedToken)
        #expect(states.redeem(token, by: other, now: start) == .failure(.unsealable))
        #expect(states.redeem(token, by: alice, now: start) == .success(Self.continuation))
    }

    @Test func everyAlteredOctetIsRefused() throws {
        var states = ChallengeStates()
        let issuedToken = states.issue(Self.continuation, to: alice, now: start)
        let token = try #require(issuedToken)
        for index in token.indices {
            var altered = token
            altered[index] ^= 0x01
            #expect(states.redeem(altered, by: alice, now: start) == .failure(.unsealable), "octet \(index)")
        }
        #expect(states.redeem(Array(token.dropLast()), by: alice, now: start) == .failure(.unsealable))
        #expect(states.redeem(token, by: alice, now: start) == .success(Self.continuation))
    }

    @Test func aSealedStateExpiresByTheWallClock() throws {
        let wall = Atomic<Int64>(1_800_000_000)
        let clock: @Sendable () -> Int64 = { wall.load(ordering: .relaxed) }
        var states = ChallengeStates(lifetime: .seconds(60), wallClock: clock)
        let issuedFirst = states.issue(Self.continuation, to: alice, now: start)
        let first = try #require(issuedFirst)
        let issuedSecond = states.issue(Self.continuation, to: alice, now: start)
        let second = try #require(issuedSecond)
        wall.store(1_800_000_060, ordering: .relaxed)
        #expect(states.redeem(first, by: alice, now: start) == .success(Self.continuation), "at its last second")
        wall.store(1_800_000_061, ordering: .relaxed)
        #expect(states.redeem(second, by: alice, now: start) == .failure(.expired))
    }

    // MARK: States kept in the process (continuations too large to seal)

    @Test func aLargeContinuationIsKeptHereAndRedeemsOnceForItsBindingOnly() throws {
        var states = ChallengeStates()
        let issuedToken = states.issue(Self.large, to: alice, now: start)
        let token = try #require(issuedToken)
        #expect(token.count == 16)
        #expect(states.count == 1)
        #expect(states.redeem(token, by: alice, now: start + .seconds(5)) == .success(Self.large))
        #expect(states.redeem(token, by: alice, now: start + .seconds(6)) == .failure(.unknown))
    }

    @Test(arguments: others)
    func anotherClientUserOrSectionRedeemsNothingAndBurnsTheToken(_ other: ChallengeStates.Binding) throws {
        var states = ChallengeStates()
        let issuedToken = states.issue(Self.large, to: alice, now: start)
        let token = try #require(issuedToken)
        #expect(states.redeem(token, by: other, now: start) == .failure(.wrongBinding))
        #expect(states.redeem(token, by: alice, now: start) == .failure(.unknown))
    }

    @Test func forgedAndExpiredTokensRedeemNothing() throws {
        var states = ChallengeStates(lifetime: .seconds(60))
        let issuedToken = states.issue(Self.large, to: alice, now: start)
        let token = try #require(issuedToken)
        var forged = token
        forged[0] ^= 1
        #expect(states.redeem(forged, by: alice, now: start) == .failure(.unknown))
        #expect(states.redeem(token, by: alice, now: start + .seconds(60)) == .failure(.unknown))
        #expect(states.count == 0)
    }

    @Test func theTableIsBounded() throws {
        var states = ChallengeStates(lifetime: .seconds(60), capacity: 2)
        #expect(states.issue(Self.large, to: alice, now: start) != nil)
        #expect(states.issue(Self.large, to: alice, now: start) != nil)
        #expect(states.issue(Self.large, to: alice, now: start) == nil)
        #expect(states.issue(Self.large, to: alice, now: start + .seconds(60)) != nil)
    }
}
