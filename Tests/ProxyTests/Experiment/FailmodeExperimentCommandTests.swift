import DuoSim
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

        static func read(_ out: URL) throws -> Summary {
            Summary(object: try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("summary.json"))) as! [String: Any])
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

        static func read(_ out: URL) throws -> [Login] {
            let csv = try String(contentsOf: out.appendingPathComponent("logins.csv"), encoding: .utf8)
            return csv.components(separatedBy: "\r\n").dropFirst().filter { !$0.isEmpty }.map { line -> Login in
                let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                return Login(
                    time: Double(f[0])!, phase: Int(f[1])!, section: f[3], right: f[5] == "yes", outcome: f[6], failmode: f[7] == "yes",
                    latency: Double(f[8])!)
            }
        }
    }

    /// Runs `twofold experiment failmode` on `config` with the tests' scenario: alice and bob with
    /// their `passwords`, alice with a wrong one and an unknown mallory; healthy 2 s, down 3 s,
    /// healthy 3 s ("recovered"); the breaker's cool-down 1 s.
    static func experiment(
        in folder: URL, config: String, rate: Int, passwords: [String: String], out: URL
    ) async throws -> (status: Int32, stdout: String, stderr: String) {
        let configPath = folder.appendingPathComponent("authproxy.cfg").path
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        let scenario = """
            {
              "rate": \(rate),
              "users": [
                {"name": "alice", "password": "\(passwords["alice"]!)", "expect_primary": true},
                {"name": "alice", "password": "not-alice-pass", "expect_primary": false},
                {"name": "bob", "password": "\(passwords["bob"]!)", "expect_primary": true},
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
        return try await PeerProcess.run(
            RunCommandTests.twofold,
            ["experiment", "failmode", "--config", configPath, "--scenario", scenarioPath, "--out", out.path, "--breaker-cool-down", "1"],
            timeout: .seconds(60))
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
        let out = folder.appendingPathComponent("out")
        let run = try await Self.experiment(
            in: folder, config: config, rate: 6, passwords: ["alice": "alice-pass", "bob": "bob-pass"], out: out)
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        #expect(
            run.stdout.split(separator: "\n").contains { $0.hasPrefix("| radius_server_auto2 ") && $0.contains(" | secure ") && $0.contains(" | down ") },
            "\(run.stdout)")

        let summary = try Summary.read(out)
        typealias S = Summary
        let safe = "radius_server_auto"
        let secure = "radius_server_auto2"
        let ldap = "ldap_server_duo_only"
        let logins = try Login.read(out)
        // Open loop at 6 per second to each of the three sections for 8 s, half an interval into each slot.
        #expect(logins.count == 144)
        for name in [safe, secure, ldap] {
            #expect((0...2).map { S.count(summary.row(name, phase: $0), "sent") } == [12, 18, 18], "\(name)")
        }

        // summary.json says what logins.csv says, row by row.
        for name in [safe, secure, ldap] {
            for phase in 0...2 {
                let row = summary.row(name, phase: phase)
                let here = logins.filter { $0.section == name && $0.phase == phase }
                #expect(S.count(row, "accepted") == here.count { $0.outcome == "accepted" }, "\(name) \(phase)")
                #expect(S.count(row, "rejected") == here.count { $0.outcome == "rejected" }, "\(name) \(phase)")
                #expect(S.count(row, "accepted_by_failmode") == here.count { $0.outcome == "accepted" && $0.failmode }, "\(name) \(phase)")
                #expect(S.count(row, "rejected_by_failmode") == here.count { $0.outcome == "rejected" && $0.failmode }, "\(name) \(phase)")
                #expect(S.count(row, "right_password", "sent") == here.count { $0.right }, "\(name) \(phase)")
                #expect(S.count(row, "timeouts") == 0, "\(name) \(phase)")
                // The failmode table, whatever the timing: wrong passwords never pass; secure never fails open.
                #expect(S.count(row, "wrong_password", "accepted") == 0, "\(name) \(phase)")
                if name == secure { #expect(S.count(row, "accepted_by_failmode") == 0, "\(name) \(phase)") }
            }
        }
        // Safe lets every right password in during the outage (by failmode, or after Duo once it is back).
        let safeDown = summary.row(safe, phase: 1)
        #expect(S.count(safeDown, "right_password", "accepted") == S.count(safeDown, "right_password", "sent"))

        // Per login, for those decided within the phase they were sent in (a login sent just before a
        // change can be decided after it on a loaded machine; most are decided within).
        let ends: [Double] = [2, 5, 8]
        func decidedWithin(_ name: String, _ phase: Int) -> [Login] {
            logins.filter { $0.section == name && $0.phase == phase && $0.time + $0.latency / 1_000 < ends[phase] }
        }
        for name in [safe, secure, ldap] {
            for phase in 0...2 {
                let all = logins.count { $0.section == name && $0.phase == phase }
                #expect(decidedWithin(name, phase).count * 2 >= all, "\(name) phase \(phase): most logins decided after their phase")
            }
        }
        // Healthy from the start: right passwords (and every Duo-only login) accepted after Duo.
        for name in [safe, secure, ldap] {
            for login in decidedWithin(name, 0) {
                #expect(login.right ? login.outcome == "accepted" && !login.failmode : login.outcome == "rejected", "\(name) \(login)")
            }
        }
        // Down: secure refuses every login; safe accepts exactly the right passwords, by failmode, and the
        // Duo-only LDAP section (no primary) lets every login in by failmode.
        for login in decidedWithin(secure, 1) {
            #expect(login.outcome == "rejected" && login.failmode == login.right, "\(login)")
        }
        for login in decidedWithin(safe, 1) {
            #expect(login.right ? login.outcome == "accepted" && login.failmode : login.outcome == "rejected" && !login.failmode, "\(login)")
        }
        for login in decidedWithin(ldap, 1) {
            #expect(login.outcome == "accepted" && login.failmode, "\(login)")
        }

        // The outage opened every breaker, and logins were decided while they were open.
        let changes = summary.object["breaker_changes"] as! [[String: Any]]
        for name in [safe, secure, ldap] {
            #expect(changes.contains { $0["section"] as? String == name && $0["to"] as? String == "open" }, "\(changes)")
        }
        let open = summary.object["breaker_open"] as! [[String: Any]]
        #expect(Set(open.compactMap { $0["section"] as? String }) == [safe, secure, ldap])
        // The proxy's own auth events say the same as its answers.
        let events = summary.object["failmode_auth_events"] as! [String: Int]
        for name in [safe, secure, ldap] {
            let decided = (0...2).reduce(0) { $0 + S.count(summary.row(name, phase: $1), "accepted_by_failmode") + S.count(summary.row(name, phase: $1), "rejected_by_failmode") }
            #expect((events[name] ?? 0) == decided, "\(name): \(events)")
        }

        // Recovered: once a section's breaker closed again, right passwords are accepted after Duo.
        // (Before that, for up to the cool-down, failmode still decides.)
        for name in [safe, secure, ldap] {
            let closed = changes.filter { $0["section"] as? String == name && $0["to"] as? String == "closed" }
                .compactMap { $0["at_milliseconds"] as? Double }.max()
            let closedAt = try #require(closed, "the \(name) breaker closed again in the recovered phase: \(changes)")
            #expect(closedAt >= 5_000)
            let after = logins.filter { $0.section == name && $0.phase == 2 && $0.right && $0.time * 1_000 > closedAt }
            #expect(!after.isEmpty, "\(name)")
            #expect(after.allSatisfy { $0.outcome == "accepted" && !$0.failmode }, "\(name)")
            let before = logins.filter { $0.section == name && $0.phase == 2 && $0.right && $0.time * 1_000 < closedAt - 50 }
            #expect(before.allSatisfy { name == secure ? $0.outcome == "accepted" || $0.failmode : $0.outcome == "accepted" }, "\(name)")
        }
        let svg = try String(contentsOf: out.appendingPathComponent("report.svg"), encoding: .utf8)
        #expect(svg.hasPrefix("<?xml") && svg.hasSuffix("</svg>\n"))
    }

    /// `[ldap_server_auto]` sections in front of a test slapd: each login binds as the `[ad_client]`
    /// service account (exempt from Duo), searches for the user and binds with the user's password,
    /// so the directory decides the primary and the section's failmode decides when Duo is down.
    @Test(.timeLimit(.minutes(2)))
    func directorySectionsCheckThePasswordWithTheDirectoryAndFollowTheirFailmode() async throws {
        let service = SlapdPeer.ServiceAccount(name: "vpn", password: "vpn-service-secret")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("twofold-experiment-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("out")
        let safePort = try FreePort.tcp()
        var safeTLSPort = try FreePort.tcp()
        while safeTLSPort == safePort { safeTLSPort = try FreePort.tcp() }
        var securePort = try FreePort.tcp()
        while [safePort, safeTLSPort].contains(securePort) { securePort = try FreePort.tcp() }
        let run = try await SlapdPeer.withRunning(serviceAccount: service) { directory in
            let certificates = try DuoSimCertificates.generate(caName: "twofold experiment test CA")
            try certificates.leafCertificatePEM.write(to: folder.appendingPathComponent("ldap-cert.pem"), atomically: true, encoding: .utf8)
            try certificates.leafPrivateKeyPEM.write(to: folder.appendingPathComponent("ldap-key.pem"), atomically: true, encoding: .utf8)

            let config = RunCommandTests.adClient(directory) + """

                [ldap_server_auto]
                ikey=DIAAAAAAAAAAAAAAAAAA
                skey=\(RunCommandTests.skey)
                api_host=api-xxxxxxxx.duosecurity.com
                client=ad_client
                failmode=safe
                interface=127.0.0.1
                port=\(safePort)
                ssl_port=\(safeTLSPort)
                ssl_cert_path=ldap-cert.pem
                ssl_key_path=ldap-key.pem

                [ldap_server_auto2]
                ikey=DIBBBBBBBBBBBBBBBBBB
                skey=\(RunCommandTests.skey)
                api_host=api-xxxxxxxx.duosecurity.com
                client=ad_client
                failmode=secure
                interface=127.0.0.1
                port=\(securePort)

                """
            return try await Self.experiment(
                in: folder, config: config, rate: 4,
                passwords: ["alice": directory.user("alice")!.password, "bob": directory.user("bob")!.password], out: out)
        }
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")

        typealias S = Summary
        let summary = try Summary.read(out)
        // LDAPS where the section has a certificate.
        let listeners = (summary.object["sections"] as? [[String: Any]] ?? []).compactMap { $0["listener"] as? String }
        #expect(listeners == ["ldaps://127.0.0.1:\(safeTLSPort)", "ldap://127.0.0.1:\(securePort)"], "\(summary.object)")
        let logins = try Login.read(out)
        let safe = "ldap_server_auto"
        let secure = "ldap_server_auto2"
        #expect(logins.count == 64)
        for name in [safe, secure] {
            #expect((0...2).map { S.count(summary.row(name, phase: $0), "sent") } == [8, 12, 12], "\(name)")
            for phase in 0...2 {
                let row = summary.row(name, phase: phase)
                #expect(S.count(row, "timeouts") == 0, "\(name) \(phase)")
                #expect(S.count(row, "wrong_password", "accepted") == 0, "\(name) \(phase)")
                #expect(S.count(row, "right_password", "sent") == logins.count { $0.section == name && $0.phase == phase && $0.right })
            }
        }
        let ends: [Double] = [2, 5, 8]
        func decidedWithin(_ name: String, _ phase: Int) -> [Login] {
            logins.filter { $0.section == name && $0.phase == phase && $0.time + $0.latency / 1_000 < ends[phase] }
        }
        // Healthy: the directory decides (a wrong password and an unknown user are refused), then Duo.
        for name in [safe, secure] {
            let healthy = decidedWithin(name, 0)
            #expect(healthy.count * 2 >= 8, "\(name)")
            for login in healthy {
                #expect(login.right ? login.outcome == "accepted" && !login.failmode : login.outcome == "rejected" && !login.failmode, "\(name) \(login)")
            }
        }
        // Down: safe lets exactly the right passwords in, by failmode; secure refuses every login, the
        // right passwords by failmode (the directory refused the others before Duo was asked).
        let safeDown = decidedWithin(safe, 1)
        let secureDown = decidedWithin(secure, 1)
        #expect(safeDown.count * 2 >= 12 && secureDown.count * 2 >= 12)
        for login in safeDown {
            #expect(login.right ? login.outcome == "accepted" && login.failmode : login.outcome == "rejected" && !login.failmode, "\(login)")
        }
        for login in secureDown {
            #expect(login.outcome == "rejected" && login.failmode == login.right, "\(login)")
        }
        #expect(safeDown.contains { $0.failmode } && secureDown.contains { $0.failmode })
        let events = summary.object["failmode_auth_events"] as! [String: Int]
        for name in [safe, secure] {
            let decided = (0...2).reduce(0) { $0 + S.count(summary.row(name, phase: $1), "accepted_by_failmode") + S.count(summary.row(name, phase: $1), "rejected_by_failmode") }
            #expect(decided > 0 && (events[name] ?? 0) == decided, "\(name): \(events)")
        }
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
