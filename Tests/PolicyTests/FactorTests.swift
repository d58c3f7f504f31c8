import DuoAPI
import Policy
import Testing

/// Every form in which a second factor arrives: appended to the password, as a duo-only password,
/// as the section's default, and as a challenge answer.
@Suite struct FactorTests {
    struct Row: CustomTestStringConvertible, Sendable {
        var password: String
        /// What the primary must have been asked, in order.
        var primaryTried: [String]
        /// The Duo auth request's factor and device, or nil when no auth happens.
        var factor: DuoFactor?
        var device: String = "auto"
        var accepted: Bool = true
        var testDescription: String { "\"\(password)\"" }
    }

    /// alice's password is `secret`; carol's is `pa,ss` (contains the delimiter); dave's ends in `,push`.
    static let concatenated: [Row] = [
        Row(password: "secret", primaryTried: ["secret"], factor: .auto),
        Row(password: "secret,push", primaryTried: ["secret"], factor: .push),
        Row(password: "secret,PUSH", primaryTried: ["secret"], factor: .push),
        Row(password: "secret,push2", primaryTried: ["secret"], factor: .push, device: "DPHONE2"),
        Row(password: "secret,phone", primaryTried: ["secret"], factor: .phone),
        Row(password: "secret,phone1", primaryTried: ["secret"], factor: .phone, device: "DPHONE1"),
        Row(password: "secret,sms", primaryTried: ["secret"], factor: .sms, accepted: false),
        Row(password: "secret,123456", primaryTried: ["secret"], factor: .passcode("123456")),
        Row(password: "secret,654321", primaryTried: ["secret"], factor: .passcode("654321"), accepted: false),
        Row(password: "secret,push3", primaryTried: ["secret"], factor: nil, accepted: false),
        Row(password: "wrong,push", primaryTried: ["wrong", "wrong,push"], factor: nil, accepted: false),
        Row(password: "secret,", primaryTried: ["secret,"], factor: nil, accepted: false),
        Row(password: ",push", primaryTried: [",push"], factor: nil, accepted: false),
        Row(password: "secret,pu sh", primaryTried: ["secret,pu sh"], factor: nil, accepted: false),
    ]

    @Test(arguments: concatenated)
    func concatenatedFactors(_ row: Row) async throws {
        let harness = Harness()
        let decision = try await harness.login("alice", row.password)
        #expect(decision.isAccept == row.accepted, "\(decision)")
        #expect(harness.primary.passwordsTried == row.primaryTried)
        #expect(harness.duo.authRequests.first?.factor == row.factor)
        if row.factor != nil { #expect(harness.duo.authRequests.first?.device == row.device) }
    }

    @Test func aPasswordThatContainsTheDelimiterIsSplitOnTheLastOne() async throws {
        let harness = Harness(primary: FakePrimary(["carol": "pa,ss"]))
        #expect(try await harness.login("carol", "pa,ss,push").isAccept)
        #expect(harness.primary.passwordsTried == ["pa,ss"])
        #expect(harness.duo.authRequests.map(\.factor) == [.push])
        // `ss` is no factor: the whole text is the password.
        let plain = Harness(primary: FakePrimary(["carol": "pa,ss"]))
        #expect(try await plain.login("carol", "pa,ss").isAccept)
        #expect(plain.primary.passwordsTried == ["pa,ss"])
        // `pa,123` looks like password `pa` and passcode `123`; the primary refuses `pa`, so the
        // whole text is tried as the password, and the default factor follows.
        let again = Harness(primary: FakePrimary(["carol": "pa,123"]))
        #expect(try await again.login("carol", "pa,123").isAccept)
        #expect(again.primary.passwordsTried == ["pa", "pa,123"])
        #expect(again.duo.authRequests.map(\.factor) == [.auto])
    }

    @Test func aPasswordEndingInAFactorNameStillWorks() async throws {
        let harness = Harness(primary: FakePrimary(["dave": "hunter,push"]))
        #expect(try await harness.login("dave", "hunter,push").isAccept)
        #expect(harness.primary.passwordsTried == ["hunter", "hunter,push"])
        #expect(harness.duo.authRequests.map(\.factor) == [.auto])
    }

    @Test func delimitedPasswordLengthCutsAtTheLength() async throws {
        let section = Harness.section(delimitedPasswordLength: 5)
        let harness = Harness(section: section, primary: FakePrimary(["erin": "a,b,c"]))
        #expect(try await harness.login("erin", "a,b,c123456").isAccept)
        #expect(harness.primary.passwordsTried == ["a,b,c"])
        #expect(harness.duo.authRequests.map(\.factor) == [.passcode("123456")])
        let withDelimiter = Harness(section: section, primary: FakePrimary(["erin": "a,b,c"]))
        #expect(try await withDelimiter.login("erin", "a,b,c,push").isAccept)
        #expect(withDelimiter.duo.authRequests.map(\.factor) == [.push])
        // Exactly the length: no factor, the default one is used.
        let exact = Harness(section: section, primary: FakePrimary(["erin": "a,b,c"]))
        #expect(try await exact.login("erin", "a,b,c").isAccept)
        #expect(exact.duo.authRequests.map(\.factor) == [.auto])
    }

    @Test func withoutAllowConcatTheWholeTextIsThePassword() async throws {
        let harness = Harness(section: Harness.section(allowConcatenation: false), primary: FakePrimary(["alice": "secret,push"]))
        #expect(try await harness.login("alice", "secret,push").isAccept)
        #expect(harness.primary.passwordsTried == ["secret,push"])
        #expect(harness.duo.authRequests.map(\.factor) == [.auto])
    }

    @Test func concatSectionsRequireAFactor() async throws {
        let harness = Harness(section: Harness.section(mode: .concat))
        let decision = try await harness.login("alice", "secret")
        #expect(!decision.isAccept)
        #expect(decision.message == PolicyMessages.missingFactor)
        #expect(harness.duo.calls.isEmpty)
        #expect(try await Harness(section: Harness.section(mode: .concat)).login("alice", "secret,123456").isAccept)
    }

    @Test(arguments: [
        ("push", DuoFactor.push, true), ("phone2", DuoFactor.phone, false), ("123456", DuoFactor.passcode("123456"), true),
        ("sms", DuoFactor.sms, false),
    ])
    func duoOnlyPasswordsAreTheFactor(_ password: String, _ factor: DuoFactor, _ accepted: Bool) async throws {
        let harness = Harness(section: Harness.section(mode: .duoOnly))
        let decision = try await harness.login("alice", password)
        #expect(decision.isAccept == accepted)
        #expect(harness.primary.requests.isEmpty)
        if password == "phone2" {
            // The second device cannot take calls: nothing is sent to Duo's auth.
            #expect(harness.duo.authRequests.isEmpty)
            #expect(decision.message == "You have no device number 2 for phone")
        } else {
            #expect(harness.duo.authRequests.map(\.factor) == [factor])
        }
    }

    @Test func duoOnlyRefusesAPasswordThatIsNoFactor() async throws {
        let harness = Harness(section: Harness.section(mode: .duoOnly))
        let decision = try await harness.login("alice", "my password!")
        #expect(!decision.isAccept)
        #expect(harness.duo.calls.isEmpty)
    }

    @Test(arguments: [FactorChoice.push, .phone, .auto])
    func theFirstConfiguredFactorIsTheDefault(_ choice: FactorChoice) async throws {
        let harness = Harness(section: Harness.section(factors: [choice, .passcode]))
        #expect(try await harness.login("alice", "secret").isAccept)
        let expected: DuoFactor = switch choice {
        case .push: .push
        case .phone: .phone
        default: .auto
        }
        #expect(harness.duo.authRequests.map(\.factor) == [expected])
        #expect(harness.duo.authRequests.first?.username == "alice")
        #expect(harness.duo.authRequests.first?.ipAddress == "192.0.2.10")
    }

    @Test func aPasscodeOnlySectionChallengesForThePasscode() async throws {
        let harness = Harness(section: Harness.section(factors: [.passcode]))
        let challenge = try await harness.login("alice", "secret")
        guard case .challenge(let first) = challenge else {
            Issue.record("expected a challenge, got \(challenge)")
            return
        }
        #expect(first.prompt == PolicyMessages.passcodePrompt)
        #expect(harness.duo.authRequests.isEmpty)
        let decision = try await harness.answer(challenge, "alice", "123456")
        #expect(decision.isAccept)
        #expect(harness.duo.authRequests.map(\.factor) == [.passcode("123456")])
    }

    @Test(arguments: ["", "pushy", "push0", "push100", "12345 6", "passcode!", "abcdef", String(repeating: "1", count: 65)])
    func textsThatAreNoFactor(_ text: String) {
        #expect(FactorAnswer.parse(text) == nil)
    }

    @Test func factorNamesAndPasscodes() {
        #expect(FactorAnswer.parse("push") == .push(device: nil))
        #expect(FactorAnswer.parse("Phone12") == .phone(device: 12))
        #expect(FactorAnswer.parse("sms1") == .sms(device: 1))
        #expect(FactorAnswer.parse("cccccckdvhvbnkbvvujnrfrcbtglvjrtbhbuefuddtbt") == .passcode("cccccckdvhvbnkbvvujnrfrcbtglvjrtbhbuefuddtbt"))
        #expect("\(FactorAnswer.passcode("123456"))" == "passcode")
    }
}
