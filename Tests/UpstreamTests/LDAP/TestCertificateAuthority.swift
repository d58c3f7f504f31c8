import Crypto
import Foundation
import TestSupport
import X509

/// A throwaway CA and a server certificate for 127.0.0.1 / ::1 / localhost signed by it, minted in
/// process (P-256, backdated an hour), in the way `DuoSimCertificates` does for the Duo simulator.
struct TestCertificateAuthority {
    let caCertificatePEM: String
    let leafCertificatePEM: String
    let leafPrivateKeyPEM: String

    /// - Parameter leafForLoopback: whether the leaf names 127.0.0.1, ::1 and localhost; when false
    ///   it names only `ldap.example.com`, for hostname verification tests.
    init(name: String = "twofold LDAP test CA", leafForLoopback: Bool = true, now: Date = Date()) throws {
        let caKey = P256.Signing.PrivateKey()
        let caPublicKey = Certificate.PublicKey(caKey.publicKey)
        let caName = try DistinguishedName {
            OrganizationName("twofold")
            CommonName(name)
        }
        let ca = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: caPublicKey,
            notValidBefore: now - 3600, notValidAfter: now + 30 * 86_400,
            issuer: caName, subject: caName, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: caPublicKey)
            },
            issuerPrivateKey: Certificate.PrivateKey(caKey))

        let leafKey = P256.Signing.PrivateKey()
        let leafPublicKey = Certificate.PublicKey(leafKey.publicKey)
        let leaf = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: leafPublicKey,
            notValidBefore: now - 3600, notValidAfter: now + 30 * 86_400,
            issuer: caName, subject: try DistinguishedName { CommonName(leafForLoopback ? "localhost" : "ldap.example.com") }, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectKeyIdentifier(hash: leafPublicKey)
                AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: caPublicKey).keyIdentifier)
                SubjectAlternativeNames(
                    leafForLoopback
                        ? [
                            .dnsName("localhost"),
                            .ipAddress(.init(contentBytes: [127, 0, 0, 1])),
                            .ipAddress(.init(contentBytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
                        ]
                        : [.dnsName("ldap.example.com")])
            },
            issuerPrivateKey: Certificate.PrivateKey(caKey))

        caCertificatePEM = try ca.serializeAsPEM().pemString
        leafCertificatePEM = try leaf.serializeAsPEM().pemString
        leafPrivateKeyPEM = leafKey.pemRepresentation
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
