import Crypto
import Foundation
import X509

/// A throwaway CA and a server certificate signed by it, made in process (P-256, valid for a
/// year, backdated an hour for clock differences). The leaf names 127.0.0.1, ::1 and localhost
/// both as IP addresses and as DNS names: duo_client's own hostname check only looks at DNS names.
public struct DuoSimCertificates: Sendable {
    public let caCertificatePEM: String
    public let leafCertificatePEM: String
    public let leafPrivateKeyPEM: String

    /// The simulator's names: 127.0.0.1, ::1 and localhost, as IP addresses and as DNS names.
    public static let loopbackNames: [GeneralName] = [
        .dnsName("localhost"), .dnsName("127.0.0.1"),
        .ipAddress(.init(contentBytes: [127, 0, 0, 1])),
        .ipAddress(.init(contentBytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
    ]

    /// Mints a CA and a leaf for `names` (the loopback names by default). Tests use other CA
    /// names and leaf names (a leaf for another host, a CA nobody trusts).
    public static func generate(
        caName commonName: String = "twofold duo-sim test CA", leafName: String = "localhost",
        names: [GeneralName] = loopbackNames, now: Date = Date()
    ) throws(DuoSimError) -> DuoSimCertificates {
        do {
            let caKey = P256.Signing.PrivateKey()
            let caPublicKey = Certificate.PublicKey(caKey.publicKey)
            let caName = try DistinguishedName {
                OrganizationName("twofold")
                CommonName(commonName)
            }
            let ca = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: caPublicKey,
                notValidBefore: now - 3600, notValidAfter: now + 365 * 86_400,
                issuer: caName, subject: caName, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                    SubjectKeyIdentifier(hash: caPublicKey)
                },
                issuerPrivateKey: Certificate.PrivateKey(caKey))

            let leafKey = P256.Signing.PrivateKey()
            let leafPublicKey = Certificate.PublicKey(leafKey.publicKey)
            let leafSubject = try DistinguishedName { CommonName(leafName) }
            let caKeyIdentifier = SubjectKeyIdentifier(hash: caPublicKey).keyIdentifier
            let leaf = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: leafPublicKey,
                notValidBefore: now - 3600, notValidAfter: now + 365 * 86_400,
                issuer: caName, subject: leafSubject, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    Critical(KeyUsage(digitalSignature: true))
                    try ExtendedKeyUsage([.serverAuth])
                    SubjectKeyIdentifier(hash: leafPublicKey)
                    AuthorityKeyIdentifier(keyIdentifier: caKeyIdentifier)
                    SubjectAlternativeNames(names)
                },
                issuerPrivateKey: Certificate.PrivateKey(caKey))
            return DuoSimCertificates(
                caCertificatePEM: try ca.serializeAsPEM().pemString,
                leafCertificatePEM: try leaf.serializeAsPEM().pemString,
                leafPrivateKeyPEM: leafKey.pemRepresentation)
        } catch {
            throw .tls("cannot generate the self-signed certificates: \(error)")
        }
    }
}
