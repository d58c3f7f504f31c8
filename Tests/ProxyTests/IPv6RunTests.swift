import DuoSim
import Foundation
import TestSupport
import Testing

/// `interface=::1`: the RADIUS and LDAP listeners serve IPv6 clients, and `radius_ip_N` matches
/// IPv6 sources.
@Suite(.serialized) struct IPv6RunTests {
    @Test(.enabled(if: Peers.shouldRun("radclient") && Peers.shouldRun("ldapwhoami")), .timeLimit(.minutes(2)))
    func bothFrontsServeIPv6() async throws {
        let sim = try await DuoSimServer.start(DuoSimConfiguration(
            integrations: [RunCommandTests.ikey: RunCommandTests.skey, LDAPRunCommandTests.ikey2: LDAPRunCommandTests.skey2],
            users: DuoSimUsers(users: ["alice": DuoSimUser(push: .approve, passcodes: ["123456"])]),
            tls: .selfSigned))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("twofold-ipv6-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try (sim.caCertificatePEM ?? "").write(to: folder.appendingPathComponent("duo-ca.pem"), atomically: true, encoding: .utf8)
        let radiusPort = try FreePort.udp()
        let ldapPort = try FreePort.tcp()
        let config = """
            [main]
            http_ca_certs_file=\(folder.appendingPathComponent("duo-ca.pem").path)

            [radius_server_duo_only]
            ikey=\(RunCommandTests.ikey)
            skey=\(RunCommandTests.skey)
            api_host=127.0.0.1
            api_port=\(sim.port)
            radius_ip_1=::1
            radius_secret_1=\(RunCommandTests.secret)
            interface=::1
            port=\(radiusPort)

            [ldap_server_duo_only]
            ikey=\(LDAPRunCommandTests.ikey2)
            skey=\(LDAPRunCommandTests.skey2)
            api_host=127.0.0.1
            api_port=\(sim.port)
            interface=::1
            port=\(ldapPort)
            """
        let path = folder.appendingPathComponent("authproxy.cfg").path
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        let proxy = try PeerProcess(RunCommandTests.twofold, ["run", "--config", path, "--grace", "20"])
        try await Wait.until("twofold listens on ::1", timeout: .seconds(20)) {
            guard proxy.isRunning else { throw PeerMissing(peer: "twofold run exited: \(proxy.transcript)") }
            return proxy.standardError.contains("listening for RADIUS on udp") && proxy.standardError.contains("listening for LDAP on tcp")
        }

        let radius = try await PeerProcess.run(
            try Peers.tool("radclient"), ["-x", "-r", "1", "-t", "15", "[::1]:\(radiusPort)", "auth", RunCommandTests.secret],
            stdin: Data("User-Name = \"alice\", User-Password = \"123456\", Message-Authenticator = 0x00".utf8), timeout: .seconds(30))
        #expect(radius.stdout.contains("Received Access-Accept"), "\(radius.stdout)\(radius.stderr)\n\(proxy.transcript)")

        let base = "dc=\(LDAPRunCommandTests.ikey2),dc=duosecurity,dc=com"
        let whoami = try await PeerProcess.run(
            try Peers.tool("ldapwhoami"), ["-H", "ldap://[::1]:\(ldapPort)", "-x", "-D", "cn=alice,\(base)", "-w", "123456"],
            environment: ["LDAPCONF": "/dev/null", "LDAPRC": "/dev/null"], timeout: .seconds(30))
        #expect(whoami.status == 0, "\(whoami.stderr)\n\(proxy.transcript)")
        #expect(whoami.stdout.contains("dn:cn=alice,\(base)"))

        await proxy.stop(grace: .seconds(25))
        #expect(proxy.terminationStatus == 0)
        await sim.stop()
    }
}
