import Foundation
import TestSupport
import Testing

/// `twofold check`: the configuration and the files it names, checked without serving.
@Suite struct CheckCommandTests {
    static func check(_ config: String) async throws -> (status: Int32, stdout: String, stderr: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("twofold-check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("authproxy.cfg").path
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        let result = try await PeerProcess.run(RunCommandTests.twofold, ["check", "--config", path], timeout: .seconds(30))
        return (result.status, result.stdout.replacingOccurrences(of: path, with: "CFG"), result.stderr.replacingOccurrences(of: path, with: "CFG"))
    }

    static let radius = """
        [radius_server_duo_only]
        ikey=DIWJ8X6AEYOR5OMC6TQ1
        skey=Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep
        api_host=api-xxxxxxxx.duosecurity.com
        radius_ip_1=192.0.2.10
        radius_secret_1=device-secret-0123456789
        interface=127.0.0.1
        port=18120

        """

    @Test func aGoodConfigurationListsItsListenersAndOpensNone() async throws {
        let result = try await Self.check("[main]\nmetrics_listen=127.0.0.1:9100\n\n" + Self.radius)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == """
            udp 127.0.0.1:18120 (RADIUS): [radius_server_duo_only]
            tcp 127.0.0.1:9100 (metrics): [main]
            CFG: configuration OK

            """)
    }

    @Test func filesTheStartWouldReadAreChecked() async throws {
        let result = try await Self.check("""
            [main]
            http_ca_certs_file=/nonexistent/duo-ca.pem

            [local_client]
            users_file=/nonexistent/users

            [ldap_server_duo_only]
            ikey=DIWJ8X6AEYOR5OMC6TQ2
            skey=Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep
            api_host=api-xxxxxxxx.duosecurity.com
            port=10389
            ssl_port=10636
            ssl_cert_path=/nonexistent/ldap.pem
            ssl_key_path=/nonexistent/ldap-key.pem

            """ + Self.radius)
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("twofold check: CFG: [main] http_ca_certs_file: /nonexistent/duo-ca.pem holds no readable PEM certificate") }, "\(result.stderr)")
        #expect(lines.contains { $0.hasPrefix("twofold check: CFG:4: [local_client] users_file: ") && $0.contains("/nonexistent/users") }, "\(result.stderr)")
        #expect(lines.contains { $0.hasPrefix("twofold check: CFG:7: [ldap_server_duo_only] ssl_cert_path: /nonexistent/ldap.pem") }, "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test func aConfigurationErrorNamesItsLine() async throws {
        let result = try await Self.check(Self.radius + "radius_secret_2=orphan\n")
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("twofold check: CFG:9: [radius_server_duo_only] radius_secret_2"), "\(result.stderr)")
    }
}
