import Policy
import RADIUSFront
import Testing

@Suite struct ChallengeStatesTests {
    let start = ContinuousClock.now
    let alice = ChallengeStates.Binding(client: IPAddress("192.0.2.10")!, username: "alice", section: "radius_server_challenge")
    static let continuation = LoginContinuation(
        username: "alice", stage: .secondFactor(menu: []), distinguishedName: nil, passThrough: [], attemptsLeft: 3)

    @Test func aTokenRedeemsOnceForItsBindingOnly() throws {
        var states = ChallengeStates()
        let issued = states.issue(Self.continuation, to: alice, now: start)
        let token = try #require(issued)
        #expect(token.count == 16)
        #expect(states.redeem(token, by: alice, now: start + .seconds(5)) == .success(Self.continuation))
        #expect(states.redeem(token, by: alice, now: start + .seconds(6)) == .failure(.unknown))
    }

    @Test(arguments: [
        ChallengeStates.Binding(client: IPAddress("192.0.2.11")!, username: "alice", section: "radius_server_challenge"),
        ChallengeStates.Binding(client: IPAddress("192.0.2.10")!, username: "mallory", section: "radius_server_challenge"),
        ChallengeStates.Binding(client: IPAddress("192.0.2.10")!, username: "alice", section: "radius_server_auto"),
    ])
    func anotherClientUserOrSectionRedeemsNothingAndBurnsTheToken(_ other: ChallengeStates.Binding) throws {
        var states = ChallengeStates()
        let issued = states.issue(Self.continuation, to: alice, now: start)
        let token = try #require(issued)
        #expect(states.redeem(token, by: other, now: start) == .failure(.wrongBinding))
        #expect(states.redeem(token, by: alice, now: start) == .failure(.unknown))
    }

    @Test func forgedAndExpiredTokensRedeemNothing() throws {
        var states = ChallengeStates(lifetime: .seconds(60))
        let issued = states.issue(Self.continuation, to: alice, now: start)
        let token = try #require(issued)
        var forged = token
        forged[0] ^= 1
        #expect(states.redeem(forged, by: alice, now: start) == .failure(.unknown))
        #expect(states.redeem(token, by: alice, now: start + .seconds(60)) == .failure(.unknown))
        #expect(states.count == 0)
    }

    @Test func theTableIsBounded() throws {
        var states = ChallengeStates(lifetime: .seconds(60), capacity: 2)
        #expect(states.issue(Self.continuation, to: alice, now: start) != nil)
        #expect(states.issue(Self.continuation, to: alice, now: start) != nil)
        #expect(states.issue(Self.continuation, to: alice, now: start) == nil)
        #expect(states.issue(Self.continuation, to: alice, now: start + .seconds(60)) != nil)
    }
}
