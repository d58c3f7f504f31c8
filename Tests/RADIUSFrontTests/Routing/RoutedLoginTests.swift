import Policy
import RADIUSFront
import RADIUSWire
import Synchronization
import Testing

/// The login processor with several sections: the router's choice decides which primary is asked,
/// with which name, and a login of no realm is rejected before any primary or Duo.
@Suite struct RoutedLoginTests {
    /// A primary that records the names it is asked about and accepts alice / `secret`.
    final class RecordingPrimary: PrimaryAuthenticator {
        let name = "recording"
        let asked = Mutex<[String]>([])
        func authenticate(_ request: PrimaryRequest) async -> PrimaryOutcome {
            asked.withLock { $0.append(request.username) }
            return await OneUserPrimary().authenticate(request)
        }
    }

    static func section(_ name: String, _ primary: RecordingPrimary, _ rules: RealmRules) -> RADIUSServerSection {
        var section = Fixtures.section(name: name, primary: primary)
        section.rules = rules
        return section
    }

    /// Collects the auth events of logins no section took.
    final class Events: AuthEventSink {
        let recorded = Mutex<[AuthEvent]>([])
        func record(_ event: AuthEvent) { recorded.withLock { $0.append(event) } }
    }

    static func process(
        _ sections: [RADIUSServerSection], _ user: String, events: Events = Events()
    ) async throws -> (RADIUSPacket, RADIUSLoginProcessor.Outcome) {
        var gate = RADIUSRequestGate(sections: sections)
        guard case .login(let login) = gate.receive(
            Fixtures.accessRequest(user, "secret,123456"), from: IPAddress("192.0.2.10")!, port: 1812, now: .now)
        else { throw LoginProcessorTests.GateRefused() }
        let outcome = await RADIUSLoginProcessor(sections: sections, events: events, hostname: "proxy-1").process(login)
        return (try RADIUSPacket(decoding: outcome.reply), outcome)
    }

    @Test func eachRealmAsksItsOwnPrimaryWithTheStrippedName() async throws {
        let staff = RecordingPrimary()
        let contractors = RecordingPrimary()
        let sections = [
            Self.section("staff", staff, RealmRules(usernameSuffix: "@staff.example.com", stripRealm: true)),
            Self.section("contractors", contractors, RealmRules(usernamePrefix: "CONTRACTORS\\", stripRealm: true)),
        ]
        let (accepted, outcome) = try await Self.process(sections, "alice@Staff.Example.com")
        #expect(accepted.code == .accessAccept)
        #expect(outcome.section == "staff")
        let (other, otherOutcome) = try await Self.process(sections, "contractors\\alice")
        #expect(other.code == .accessAccept)
        #expect(otherOutcome.section == "contractors")
        #expect(staff.asked.withLock { $0 } == ["alice"])
        #expect(contractors.asked.withLock { $0 } == ["alice"])
    }

    @Test(arguments: ["alice", "alice@staff.example.com.evil", "alice@other.example.com", "CONTRACTORS-alice"])
    func aLoginOfNoRealmIsRejectedBeforeAnyPrimary(_ user: String) async throws {
        let staff = RecordingPrimary()
        let contractors = RecordingPrimary()
        let sections = [
            Self.section("staff", staff, RealmRules(usernameSuffix: "@staff.example.com")),
            Self.section("contractors", contractors, RealmRules(usernamePrefix: "CONTRACTORS\\")),
        ]
        let events = Events()
        let (reply, outcome) = try await Self.process(sections, user, events: events)
        #expect(reply.code == .accessReject)
        #expect(reply[.replyMessage]?.text == "Access denied: no realm matched this login")
        #expect(reply.attributes.first?.type == .messageAuthenticator)
        #expect(outcome.refusal?.hasPrefix("no realm matched") == true)
        #expect(outcome.section == nil)
        #expect(staff.asked.withLock { $0 }.isEmpty && contractors.asked.withLock { $0 }.isEmpty)
        // One auth event, naming the candidates: an administrator's SIEM sees the refusal too.
        let recorded = events.recorded.withLock { $0 }
        #expect(recorded.count == 1)
        #expect(recorded.first.map { [$0.message, $0.username, $0.serverSection, $0.serverSectionIntegrationKey, $0.hostname] }
            == ["no realm matched", user, "staff,contractors", "", "proxy-1"])
        #expect(recorded.first?.status == .reject && recorded.first?.stage == .primary)
    }
}
