import DuoAPI
import LDAPFront
import Policy

extension TwofoldConfiguration {
    /// An `[ldap_server_duo_only]` section: Juniper's Duo LDAP service.
    struct LDAPServer: Sendable {
        var policy: SectionPolicy
        var duo: DuoClientConfiguration
        var interface: String
        /// Clear LDAP, with StartTLS when `tls` is set.
        var port: Int
        /// LDAPS, served only when `tls` is set.
        var sslPort: Int
        var tls: LDAPServerTLS?
        var idleTimeout: Duration
        var line: Int

        /// The (interface, port) pairs this section listens on, and whether each is LDAPS.
        var endpoints: [(interface: String, port: Int, ldaps: Bool)] {
            [(interface, port, false)] + (tls == nil ? [] : [(interface, sslPort, true)])
        }
    }

    static let ldapDuoOnlyKeys = [
        "ikey", "skey", "akey", "api_host", "api_port", "api_timeout", "failmode", "factors", "interface", "port", "ssl_port",
        "ssl_cert_path", "ssl_key_path", "minimum_tls_version", "cipher_list", "idle_timeout", "max_pushes_per_user", "push_window",
    ]

    static func readLDAPDuoOnlyServer(_ reader: inout ConfigSectionReader, main: Main, warnings: inout [String]) throws(ConfigError) -> LDAPServer {
        var policy = try SectionPolicy.read(&reader, mode: .duoOnly)
        let duo = try readDuo(&reader, policy: policy, main: main, warnings: &warnings)
        // The bind password `web` gets a Duo Web request, and the frame's signed response is a
        // password too (WebPrompt); `akey` signs the request's APP cookie. Keys Duo Web cannot
        // take (Duo's are 20 and 40 characters) are an error with `akey`, else no Web prompt.
        let configuredApplicationKey = try reader.entry("akey") != nil
        let webPrompt = WebPrompt(
            secretKey: duo.secretKey, applicationKey: try readApplicationKey(&reader, stateKey: main.stateKey), apiHost: duo.apiHost,
            scriptURI: "", template: WebPrompt.signedRequestTemplate)
        do {
            try checkWebKeys(&reader, webPrompt, integrationKey: policy.integrationKey)
            policy.webPrompt = webPrompt
        } catch where configuredApplicationKey {
            throw error
        } catch {}
        if let entry = try reader.entry("client") {
            throw reader.error(entry, "an ldap_server_duo_only section has no primary", hint: "remove this line")
        }
        let certificate = try reader.entry("ssl_cert_path")
        let key = try reader.entry("ssl_key_path")
        var tls: LDAPServerTLS?
        switch (certificate, key) {
        case (let certificate?, let key?):
            tls = LDAPServerTLS(
                certificatePath: reader.resolvedPath(certificate.value), keyPath: reader.resolvedPath(key.value),
                minimumVersion: try reader.choice("minimum_tls_version", default: LDAPServerTLS.MinimumVersion.tls12),
                cipherList: try reader.string("cipher_list"))
        case (let certificate?, nil):
            throw reader.error(certificate, "is set without ssl_key_path", hint: "add ssl_key_path with the certificate's PEM private key")
        case (nil, let key?):
            throw reader.error(key, "is set without ssl_cert_path", hint: "add ssl_cert_path with the PEM certificate and its chain")
        case (nil, nil):
            for name in ["minimum_tls_version", "cipher_list", "ssl_port"] {
                if let entry = try reader.entry(name) {
                    throw reader.error(entry, "needs ssl_cert_path and ssl_key_path", hint: "add them, or remove this line")
                }
            }
            warnings.append("\(reader.path):\(reader.section.line): [\(reader.section.name)] has no ssl_cert_path / ssl_key_path: LDAP is served in the clear, and the secret key and passcodes cross the network readable; configure a certificate for LDAPS and StartTLS")
        }
        let server = LDAPServer(
            policy: policy, duo: duo,
            interface: try reader.string("interface") ?? main.interface ?? "0.0.0.0",
            port: try reader.int("port", default: 389, in: 1...65_535)!,
            sslPort: try reader.int("ssl_port", default: 636, in: 1...65_535)!,
            tls: tls,
            idleTimeout: .seconds(try reader.int("idle_timeout", default: 300, in: 1...86_400)!),
            line: reader.section.line)
        if tls != nil, server.port == server.sslPort {
            throw ConfigError(path: reader.path, line: reader.section.line, section: reader.section.name, key: "ssl_port",
                "is the same as port (\(server.port))", hint: "LDAPS and clear LDAP need their own ports, 636 and 389 by default")
        }
        try reader.unknownKeys(valid: ldapDuoOnlyKeys)
        return server
    }

    /// Sections that share an (interface, port) share one listener: they must agree on whether it
    /// is LDAPS and on its TLS options (told apart afterwards by the IKEY in the bind DN).
    static func checkSharedLDAPPorts(_ servers: [LDAPServer], path: String) throws(ConfigError) {
        var first: [String: (server: LDAPServer, ldaps: Bool)] = [:]
        for server in servers {
            for endpoint in server.endpoints {
                let key = "\(endpoint.interface)|\(endpoint.port)"
                guard let earlier = first[key] else {
                    first[key] = (server, endpoint.ldaps)
                    continue
                }
                guard earlier.ldaps == endpoint.ldaps, earlier.server.tls == server.tls else {
                    throw ConfigError(path: path, line: server.line, section: server.policy.name,
                        "shares \(endpoint.interface):\(endpoint.port) with [\(earlier.server.policy.name)] but not its TLS settings",
                        hint: "sections on one port need the same ssl_cert_path, ssl_key_path, minimum_tls_version, cipher_list and the same use of the port (port or ssl_port)")
                }
                if server.policy.integrationKey.lowercased() == earlier.server.policy.integrationKey.lowercased() {
                    throw ConfigError(path: path, line: server.line, section: server.policy.name, key: "ikey",
                        "is also the ikey of [\(earlier.server.policy.name)] on \(endpoint.interface):\(endpoint.port)",
                        hint: "the bind DN's IKEY chooses the section, so each needs its own integration")
                }
            }
        }
    }
}
