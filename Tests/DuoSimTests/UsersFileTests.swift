import DuoSim
import Foundation
import TestSupport
import Testing

/// The users file: the shipped example loads, and mistakes are errors naming file, place and key.
@Suite struct UsersFileTests {
    func decode(_ json: String) throws(DuoSimError) -> DuoSimUsers {
        try DuoSimUsers.decode(Data(json.utf8), file: "users.json")
    }

    func diagnostic(_ json: String) -> String {
        do {
            _ = try decode(json)
            return "no error"
        } catch {
            #expect(error.kind == .usersFile)
            return error.diagnostic
        }
    }

    @Test func theShippedExampleLoads() throws {
        let path = Peers.packageRoot.appendingPathComponent("Examples/duo-sim/users.json").path
        let users = try DuoSimUsers.load(path: path)
        #expect(users.users["alice"]?.preauth == .auth)
        #expect(users.users["alice"]?.push == .approve)
        #expect(users.users.count >= 5)
        #expect(users.defaultUser.preauth == .enroll)
        #expect(users.users.values.contains { $0.totp != nil })
    }

    @Test func aFullEntryDecodes() throws {
        let users = try decode("""
            {"users": {"ann": {"preauth": "auth", "user_id": "DU1", "push": "deny", "push_delay_ms": 250,
              "passcodes": ["111111"], "totp_secret": "JBSWY3DPEHPK3PXP",
              "devices": [{"device": "DP1", "type": "phone", "name": "Ann's phone", "number": "XXX-XXX-1234",
                           "capabilities": ["push", "sms"]}]}},
             "default": {"preauth": "allow"}}
            """)
        let ann = try #require(users.users["ann"])
        #expect(ann.push == .deny)
        #expect(ann.pushDelayMilliseconds == 250)
        #expect(ann.devices.first?.capabilities == ["push", "sms"])
        #expect(ann.userID == "DU1")
        #expect(users.defaultUser.preauth == .allow)
        #expect(try decode("{}").defaultUser.preauth == .enroll)
    }

    @Test func unknownKeysAreErrorsNamingTheKeyAndTheFile() {
        let top = diagnostic(#"{"usres": {}}"#)
        #expect(top.contains("users.json"))
        #expect(top.contains("\"usres\""))
        let user = diagnostic(#"{"users": {"bob": {"pussh": "deny"}}}"#)
        #expect(user.contains("users.json: users.bob.pussh"), "\(user)")
        #expect(user.contains("unknown key \"pussh\""))
        #expect(user.contains("push_delay_ms"), "lists the valid keys")
        let device = diagnostic(#"{"users": {"bob": {"devices": [{"device": "DP1", "capabilites": []}]}}}"#)
        #expect(device.contains("users.bob.devices[0].capabilites"), "\(device)")
    }

    @Test func invalidValuesSayWhatIsValid() {
        #expect(diagnostic(#"{"users": {"a": {"preauth": "maybe"}}}"#).contains("valid: auth, allow, deny, enroll"))
        #expect(diagnostic(#"{"users": {"a": {"push": "ignore"}}}"#).contains("valid: approve, deny, never"))
        #expect(diagnostic(#"{"users": {"a": {"push_delay_ms": -1}}}"#).contains("users.a.push_delay_ms"))
        #expect(diagnostic(#"{"users": {"a": {"push_delay_ms": "soon"}}}"#).contains("expected an integer"))
        #expect(diagnostic(#"{"users": {"a": {"totp_secret": "not base32!"}}}"#).contains("base32"))
        #expect(diagnostic(#"{"users": {"a": {"devices": [{"device": "D", "capabilities": ["fax"]}]}}}"#).contains("fax"))
        #expect(diagnostic(#"{"users": {"a": {"devices": []}}}"#).contains("at least one device"))
        #expect(diagnostic(#"{"users": {"a": {"devices": [{"name": "x"}]}}}"#).contains("users.a.devices[0].device: required key is missing"))
        #expect(diagnostic(#"{"users": [1, 2]}"#).contains("users"))
        #expect(diagnostic("{ not json").contains("not valid JSON"))
    }

    @Test func aMissingFileIsNamed() {
        do {
            _ = try DuoSimUsers.load(path: "/nonexistent/users.json")
            Issue.record("loaded a missing file")
        } catch {
            #expect(error.diagnostic.hasPrefix("/nonexistent/users.json: cannot read"))
        }
    }

    /// RFC 6238 Appendix B (SHA-1), truncated to 6 digits.
    @Test func totpMatchesRFC6238Vectors() throws {
        let totp = try #require(TOTP(base32: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"))  // "12345678901234567890"
        #expect(totp.secret == Array("12345678901234567890".utf8))
        let vectors: [(Int64, String)] = [
            (59, "287082"), (1_111_111_109, "081804"), (1_111_111_111, "050471"),
            (1_234_567_890, "005924"), (2_000_000_000, "279037"), (20_000_000_000, "353130"),
        ]
        for (time, code) in vectors { #expect(totp.code(at: time) == code, "T=\(time)") }
        #expect(totp.accepts("050471", at: 1_111_111_111 + 30))
        #expect(totp.accepts("050471", at: 1_111_111_111 - 30))
        #expect(!totp.accepts("050471", at: 1_111_111_111 + 90))
        #expect(!totp.accepts("50471", at: 1_111_111_111))
        #expect(TOTP(base32: "") == nil)
        #expect(TOTP(base32: "ABC1") == nil)
    }
}
