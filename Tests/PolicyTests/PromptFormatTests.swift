import DuoAPI
import Policy
import Testing

/// `prompt_format` and `enroll_challenge` of `radius_server_challenge`, as the reference writes them.
@Suite struct PromptFormatTests {
    static func section(_ format: PromptFormat, enrollChallenge: Bool = true) -> SectionPolicy {
        var section = Harness.section(mode: .challenge, factors: [.push, .phone, .sms, .passcode])
        section.promptFormat = format
        section.enrollChallenge = enrollChallenge
        return section
    }

    static func prompt(_ decision: Decision) -> String? {
        if case .challenge(let challenge) = decision { return challenge.prompt }
        Issue.record("expected a challenge, got \(decision)")
        return nil
    }

    @Test func htmlEscapesTheLinesAndJoinsThemWithBreaks() async throws {
        let devices = [DuoDevice(device: "DPHONE1", type: "phone", name: "<Work & home>", capabilities: ["push", "phone"])]
        let harness = Harness(section: Self.section(.html), duo: FakeDuo(.init(preauth: .success(.auth(devices: devices, message: "")))))
        let prompt = Self.prompt(try await harness.login("alice", "secret"))
        #expect(prompt == "Duo two-factor login for alice<br><br>Enter a passcode or select one of the following options:<br><br>"
            + "1. Duo Push to &lt;Work &amp; home&gt;<br>2. Phone call to &lt;Work &amp; home&gt;<br><br>"
            + "Passcode or option (1-2):")
    }

    @Test func shortNamesTheAnswersAndTheyAreUnderstood() async throws {
        let harness = Harness(section: Self.section(.short))
        let challenge = try await harness.login("alice", "secret")
        #expect(Self.prompt(challenge) == "Choose a secondary factor from ('push1', 'push2', 'phone1', 'sms1') or enter passcode:")
        #expect(try await harness.answer(challenge, "alice", "push2").isAccept)
        #expect(harness.duo.authRequests.map(\.device) == ["DPHONE2"])
        // A wrong answer asks again in the same format.
        let again = try await harness.answer(try await harness.login("alice", "secret"), "alice", "999999")
        #expect(Self.prompt(again)?.hasSuffix("Choose a secondary factor from ('push1', 'push2', 'phone1', 'sms1') or enter passcode:") == true)
    }

    @Test func aConsoleMenuTooLongForOneReplyMessageFallsBackToShort() async throws {
        let devices = (1...6).map {
            DuoDevice(device: "DPHONE\($0)", type: "phone", name: "Phone \($0)", number: "XXX-XXX-000\($0)", capabilities: ["push", "phone"])
        }
        let duo = FakeDuo(.init(preauth: .success(.auth(devices: devices, message: ""))))
        let harness = Harness(section: Self.section(.console), duo: duo)
        let prompt = try #require(Self.prompt(try await harness.login("alice", "secret")))
        #expect(prompt.hasPrefix("Choose a secondary factor from ('push1', 'push2'"), "\(prompt)")
        #expect(prompt.utf8.count <= 253)
    }

    @Test func aUserWhoMustEnrollIsChallengedWithTheURLAndAnyAnswerIsRejected() async throws {
        let duo = FakeDuo(.init(preauth: .success(.enroll(message: "Enroll in Duo", portalURL: "https://enroll.example/abc"))))
        let harness = Harness(section: Self.section(.console), duo: duo)
        let challenge = try await harness.login("alice", "secret")
        #expect(Self.prompt(challenge) == "Enroll in Duo: https://enroll.example/abc")
        let answer = try await harness.answer(challenge, "alice", "123456")
        guard case .reject(let reject) = answer else {
            Issue.record("expected a reject, got \(answer)")
            return
        }
        #expect(reject.message == PolicyMessages.enrollThenLogInAgain)
        #expect(harness.duo.authRequests.isEmpty)
    }

    @Test func withoutEnrollChallengeTheUserIsRejectedWithTheURL() async throws {
        let duo = FakeDuo(.init(preauth: .success(.enroll(message: "Enroll in Duo", portalURL: "https://enroll.example/abc"))))
        let harness = Harness(section: Self.section(.console, enrollChallenge: false), duo: duo)
        let decision = try await harness.login("alice", "secret")
        guard case .reject(let reject) = decision else {
            Issue.record("expected a reject, got \(decision)")
            return
        }
        #expect(reject.message == "Enroll in Duo: https://enroll.example/abc")
    }
}
