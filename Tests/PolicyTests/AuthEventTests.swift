import Foundation
import Policy
import Testing

/// The auth-event log line: the reference's fields, valid JSON, nothing secret.
@Suite struct AuthEventTests {
    @Test func aLoginWritesOneEventPerStageWithTheReferenceFields() async throws {
        let harness = Harness()
        #expect(try await harness.login("alice", "secret,push").isAccept)
        let events = harness.events.all
        #expect(events.map(\.stage) == [.primary, .secondary])
        #expect(events.map(\.status) == [.allow, .allow])
        let line = events[1].jsonLine()
        let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(Set(object.keys) == [
            "timestamp", "msg", "username", "auth_stage", "status", "client_ip", "server_section", "server_section_ikey", "factor",
            "hostname", "dn",
        ])
        #expect(object["timestamp"] as? String == "2025-11-29T15:40:36.250000Z")
        #expect(object["username"] as? String == "alice")
        #expect(object["auth_stage"] as? String == "Secondary authentication")
        #expect(object["status"] as? String == "Allow")
        #expect(object["client_ip"] as? String == "192.0.2.10")
        #expect(object["server_section"] as? String == "radius_server_auto")
        #expect(object["server_section_ikey"] as? String == "DIWJ8X6AEYOR5OMC6TQ1")
        #expect(object["factor"] as? String == "duo_push")
        #expect(object["hostname"] as? String == "proxy-test")
        #expect(object["msg"] as? String == "Success. Logging you in...")
        #expect(!line.contains("\n"))
    }

    @Test func aPasscodeNeverReachesTheEventsOrTheLog() async throws {
        let harness = Harness()
        #expect(try await harness.login("alice", "secret,987123").isAccept == false)
        let everything = harness.events.all.map { $0.jsonLine() }.joined() + harness.logs.entries.map { "\($0)" }.joined()
        #expect(!everything.contains("987123"))
        #expect(!everything.contains("secret"))
        #expect(harness.events.all.last?.factor == "passcode")
    }

    @Test func hostileTextIsEscaped() throws {
        let event = AuthEvent(
            timestamp: 0, message: "quote \" backslash \\ newline \n nul \u{0} line-sep \u{2028}", username: "mallory\"}, {\"x",
            stage: .primary, status: .reject, clientIP: nil, serverSection: "s", serverSectionIntegrationKey: "k", factor: nil,
            hostname: "h")
        let line = event.jsonLine()
        #expect(!line.contains("\n"))
        let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["username"] as? String == "mallory\"}, {\"x")
        #expect(object["msg"] as? String == "quote \" backslash \\ newline \n nul \u{0} line-sep \u{2028}")
        #expect(object["client_ip"] is NSNull)
        #expect(object["timestamp"] as? String == "1970-01-01T00:00:00.000000Z")
    }

    @Test(arguments: [
        (0.0, "1970-01-01T00:00:00.000000Z"), (951_782_400.5, "2000-02-29T00:00:00.500000Z"),
        (4_102_444_799.999999, "2099-12-31T23:59:59.999999Z"), (-1.0, "1969-12-31T23:59:59.000000Z"),
    ])
    func timestamps(_ seconds: Double, _ expected: String) {
        let event = AuthEvent(
            timestamp: seconds, message: "", username: "u", stage: .primary, status: .allow, clientIP: nil, serverSection: "s",
            serverSectionIntegrationKey: "k", factor: nil, hostname: "h")
        #expect(event.jsonLine().hasPrefix("{\"timestamp\": \"\(expected)\""))
    }
}
