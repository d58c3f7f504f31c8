import DuoAPI
import Policy
import RADIUSWire
import Testing

/// Each preauth result, and what reaches the device with it.
@Suite struct PreauthTests {
    static let classAttribute = RADIUSAttribute(.class, text: "staff")

    @Test func allowAcceptsWithoutAnAuthCall() async throws {
        let duo = FakeDuo(FakeDuo.Script(preauth: .success(.allow(message: "Allowing unknown user"))))
        let harness = Harness(primary: FakePrimary(passThrough: [Self.classAttribute]), duo: duo)
        let decision = try await harness.login("alice", "secret")
        guard case .accept(let accept) = decision else {
            Issue.record("expected accept, got \(decision)")
            return
        }
        #expect(accept.message == "Allowing unknown user")
        #expect(accept.withoutSecondFactor)
        #expect(accept.attributes == [Self.classAttribute])
        #expect(duo.authRequests.isEmpty)
    }

    @Test func denyRejectsWithDuosMessage() async throws {
        let duo = FakeDuo(FakeDuo.Script(preauth: .success(.deny(message: "Your account is disabled"))))
        let harness = Harness(duo: duo)
        let decision = try await harness.login("alice", "secret")
        #expect(!decision.isAccept)
        #expect(decision.message == "Your account is disabled")
        #expect(duo.authRequests.isEmpty)
    }

    @Test func enrollRejectsWithThePortal() async throws {
        let duo = FakeDuo(FakeDuo.Script(preauth: .success(.enroll(message: "Enroll an authentication device to proceed", portalURL: "https://api-xxx.duosecurity.com/portal?code=48bac5d9393fb2c2"))))
        let decision = try await Harness(duo: duo).login("alice", "secret")
        #expect(!decision.isAccept)
        #expect(decision.message == "Enroll an authentication device to proceed: https://api-xxx.duosecurity.com/portal?code=48bac5d9393fb2c2")
    }

    @Test func authContinuesToTheSecondFactorAndPassesThePrimarysAttributes() async throws {
        let harness = Harness(primary: FakePrimary(passThrough: [Self.classAttribute]))
        let decision = try await harness.login("alice", "secret")
        guard case .accept(let accept) = decision else {
            Issue.record("expected accept, got \(decision)")
            return
        }
        #expect(!accept.withoutSecondFactor)
        #expect(accept.message == "Success. Logging you in...")
        #expect(accept.attributes == [Self.classAttribute])
        #expect(harness.duo.calls.first == .preauth(username: "alice", ip: "192.0.2.10"))
    }

    @Test func aDeniedPushIsARejectWithDuosMessage() async throws {
        var script = FakeDuo.Script()
        script.auth = { _ in .success(.deny(message: "Login request denied.", status: "deny")) }
        let decision = try await Harness(duo: FakeDuo(script)).login("alice", "secret,push")
        #expect(!decision.isAccept)
        #expect(decision.message == "Login request denied.")
    }

    @Test func aPushNobodyAnswersIsARejectNotAFailmode() async throws {
        var script = FakeDuo.Script()
        script.auth = { _ in .success(.deny(message: "Login timed out.", status: "timeout")) }
        let harness = Harness(section: Harness.section(failmode: .safe), duo: FakeDuo(script))
        let decision = try await harness.login("alice", "secret")
        #expect(!decision.isAccept)
        #expect(decision.message == "Login timed out.")
    }
}

/// `exempt_username_N` and `exempt_ou_N`: exact, normalised, and only after the primary.
@Suite struct ExemptionTests {
    @Test(arguments: [("svc", true), ("SVC", true), ("Svc", true), ("svc-evil", false), ("svc@evil", false), ("CORP\\svc", false), ("svc ", false), ("ｓｖｃ", false)])
    func exemptUsernames(_ name: String, _ exempt: Bool) async throws {
        let primary = FakePrimary([name: "secret"])
        let harness = Harness(section: Harness.section(exemptUsernames: ["svc"]), primary: primary)
        let decision = try await harness.login(name, "secret")
        #expect(decision.isAccept)
        if exempt {
            #expect(decision.message == PolicyMessages.exempt)
            #expect(harness.duo.calls.isEmpty)
        } else {
            #expect(harness.duo.calls.count == 2)
        }
    }

    @Test func anExemptUserStillNeedsTheRightPassword() async throws {
        let harness = Harness(section: Harness.section(exemptUsernames: ["alice"]))
        #expect(try await !harness.login("alice", "wrong").isAccept)
        #expect(harness.duo.calls.isEmpty)
    }

    @Test func exemptOrganizationalUnitsMatchTheDNSuffix() async throws {
        // FakePrimary answers with uid=<name>,ou=people,dc=example,dc=com.
        let section = Harness.section(exemptOUs: ["OU=People, DC=Example,DC=com"])
        let harness = Harness(section: section)
        let decision = try await harness.login("alice", "secret")
        #expect(decision.message == PolicyMessages.exempt)
        #expect(harness.duo.calls.isEmpty)
        #expect(harness.events.all.last?.distinguishedName == "uid=alice,ou=people,dc=example,dc=com")

        let other = Harness(section: Harness.section(exemptOUs: ["ou=service,dc=example,dc=com"]))
        #expect(try await other.login("alice", "secret").message != PolicyMessages.exempt)
        #expect(other.duo.calls.count == 2)
    }
}
