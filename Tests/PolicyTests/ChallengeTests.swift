import DuoAPI
import Foundation
import Policy
import RADIUSWire
import TestSupport
import Testing

/// Challenges: the menu of `radius_server_challenge`, passcode prompts, answer limits, upstream
/// Access-Challenges, and continuations that survive a round trip through a sealed token.
@Suite struct ChallengeTests {
    static let challengeSection = Harness.section(mode: .challenge, factors: [.push, .phone, .sms, .passcode])

    @Test func theMenuListsEachFactorForEachCapableDevice() async throws {
        let harness = Harness(section: Self.challengeSection)
        let decision = try await harness.login("alice", "secret")
        guard case .challenge(let challenge) = decision else {
            Issue.record("expected a challenge, got \(decision)")
            return
        }
        #expect(challenge.prompt == """
            Duo two-factor login for alice

            Enter a passcode or select one of the following options:

             1. Duo Push to XXX-XXX-1111
             2. Duo Push to iPad
             3. Phone call to XXX-XXX-1111
             4. SMS passcodes to XXX-XXX-1111

            Passcode or option (1-4):
            """)
        #expect(harness.primary.passwordsTried == ["secret"])
        #expect(harness.duo.authRequests.isEmpty)
    }

    @Test(arguments: [
        ("1", DuoFactor.push, "DPHONE1"), ("2", .push, "DPHONE2"), ("3", .phone, "DPHONE1"), ("push2", .push, "DPHONE2"),
        ("phone", .phone, "auto"), (" 123456 ", .passcode("123456"), "auto"),
    ])
    func answers(_ answer: String, _ factor: DuoFactor, _ device: String) async throws {
        let harness = Harness(section: Self.challengeSection)
        let decision = try await harness.answer(try await harness.login("alice", "secret"), "alice", answer)
        #expect(decision.isAccept)
        #expect(harness.duo.authRequests.map(\.factor) == [factor])
        #expect(harness.duo.authRequests.map(\.device) == [device])
    }

    @Test func wrongAnswersAreLimited() async throws {
        let harness = Harness(section: Self.challengeSection)
        var decision = try await harness.login("alice", "secret")
        for (index, wrong) in ["000000", "pushy", "111111"].enumerated() {
            decision = try await harness.answer(decision, "alice", wrong)
            if index < 2 {
                guard case .challenge(let again) = decision else {
                    Issue.record("expected another challenge after \(wrong), got \(decision)")
                    return
                }
                #expect(again.continuation.attemptsLeft == 2 - index)
            }
        }
        #expect(!decision.isAccept)
        #expect(decision.message == PolicyMessages.tooManyAnswers)
        // Only the two passcodes reached Duo; "pushy" is no menu entry, factor or passcode.
        #expect(harness.duo.authRequests.map(\.factor) == [.passcode("000000"), .passcode("111111")])
    }

    @Test func smsSendsCodesAndAsksAgain() async throws {
        let harness = Harness(section: Self.challengeSection)
        let afterSMS = try await harness.answer(try await harness.login("alice", "secret"), "alice", "4")
        guard case .challenge(let challenge) = afterSMS else {
            Issue.record("expected a new challenge, got \(afterSMS)")
            return
        }
        #expect(challenge.prompt.hasPrefix("New SMS passcodes sent.\n\n"))
        #expect(try await harness.answer(afterSMS, "alice", "123456").isAccept)
    }

    @Test func anAnswerForAnotherUserIsRefused() async throws {
        let harness = Harness(section: Self.challengeSection, primary: FakePrimary(["alice": "secret", "mallory": "m"]))
        let decision = try await harness.answer(try await harness.login("alice", "secret"), "mallory", "1")
        #expect(decision.message == PolicyMessages.challengeMismatch)
        #expect(harness.duo.authRequests.isEmpty)
    }

    @Test func anUpstreamChallengeGoesBackUpstreamWithItsState() async throws {
        /// Challenges `alice`/`secret` with State "s1", accepts the answer `4242` with that State.
        final class ChallengingPrimary: PrimaryAuthenticator, Sendable {
            let name = "radius_client"
            let log = Locked<[PrimaryRequest]>([])
            func authenticate(_ request: PrimaryRequest) async -> PrimaryOutcome {
                log.withLock { $0.append(request) }
                switch (String(decoding: request.password.bytes, as: UTF8.self), request.upstreamState) {
                case ("secret", nil):
                    return .challenged(PrimaryChallenge(state: Array("s1".utf8), message: "Enter your token code", passThroughAttributes: [RADIUSAttribute(.class, text: "c")]))
                case ("4242", Array("s1".utf8)?):
                    return .accepted(PrimaryAccept(passThroughAttributes: [RADIUSAttribute(.class, text: "vpn-users")]))
                default:
                    return .rejected(PrimaryRejection(.refusedByServer, diagnostic: "Access-Reject"))
                }
            }
        }
        let primary = ChallengingPrimary()
        let duo = FakeDuo()
        let engine = PolicyEngine(section: Harness.section(), primary: primary, duo: duo)
        let identity = try LoginIdentity.parse("alice")
        let first = await engine.authenticate(LoginRequest(identity: identity, password: Password("secret")))
        guard case .challenge(let challenge) = first else {
            Issue.record("expected the upstream challenge, got \(first)")
            return
        }
        #expect(challenge.prompt == "Enter your token code")
        #expect(challenge.attributes == [RADIUSAttribute(.class, text: "c")])
        #expect(duo.calls.isEmpty)
        let final = await engine.resume(challenge.continuation, answer: Password("4242"), request: LoginRequest(identity: identity, password: Password("4242")))
        guard case .accept(let accept) = final else {
            Issue.record("expected accept, got \(final)")
            return
        }
        #expect(accept.attributes == [RADIUSAttribute(.class, text: "vpn-users")])
        #expect(duo.authRequests.map(\.factor) == [.auto])
        #expect(primary.log.withLock { $0.map(\.upstreamState) } == [nil, Array("s1".utf8)])
    }

    @Test func continuationsSurviveEncoding() async throws {
        let harness = Harness(section: Self.challengeSection, primary: FakePrimary(passThrough: [RADIUSAttribute(.class, text: "staff")]))
        let decision = try await harness.login("alice", "secret")
        guard case .challenge(let challenge) = decision else {
            Issue.record("expected a challenge, got \(decision)")
            return
        }
        let data = try JSONEncoder().encode(challenge.continuation)
        let decoded = try JSONDecoder().decode(LoginContinuation.self, from: data)
        #expect(decoded == challenge.continuation)
        let request = LoginRequest(identity: try LoginIdentity.parse("alice"), password: Password("1"))
        let final = await harness.engine.resume(decoded, answer: Password("1"), request: request)
        guard case .accept(let accept) = final else {
            Issue.record("expected accept, got \(final)")
            return
        }
        #expect(accept.attributes == [RADIUSAttribute(.class, text: "staff")])
        #expect(!String(decoding: data, as: UTF8.self).contains("secret"))
    }
}
