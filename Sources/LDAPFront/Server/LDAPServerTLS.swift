import NIOSSL

/// The TLS options of an `[ldap_server_duo_only]` section and the server context built from them,
/// once per listener and shared by its connections.
public struct LDAPServerTLS: Sendable, Hashable {
    /// `ssl_cert_path`: the PEM certificate, followed by its chain.
    public var certificatePath: String
    /// `ssl_key_path`: the PEM private key.
    public var keyPath: String
    /// `minimum_tls_version`: 1.2 (the default) or 1.3.
    public var minimumVersion: MinimumVersion
    /// `cipher_list`: an OpenSSL cipher list for TLS 1.2 (TLS 1.3 suites are not configurable).
    public var cipherList: String?

    public enum MinimumVersion: String, Sendable, Hashable, CaseIterable {
        case tls12 = "1.2"
        case tls13 = "1.3"

        var nio: TLSVersion {
            switch self {
            case .tls12: .tlsv12
            case .tls13: .tlsv13
            }
        }
    }

    public init(certificatePath: String, keyPath: String, minimumVersion: MinimumVersion = .tls12, cipherList: String? = nil) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        self.minimumVersion = minimumVersion
        self.cipherList = cipherList
    }

    /// The server context; the error says which file or option is wrong.
    public func makeContext() throws(LDAPListenerError) -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw .tls("ssl_cert_path: \(certificatePath) holds no readable PEM certificate (\(error))")
        }
        guard !chain.isEmpty else { throw .tls("ssl_cert_path: \(certificatePath) holds no PEM certificate") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw .tls("ssl_key_path: \(keyPath) holds no readable PEM private key (\(error))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        // swift-nio-ssl's default minimum is TLS 1.0.
        configuration.minimumTLSVersion = minimumVersion.nio
        if let cipherList { configuration.cipherSuites = cipherList }
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw .tls("cannot build the TLS context (does ssl_key_path match ssl_cert_path? is cipher_list valid?): \(error)")
        }
    }
}
