import Policy
import Testing

/// The one parse of a name from a device (SECURITY.md's identity cases).
@Suite struct IdentityTests {
    @Test(arguments: [
        ("alice", nil, "alice"),
        ("alice@contractors.example.com", LoginIdentity.Realm.suffix("contractors.example.com"), "alice"),
        ("CORP\\alice", .prefix("CORP"), "alice"),
        ("alice@contractors@staff", .suffix("staff"), "alice@contractors"),
        ("CORP\\alice@x", .prefix("CORP"), "alice@x"),
        ("alice@", nil, "alice"),
        ("\\alice", nil, "alice"),
        ("Ålice@exämple.org", .suffix("exämple.org"), "Ålice"),
    ])
    func realms(_ raw: String, _ realm: LoginIdentity.Realm?, _ user: String) throws {
        let identity = try LoginIdentity.parse(raw)
        #expect(identity.raw == raw)
        #expect(identity.realm == realm)
        #expect(identity.user == user)
        // Parsing alone never changes the names the directory and Duo see.
        #expect(identity.directoryUsername == raw)
        #expect(identity.duoUsername == raw)
        let stripped = identity.strippingRealm()
        #expect(stripped.directoryUsername == user)
        #expect(stripped.duoUsername == user)
        #expect(stripped.raw == raw)
    }

    /// A section that matched `@x` in `CORP\alice@x` strips what it matched, not the parsed realm.
    @Test func strippingWhatARuleMatched() throws {
        let identity = try LoginIdentity.parse("CORP\\alice@x")
        let stripped = identity.strippingRealm(leaving: "CORP\\alice")
        #expect(stripped.directoryUsername == "CORP\\alice")
        #expect(stripped.duoUsername == "CORP\\alice")
        #expect(stripped.raw == "CORP\\alice@x")
        #expect(stripped.normalized == "corp\\alice@x")
    }

    @Test(arguments: [
        ("", LoginIdentityError.empty),
        ("ali\u{0}ce", .controlCharacter(0)),
        ("alice\r\nadmin", .controlCharacter(0x0D)),
        ("alice\n", .controlCharacter(0x0A)),
        ("alice\t", .controlCharacter(0x09)),
        ("alice\u{7F}", .controlCharacter(0x7F)),
        (String(repeating: "a", count: 254), .tooLong(octets: 254)),
        (String(repeating: "é", count: 127), .tooLong(octets: 254)),
    ])
    func refusedNames(_ raw: String, _ error: LoginIdentityError) {
        #expect(throws: error) { try LoginIdentity.parse(raw) }
    }

    @Test func invalidUTF8IsRefusedBeforeAnythingElse() {
        #expect(throws: LoginIdentityError.invalidUTF8) { try LoginIdentity.parse(octets: [0x61, 0xC3, 0x28]) }
        #expect(throws: LoginIdentityError.invalidUTF8) { try LoginIdentity.parse(octets: [0xFF]) }
        #expect((try? LoginIdentity.parse(octets: Array("bob".utf8)))?.raw == "bob")
    }

    @Test func errorsSayWhatIsWrong() {
        #expect("\(LoginIdentityError.controlCharacter(0))" == "the username contains the control character U+0000")
        #expect("\(LoginIdentityError.tooLong(octets: 300))" == "the username is 300 octets long; at most 253 are allowed")
    }

    @Test func normalisedFormsForComparison() throws {
        #expect(try LoginIdentity.parse("ALICE").normalized == "alice")
        // Canonically equivalent spellings compare equal (é precomposed and decomposed).
        #expect(try LoginIdentity.parse("jos\u{E9}").normalized == LoginIdentity.parse("jose\u{301}").normalized)
        #expect(try LoginIdentity.parse("ｓｖｃ").normalized != "svc")
    }

    @Test func oneIdentityFeedsTheDirectoryDuoAndTheEvents() async throws {
        let harness = Harness(primary: FakePrimary(["CORP\\alice": "secret"]))
        #expect(try await harness.login("CORP\\alice", "secret").isAccept)
        #expect(harness.primary.requests.map(\.username) == ["CORP\\alice"])
        #expect(harness.duo.calls.first == .preauth(username: "CORP\\alice", ip: "192.0.2.10"))
        #expect(harness.duo.authRequests.map(\.username) == ["CORP\\alice"])
        #expect(Set(harness.events.all.map(\.username)) == ["CORP\\alice"])
    }
}
