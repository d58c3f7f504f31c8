import DuoAPI
import Foundation
import Policy
import Testing

/// `radius_server_iframe`: the challenge carries a Duo Web v2 request; only Duo's signed answer
/// for the same user passes.
@Suite struct WebPromptTests {
    static let ikey = "DIWJ8X6AEYOR5OMC6TQ1"
    static let skey = "Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep"
    static let akey = "useacustomerprovidedapplicationsecretkey"
    /// The wall clock of ``ManualClock``.
    static let now: Int64 = 1_764_430_836

    static func section(failmode: Failmode = .safe) -> SectionPolicy {
        var section = Harness.section(mode: .iframe, failmode: failmode)
        section.integrationKey = ikey
        section.webPrompt = WebPrompt(
            secretKey: skey, applicationKey: akey, apiHost: "api-test.duosecurity.com",
            scriptURI: WebPrompt.juniperScriptURI(apiHost: "api-test.duosecurity.com"))
        return section
    }

    /// What Duo's frame posts back after the user approved: an AUTH cookie for `user` signed with
    /// the secret key, and the request's APP cookie.
    static func frameAnswer(to prompt: String, user: String = "alice", key: String = skey, now: Int64 = now) throws -> (auth: String, whole: String) {
        let start = try #require(prompt.range(of: "Duo_Init('"))
        let request = prompt[start.upperBound...].prefix { $0 != "'" }
        let app = try #require(request.split(separator: ":").last)
        let auth = try DuoWeb.signedCookie(prefix: DuoWeb.authenticationPrefix, key: key, username: user, integrationKey: ikey, now: now, lifetime: 300)
        return (auth, auth + ":" + app)
    }

    static func challenge(_ decision: Decision) throws -> Decision.Challenge {
        guard case .challenge(let challenge) = decision else {
            Issue.record("expected a challenge, got \(decision)")
            throw Unexpected()
        }
        return challenge
    }

    struct Unexpected: Error {}

    @Test func theChallengeCarriesASignedRequestInTheJuniperScript() async throws {
        let harness = Harness(section: Self.section())
        let challenge = try Self.challenge(try await harness.login("alice", "secret"))
        #expect(challenge.prompt.hasPrefix(
            "<script src='https://api-test.duosecurity.com/frame/hosted/Duo-Juniper-v1.js'></script><script>Duo_Init('TX|"))
        #expect(challenge.prompt.hasSuffix("', 'api-test.duosecurity.com');</script>"))
        #expect(harness.duo.authRequests.isEmpty)
    }

    @Test(arguments: ["auth", "whole", "percent-encoded"])
    func duosSignedAnswerForTheUserPasses(_ form: String) async throws {
        let harness = Harness(section: Self.section())
        let decision = try await harness.login("alice", "secret")
        let answer = try Self.frameAnswer(to: try Self.challenge(decision).prompt)
        let typed = switch form {
        case "auth": answer.auth
        case "whole": answer.whole
        default: answer.whole.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        }
        #expect(try await harness.answer(decision, "alice", typed).isAccept)
    }

    @Test func aResponseAnswersOneChallengeOnly() async throws {
        let harness = Harness(section: Self.section())
        let first = try await harness.login("alice", "secret")
        let answer = try Self.frameAnswer(to: try Self.challenge(first).prompt)
        #expect(try await harness.answer(first, "alice", answer.auth).isAccept)
        // A new login of alice, answered with the AUTH cookie of the first: refused.
        let second = try await harness.login("alice", "secret")
        #expect(try await !harness.answer(second, "alice", answer.auth).isAccept)
        let fresh = try Self.frameAnswer(to: try Self.challenge(second).prompt, now: Self.now + 1)
        let third = try await harness.login("alice", "secret")
        #expect(try await harness.answer(third, "alice", fresh.auth).isAccept, "a new response from the frame passes")
    }

    @Test(arguments: ["another user", "another user's whole response", "wrong key", "expired", "garbage", "empty"])
    func anythingElseIsRejected(_ case: String) async throws {
        let harness = Harness(section: Self.section())
        let decision = try await harness.login("alice", "secret")
        let prompt = try Self.challenge(decision).prompt
        let typed = switch `case` {
        case "another user": try Self.frameAnswer(to: prompt, user: "mallory").whole
        case "another user's whole response":
            // Both cookies valid, for mallory: a response from another login of this integration.
            try Self.frameAnswer(to: prompt, user: "mallory").auth + ":"
                + DuoWeb.signedCookie(prefix: DuoWeb.applicationPrefix, key: Self.akey, username: "mallory", integrationKey: Self.ikey, now: Self.now, lifetime: 3600)
        case "wrong key": try Self.frameAnswer(to: prompt, key: String(repeating: "k", count: 40)).auth
        case "expired": try Self.frameAnswer(to: prompt, now: Self.now - 301).auth
        case "garbage": "AUTH|x|y"
        default: ""
        }
        let answer = try await harness.answer(decision, "alice", typed)
        guard case .reject(let reject) = answer else {
            Issue.record("\(`case`): expected a reject, got \(answer)")
            return
        }
        #expect(reject.message == PolicyMessages.webPromptInvalid)
    }

    // MARK: - ldap_server_duo_only: `web` asks for the frame, its whole signed response is a password

    static func duoOnlySection() -> SectionPolicy {
        var section = Harness.section(mode: .duoOnly)
        section.integrationKey = ikey
        section.webPrompt = WebPrompt(
            secretKey: skey, applicationKey: akey, apiHost: "api-test.duosecurity.com", scriptURI: "", template: WebPrompt.signedRequestTemplate)
        return section
    }

    @Test func aDuoOnlyLoginGetsTheSignedRequestForWebAndPassesWithTheWholeResponse() async throws {
        let harness = Harness(section: Self.duoOnlySection())
        let prompt = try Self.challenge(try await harness.login("alice", "WEB")).prompt
        #expect(prompt.hasPrefix("TX|") && prompt.contains(":APP|"))
        #expect(harness.duo.authRequests.isEmpty)
        let app = try #require(prompt.split(separator: ":").last)
        let auth = try DuoWeb.signedCookie(prefix: DuoWeb.authenticationPrefix, key: Self.skey, username: "alice", integrationKey: Self.ikey, now: Self.now, lifetime: 300)
        #expect(try await harness.login("alice", auth + ":" + app).isAccept)
        #expect(harness.duo.authRequests.isEmpty)
        // Each response opens one login: the same one again is a replay.
        #expect(try await !harness.login("alice", auth + ":" + app).isAccept)
        // The AUTH cookie alone: a duo-only bind has no stored request to take the APP cookie from.
        #expect(try await !harness.login("alice", auth).isAccept)
        // Another user's bind with alice's response.
        #expect(try await !harness.login("mallory", auth + ":" + app).isAccept)
        // Without a Web prompt (no akey), `web` is no factor.
        let plain = Harness(section: Harness.section(mode: .duoOnly))
        #expect(try await !plain.login("alice", "web").isAccept)
    }

    @Test(arguments: [Failmode.safe, .secure])
    func failmodeAppliesWhenDuoIsDown(_ failmode: Failmode) async throws {
        let duo = FakeDuo(.init(preauth: .failure(DuoFailure(.connectionRefused, diagnostic: "test"))))
        let harness = Harness(section: Self.section(failmode: failmode), duo: duo)
        let decision = try await harness.login("alice", "secret")
        #expect(decision.isAccept == (failmode == .safe))
    }
}
