import DuoSim
import Foundation
import TestSupport
import Testing

/// Multi-realm routing through the built binary: one RADIUS listener, four sections (a local
/// users file for `@staff` with failmode safe, slapd for `@contractors` with failmode secure,
/// FreeRADIUS for `VENDORS\`, duo-only for the NAS-Identifier `vpn-partners`), each its own Duo
/// integration; the simulator's counters per integration key say which section each login reached.
@Suite(.serialized) struct RealmRoutingRunTests {
    static let staff = "DISTAFF0000000000001"
    static let contractors = "DICONTRACTORS0000002"
    static let partners = "DIPARTNERS0000000003"
    static let vendors = "DIVENDORS00000000004"

    @Test(.enabled(if: Peers.shouldRun("radclient") && Peers.shouldRun("slapd") && Peers.shouldRun("freeradius")), .timeLimit(.minutes(3)))
    func fourRealmsOnOneListener() async throws {
        let directory = try await SlapdPeer.start()
        defer { Task { await directory.stop() } }
        let upstream = try await FreeRADIUSPeer.start(secret: "upstream-secret-0123456789", users: [.init("alice", password: "vendor-pass")])
        defer { Task { await upstream.stop() } }
        let sim = try await DuoSimServer.start(DuoSimConfiguration(
            integrations: [
                Self.staff: RunCommandTests.skey, Self.contractors: RunCommandTests.skey, Self.partners: RunCommandTests.skey,
                Self.vendors: RunCommandTests.skey,
            ],
            users: DuoSimUsers(users: ["alice": DuoSimUser(push: .approve, passcodes: ["123456"])]),
            tls: .selfSigned))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("twofold-realms-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try (sim.caCertificatePEM ?? "").write(to: folder.appendingPathComponent("duo-ca.pem"), atomically: true, encoding: .utf8)

        let hashed = try await PeerProcess.run(
            RunCommandTests.twofold, ["hash-password", "--username", "alice", "--iterations", "1000", "--allow-weak-cost"],
            stdin: Data("staff-pass\n".utf8), timeout: .seconds(30))
        let users = folder.appendingPathComponent("users")
        try ((hashed.stdout.split(separator: "\n").last.map(String.init) ?? "") + "\n").write(to: users, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: users.path)

        let port = try FreePort.udp()
        func section(_ type: String, _ ikey: String, _ lines: String) -> String {
            """
            [\(type)]
            ikey=\(ikey)
            skey=\(RunCommandTests.skey)
            api_host=127.0.0.1
            api_port=\(sim.port)
            radius_ip_1=127.0.0.1
            radius_secret_1=\(RunCommandTests.secret)
            interface=127.0.0.1
            port=\(port)
            \(lines)

            """
        }
        let config = """
            [main]
            http_ca_certs_file=\(folder.appendingPathComponent("duo-ca.pem").path)

            [local_client]
            users_file=\(users.path)
            minimum_pbkdf2_iterations=1000

            """
            + """
            [radius_client]
            host=127.0.0.1
            port=\(upstream.port)
            secret=upstream-secret-0123456789
            require_message_authenticator=false

            """
            + RunCommandTests.adClient(directory)
            + section(
                "radius_server_auto", Self.staff,
                "client=local_client\nmatch_username_suffix=@staff.example.com\nstrip_realm=true\nfailmode=safe")
            + section(
                "radius_server_auto2", Self.contractors,
                "client=ad_client\nmatch_username_suffix=@contractors.example.com\nstrip_realm=true\nfailmode=secure")
            + section("radius_server_auto3", Self.vendors, "client=radius_client\nmatch_username_prefix=VENDORS\\\nstrip_realm=true")
            + section("radius_server_duo_only", Self.partners, "match_nas_identifier=vpn-partners")
        let path = folder.appendingPathComponent("authproxy.cfg").path
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        let proxy = try PeerProcess(RunCommandTests.twofold, ["run", "--config", path, "--grace", "20"])
        try await Wait.until("twofold listens", timeout: .seconds(20)) {
            guard proxy.isRunning else { throw PeerMissing(peer: "twofold run exited: \(proxy.transcript)") }
            return proxy.standardError.contains("listening for RADIUS on udp")
        }

        func requests() -> [String: Int] { sim.stats().integrations.mapValues(\.requests) }
        func login(_ user: String, _ password: String, nas: String? = nil) async throws -> String {
            let attributes = nas.map { ", NAS-Identifier = \"\($0)\"" } ?? ""
            return try await RunCommandTests.radclient(user, password, port: port, attributes: attributes).stdout
        }
        /// The integrations whose request counts changed during `body`.
        func reached(_ body: () async throws -> String, expect answer: String) async throws -> Set<String> {
            let before = requests()
            let reply = try await body()
            #expect(reply.contains(answer), "\(reply)\n\(proxy.transcript)")
            return Set(requests().filter { $0.value != before[$0.key, default: 0] }.keys)
        }

        // Each realm reaches its own directory (only that one knows the password) and its own integration.
        #expect(try await reached({ try await login("alice@staff.example.com", "staff-pass,123456") }, expect: "Received Access-Accept") == [Self.staff])
        #expect(try await reached({ try await login("alice@STAFF.Example.com", "staff-pass,123456") }, expect: "Received Access-Accept") == [Self.staff])
        #expect(try await reached({ try await login("alice@contractors.example.com", "alice-secret-1,123456") }, expect: "Received Access-Accept")
            == [Self.contractors])
        #expect(try await reached({ try await login("vendors\\\\alice", "vendor-pass,123456") }, expect: "Received Access-Accept") == [Self.vendors])
        #expect(try await reached({ try await login("alice", "123456", nas: "vpn-partners") }, expect: "Received Access-Accept") == [Self.partners])
        #expect(try await reached({ try await login("VENDORS\\\\alice", "staff-pass,123456") }, expect: "Received Access-Reject").isEmpty)
        // One realm's password does not open another's.
        #expect(try await reached({ try await login("alice@contractors.example.com", "staff-pass,123456") }, expect: "Received Access-Reject").isEmpty)
        // Realm confusion: the realm is the end of the name. This one is staff's, and staff's
        // directory has no `alice@contractors.example.com`: rejected before Duo.
        #expect(try await reached(
            { try await login("alice@contractors.example.com@staff.example.com", "alice-secret-1,123456") }, expect: "Received Access-Reject").isEmpty)
        // No section takes these: rejected, saying so, without a Duo call.
        for (user, nas) in [("alice@other.example.com", nil), ("alice", nil), ("alice", "vpn-partners2"), ("CORP\\alice@x", nil)] as [(String, String?)] {
            let before = requests()
            let reply = try await login(user, "123456", nas: nas)
            #expect(reply.contains("Received Access-Reject") && reply.contains("no realm matched"), "\(user): \(reply)")
            #expect(requests() == before, "\(user)")
        }
        #expect(proxy.standardError.contains("no realm matched"))

        // Duo down: each realm answers by its own failmode, after its own directory said yes.
        sim.setFault(.down(path: "/auth/v2/preauth"))
        let safe = try await login("alice@staff.example.com", "staff-pass,123456")
        #expect(safe.contains("Received Access-Accept") && safe.contains("Failmode Safe"), "\(safe)\n\(proxy.transcript)")
        #expect(try await login("alice@staff.example.com", "wrong-pass,123456").contains("Received Access-Reject"))
        #expect(try await login("alice@contractors.example.com", "alice-secret-1,123456").contains("Received Access-Reject"))
        sim.clearFaults()

        await proxy.stop(grace: .seconds(25))
        #expect(proxy.terminationStatus == 0)
        await sim.stop()
    }
}
