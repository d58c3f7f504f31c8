import Foundation
import Policy
import Testing
import TestSupport
import Upstream

/// `[ad_client]` over LDAPS and StartTLS against slapd with a certificate from a CA minted here.
@Suite("ADClient over TLS against slapd", .serialized, .timeLimit(.minutes(5)))
struct ADClientTLSTests {
    @Test(.enabled(if: ADDirectory.shouldRun))
    func ldapsAndStartTLSWithTheTestCA() async throws {
        let authority = try TestCertificateAuthority()
        let caFile = try authority.writeCACertificate()
        defer { try? FileManager.default.removeItem(at: caFile) }
        try await ADDirectory.withRunning(tls: authority.slapdTLS) { slapd in
            let ldapsPort = try #require(slapd.ldapsPort)

            let ldaps = try ADClient(configuration: ADDirectory.configuration(
                slapd, port: ldapsPort, transport: "ldaps", securityGroup: true, caFile: caFile.path))
            expectAccepted(await ADDirectory.login(ldaps, "alice", "alice-secret-1"), dn: slapd.dn(of: "alice"))
            expectRejected(await ADDirectory.login(ldaps, "alice", "wrong-password"), .wrongPassword)
            expectRejected(await ADDirectory.login(ldaps, "bob", "bob-secret-2"), .notInGroup)
            await ldaps.shutdown()

            // The certificate names localhost too; the name is verified (and sent as SNI).
            let byName = try ADClient(configuration: ADDirectory.configuration(
                slapd, hosts: ["localhost"], port: ldapsPort, transport: "ldaps", caFile: caFile.path))
            expectAccepted(await ADDirectory.login(byName, "alice", "alice-secret-1"), dn: slapd.dn(of: "alice"))
            await byName.shutdown()

            let startTLS = try ADClient(configuration: ADDirectory.configuration(
                slapd, transport: "starttls", caFile: caFile.path))
            expectAccepted(await ADDirectory.login(startTLS, "alice", "alice-secret-1"), dn: slapd.dn(of: "alice"))
            expectRejected(await ADDirectory.login(startTLS, "mallory", "whatever-1"), .unknownUser)
            await startTLS.shutdown()
        }
    }

    @Test(.enabled(if: ADDirectory.shouldRun))
    func anUntrustedCertificateIsUnavailable() async throws {
        let authority = try TestCertificateAuthority()
        let stranger = try TestCertificateAuthority(name: "some other CA")
        let strangerFile = try stranger.writeCACertificate()
        defer { try? FileManager.default.removeItem(at: strangerFile) }
        try await ADDirectory.withRunning(tls: authority.slapdTLS) { slapd in
            let ldapsPort = try #require(slapd.ldapsPort)
            let cases: [(port: Int, transport: String, caFile: String?)] = [
                (ldapsPort, "ldaps", strangerFile.path), (slapd.port, "starttls", strangerFile.path),
                // No ssl_ca_certs_file: the system's roots, which do not know the test CA.
                (ldapsPort, "ldaps", nil),
            ]
            for (port, transport, caFile) in cases {
                let client = try ADClient(configuration: ADDirectory.configuration(
                    slapd, port: port, transport: transport, caFile: caFile))
                let diagnostic = expectUnavailable(await ADDirectory.login(client, "alice", "alice-secret-1"))
                #expect(diagnostic.contains("TLS failed"), "\(transport): \(diagnostic)")
                #expect(diagnostic.contains("CERTIFICATE_VERIFY_FAILED"), "\(transport): \(diagnostic)")
                #expect(diagnostic.contains("ssl_ca_certs_file"))
                #expect(diagnostic.contains("127.0.0.1:\(port)"))
                #expect(client.connectionsOpened == 1, "\(transport): no further attempt after the TLS failure")
                await client.shutdown()
            }
        }
    }

    @Test(.enabled(if: ADDirectory.shouldRun))
    func aCertificateForAnotherNameFailsUnlessHostnameVerificationIsOff() async throws {
        // A trusted chain whose leaf names only ldap.example.com, reached as 127.0.0.1.
        let authority = try TestCertificateAuthority(leafForLoopback: false)
        let caFile = try authority.writeCACertificate()
        defer { try? FileManager.default.removeItem(at: caFile) }
        try await ADDirectory.withRunning(tls: authority.slapdTLS) { slapd in
            let ldapsPort = try #require(slapd.ldapsPort)
            let strict = try ADClient(configuration: ADDirectory.configuration(
                slapd, port: ldapsPort, transport: "ldaps", caFile: caFile.path))
            let diagnostic = expectUnavailable(await ADDirectory.login(strict, "alice", "alice-secret-1"))
            #expect(diagnostic.contains("TLS failed"), "\(diagnostic)")
            await strict.shutdown()

            let relaxed = try ADClient(configuration: ADDirectory.configuration(
                slapd, port: ldapsPort, transport: "ldaps", caFile: caFile.path, verifyHostname: false))
            expectAccepted(await ADDirectory.login(relaxed, "alice", "alice-secret-1"), dn: slapd.dn(of: "alice"))
            await relaxed.shutdown()
        }
    }

    @Test(.enabled(if: ADDirectory.shouldRun))
    func clearLDAPToTheLDAPSPortFailsWithinTheTimeout() async throws {
        let authority = try TestCertificateAuthority()
        try await ADDirectory.withRunning(tls: authority.slapdTLS) { slapd in
            let ldapsPort = try #require(slapd.ldapsPort)
            let client = try ADClient(configuration: ADDirectory.configuration(slapd, port: ldapsPort, timeout: .seconds(2)))
            let diagnostic = expectUnavailable(await ADDirectory.login(client, "alice", "alice-secret-1"))
            #expect(diagnostic.contains("127.0.0.1:\(ldapsPort)"))
            await client.shutdown()
        }
    }
}
