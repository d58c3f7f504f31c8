import DuoSim
import Foundation
import TestSupport

/// A throwaway CA and a server certificate signed by it, minted by the simulator's
/// `DuoSimCertificates` (P-256, backdated an hour), for slapd's LDAPS and StartTLS.
struct TestCertificateAuthority {
    let caCertificatePEM: String
    let leafCertificatePEM: String
    let leafPrivateKeyPEM: String

    /// - Parameter leafForLoopback: whether the leaf names 127.0.0.1, ::1 and localhost; when false
    ///   it names only `ldap.example.com`, for hostname verification tests.
    init(name: String = "twofold LDAP test CA", leafForLoopback: Bool = true, now: Date = Date()) throws {
        let minted = leafForLoopback
            ? try DuoSimCertificates.generate(caName: name, now: now)
            : try DuoSimCertificates.generate(caName: name, leafName: "ldap.example.com", names: [.dnsName("ldap.example.com")], now: now)
        caCertificatePEM = minted.caCertificatePEM
        leafCertificatePEM = minted.leafCertificatePEM
        leafPrivateKeyPEM = minted.leafPrivateKeyPEM
    }

    /// What `SlapdPeer` needs to serve LDAPS and StartTLS with this CA's certificate.
    var slapdTLS: SlapdPeer.TLS {
        SlapdPeer.TLS(certificatePEM: leafCertificatePEM, privateKeyPEM: leafPrivateKeyPEM, caCertificatePEM: caCertificatePEM)
    }

    /// Writes the CA certificate to a temporary PEM file (for `ssl_ca_certs_file`).
    func writeCACertificate() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("twofold-ldap-ca-\(UUID().uuidString).pem")
        try caCertificatePEM.write(to: url, atomically: true, encoding: .utf8)
        return url
    }
}
