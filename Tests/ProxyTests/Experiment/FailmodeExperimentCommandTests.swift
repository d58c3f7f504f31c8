import Foundation
import TestSupport
import Testing

/// `twofold experiment failmode` run as an administrator runs it: the built binary, a config with a
/// `safe` and a `secure` RADIUS section over one `[local_client]` and a `safe` Juniper LDAP section,
/// a short scenario, and the counts of `summary.json` checked against DESIGN.md's failmode table.
@Suite(.serialized) struct FailmodeExperimentCommandTests {
    /// summary.json, read as JSON.
    struct Summary {
        let object: [String: Any]

        func row(_ section: String, phase: Int) -> [String: Any] {
            (object["rows"] as! [[String: Any]]).first { $0["section"] as? String == section && $0["phase"] as? Int == phase }!
        }

        static func count(_ row: [String: Any], _ key: String, _ inner: String? = nil) -> Int {
            if let inner { return (row[key] as! [String: Any])[inner] as! Int }
            return row[key] as! Int
        }
    }

    /// One line of logins.csv.
    struct Login {
        var time: Double
        var phase: Int
        var section: String
        var right: Bool
        var outcome: String
        var failmode: Bool
        var latency: Double
    }

    @Test(.timeLimit(.minutes(2)))
    func safeLetsRightPasswordsInDuringAnOutageAndSecureRefusesEveryLogin() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("twofold-experiment-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }

        var entries = ""
        for (name, password) in [("alice", "alice-pass"), ("bob", "bob-pass")] {
            let hashed = try await PeerProcess.run(
                RunCommandTests.twofold, ["hash-password", "--username", name, "--iterations", "1000", "--allow-weak-cost"],
                stdin: Data("\(password)\n".utf8), timeout: .seconds(30))
            entries += (hashed.stdout.split(separator: "\n").last.map(String.init) ?? "") + "\n"
        }
        let users = folder.appendingPathComponent("users")
        try entries.write(to: users, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: users.path)

        let safePort = try FreePort.udp()
        var securePort = try FreePort.udp()
        while securePort == safePort { securePort = try FreePort.udp() }
        let ldapPort = try FreePort.tcp()
        func section(_ name: String, _ ikey: String, failmode: String, port: Int) -> String {
            """
            [\(name)]
            ikey=\(ikey)
            skey=\(RunCommandTests.skey)
            api_host=api-xxxxxxxx.duosecurity.com
            client=local_client
            failmode=\(failmode)
            radius_ip_1=127.0.0.1
            radius_secret_1=\(RunCommandTests.secret)
            interface=127.0.0.1
            port=\(port)

            """
        }
        let config = """
            [local_client]
            users_file=\(users.path)
            minimum_pbkdf2_iterations=1000

            """
            + section("radius_server_auto", "DIAAAAAAAAAAAAAAAAAA", failmode: "safe", port: safePort)
            + section("radius_server_auto2", "DIBBBBBBBBBBBBBBBBBB", failmode: "secure", port: securePort)
            + """
            [ldap_server_duo_only]
            ikey=DICCCCCCCCCCCCCCCCCC
            skey=\(RunCommandTests.skey)
            api_host=api-xxxxxxxx.duosecurity.com
            failmode=safe
            interface=127.0.0.1
            port=\(ldapPort)

            """
        let configPath = folder.appendingPathComponent("authproxy.cfg").path
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        let scenario = """
            {
              "rate": 6,
              "users": [
                {"name": "alice", "password": "alice-pass", "expect_primary": true},
                {"name": "alice", "password": "not-alice-pass", "expect_primary": false},
                {"name": "bob", "password": "bob-pass", "expect_primary": true},
                {"name": "mallory", "password": "guess", "expect_primary": false}
              ],
              "phases": [
                {"condition": "healthy", "seconds": 2},
                {"condition": "down", "seconds": 3},
                {"condition": "healthy", "seconds": 3, "name": "recovered"}
              ]
            }
            """
        let scenarioPath = folder.appendingPathComponent("scenario.json").path
        try scenario.write(toFile: scenarioPath, atomically: true, encoding: .utf8)
        let out = folder.appendingPathComponent("out")

        let run = try await PeerProcess.run(
            RunCommandTests.twofold,
            ["experiment", "failmode", "--config", configPath, "--scenario", scenarioPath, "--out", out.path, "--breaker-cool-down", "1"],
            timeout: .seconds(60))
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        #expect(
            run.stdout.split(separator: "\n").contains { $0.hasPrefix("| radius_server_auto2 ") && $0.contains(" | secure ") && $0.contains(" | down ") },
            "\(run.stdout)")

        let summary = Summary(
            object: try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("summary.json"))) as! [String: Any])
        let safe = "radius_server_auto"
        let secure = "radius_server_auto2"
        typealias S = Summary
        // Open loop at 6 per second to each listener for 8 s, each login half an interval into its slot.
        for name in [safe, secure] {
            let sent = (0...2).map { S.count(summary.row(name, phase: $0), "sent") }
            #expect(sent == [12, 18, 18], "\(name)")
        }

        // Down: secure rejects every login; safe accepts exactly the right passwords, by failmode.
        let secureDown = summary.row(secure, phase: 1)
        #expect(S.count(secureDown, "rejected") == S.count(secureDown, "sent"))
        #expect(S.count(secureDown, "accepted") == 0)
        #expect(S.count(secureDown, "rejected_by_failmode") == S.count(secureDown, "right_password", "sent"))
        let safeDown = summary.row(safe, phase: 1)
        #expect(S.count(safeDown, "right_password", "accepted") == S.count(safeDown, "right_password", "sent"))
        #expect(S.count(safeDown, "accepted_by_failmode") == S.count(safeDown, "right_password", "sent"))
        #expect(S.count(safeDown, "wrong_password", "accepted") == 0)
        #expect(S.count(safeDown, "wrong_password", "rejected") == S.count(safeDown, "wrong_password", "sent"))

        // Wrong passwords are refused in every phase, by both.
        for name in [safe, secure] {
            for phase in 0...2 {
                let row = summary.row(name, phase: phase)
                #expect(S.count(row, "wrong_password", "accepted") == 0, "\(name) phase \(phase)")
                #expect(S.count(row, "timeouts") == 0, "\(name) phase \(phase)")
            }
        }
        // Healthy from the start: right passwords are accepted after Duo.
        for name in [safe, secure] {
            let row = summary.row(name, phase: 0)
            #expect(S.count(row, "right_password", "accepted") == S.count(row, "right_password", "sent"), "\(name)")
            #expect(S.count(row, "accepted_by_failmode") == 0, "\(name)")
        }

        // The outage opened both breakers, and logins were decided while they were open.
        let changes = summary.object["breaker_changes"] as! [[String: Any]]
        for name in [safe, secure] {
            #expect(changes.contains { $0["section"] as? String == name && $0["to"] as? String == "open" }, "\(changes)")
        }
        let open = summary.object["breaker_open"] as! [[String: Any]]
        #expect(Set(open.compactMap { $0["section"] as? String }) == [safe, secure, "ldap_server_duo_only"])
        // The proxy's own auth events say the same as its answers.
        let events = summary.object["failmode_auth_events"] as! [String: Int]
        #expect(events[safe] == S.count(safeDown, "accepted_by_failmode") + S.count(summary.row(safe, phase: 2), "accepted_by_failmode"))

        // Recovered: once a section's breaker closed again, right passwords are accepted after Duo.
        // (Before that, for up to the cool-down, failmode still decides.)
        let csv = try String(contentsOf: out.appendingPathComponent("logins.csv"), encoding: .utf8)
        let logins = csv.components(separatedBy: "\r\n").dropFirst().filter { !$0.isEmpty }.map { line -> Login in
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            return Login(
                time: Double(f[0])!, phase: Int(f[1])!, section: f[3], right: f[5] == "yes", outcome: f[6], failmode: f[7] == "yes",
                latency: Double(f[8])!)
        }
        #expect(logins.count == 144)
        for name in [safe, secure] {
            let closed = changes.filter { $0["section"] as? String == name && $0["to"] as? String == "closed" }
                .compactMap { $0["at_milliseconds"] as? Double }.max()
            let closedAt = try #require(closed, "the \(name) breaker closed again in the recovered phase: \(changes)")
            #expect(closedAt >= 5_000)
            let after = logins.filter { $0.section == name && $0.phase == 2 && $0.right && $0.time * 1_000 > closedAt }
            #expect(!after.isEmpty)
            #expect(after.allSatisfy { $0.outcome == "accepted" && !$0.failmode }, "\(name)")
            let before = logins.filter { $0.section == name && $0.phase == 2 && $0.right && $0.time * 1_000 < closedAt - 50 }
            if name == secure {
                #expect(before.allSatisfy { $0.outcome == "accepted" || $0.failmode })
            } else {
                #expect(before.allSatisfy { $0.outcome == "accepted" })
            }
        }
        // The Juniper LDAP service (Duo-only, safe): every login passes after Duo while it answers, and
        // by failmode while it is down.
        let ldap = "ldap_server_duo_only"
        #expect((0...2).map { S.count(summary.row(ldap, phase: $0), "sent") } == [12, 18, 18])
        let ldapHealthy = summary.row(ldap, phase: 0)
        #expect(S.count(ldapHealthy, "accepted") == 12 && S.count(ldapHealthy, "accepted_by_failmode") == 0, "\(ldapHealthy)")
        let ldapDown = summary.row(ldap, phase: 1)
        #expect(S.count(ldapDown, "accepted") == 18 && S.count(ldapDown, "accepted_by_failmode") == 18, "\(ldapDown)")
        #expect(S.count(summary.row(ldap, phase: 2), "timeouts") == 0)

        let svg = try String(contentsOf: out.appendingPathComponent("report.svg"), encoding: .utf8)
        #expect(svg.hasPrefix("<?xml") && svg.hasSuffix("</svg>\n"))
    }

    @Test(.timeLimit(.minutes(1)))
    func withoutUsersItSaysHowToGiveThem() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("twofold-experiment-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let configPath = folder.appendingPathComponent("authproxy.cfg").path
        try """
            [duo_only_client]

            [radius_server_auto]
            ikey=DIAAAAAAAAAAAAAAAAAA
            skey=\(RunCommandTests.skey)
            api_host=api-xxxxxxxx.duosecurity.com
            client=duo_only_client
            radius_ip_1=127.0.0.1
            radius_secret_1=\(RunCommandTests.secret)
            port=18999
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
        let run = try await PeerProcess.run(
            RunCommandTests.twofold, ["experiment", "failmode", "--config", configPath, "--out", folder.appendingPathComponent("out").path],
            timeout: .seconds(30))
        #expect(run.status == 1)
        #expect(run.stderr.contains("no users to log in with"), "\(run.stderr)")
        #expect(run.stderr.contains("--user NAME:PASSWORD"))
    }
}
