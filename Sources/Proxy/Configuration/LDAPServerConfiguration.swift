import DuoAPI
import LDAPFront
import LDAPWire
import Policy

extension TwofoldConfiguration {
    /// An `[ldap_server_duo_only]` section (Juniper's Duo LDAP service) or an `[ldap_server_auto]`
    /// section (a directory behind twofold, binds checked by Duo).
    struct LDAPServer: Sendable {
        /// What only `[ldap_server_auto]` has.
        struct Auto: Sendable {
            /// The `[ad_client]` section's name (lower-cased).
            var client: String
            /// The realm rules (`match_bind_dn_suffix`, `match_username_suffix`) and bind options.
            var realm: LDAPAutoRealms.Realm
            /// `network_timeout`, when set.
            var networkTimeout: Duration?
        }

        var policy: SectionPolicy
        /// nil for `[ldap_server_duo_only]`.
        var auto: Auto?
        var duo: DuoClientConfiguration
        var interface: String
        /// Clear LDAP, with StartTLS when `tls` is set.
        var port: Int
        /// LDAPS, served only when `tls` is set.
        var sslPort: Int
        var tls: LDAPServerTLS?
        var idleTimeout: Duration
        /// `max_connections` and `max_connections_per_address` of the listener.
        var connectionLimits: LDAPConnectionGate.Limits
        var line: Int

        /// The (interface, port) pairs this section listens on, and whether each is LDAPS.
        var endpoints: [(interface: String, port: Int, ldaps: Bool)] {
            [(interface, port, false)] + (tls == nil ? [] : [(interface, sslPort, true)])
        }
    }

    static let ldapDuoOnlyKeys = [
        "ikey", "skey", "akey", "api_host", "api_port", "api_timeout", "failmode", "factors", "interface", "port", "ssl_port",
        "ssl_cert_path", "ssl_key_path", "minimum_tls_version", "cipher_list", "idle_timeout", "max_pushes_per_user", "push_window",
        "max_connections", "max_connections_per_address",
    ]

    /// The reference's `[ldap_server_auto]` options (`client` an `[ad_client]`), with the TLS and
    /// listener options of `[ldap_server_duo_only]` and twofold's realm rules.
    static let ldapAutoKeys = [
        "ikey", "skey", "api_host", "api_port", "api_timeout", "failmode", "factors", "client", "interface", "port", "ssl_port",
        "ssl_cert_path", "ssl_key_path", "minimum_tls_version", "cipher_list", "idle_timeout", "exempt_primary_bind", "exempt_ou_N",
        "exempt_username_N", "allow_unlimited_binds", "allow_searches_after_bind", "network_timeout", "delimiter", "allow_concat",
        "delimited_password_length", "match_bind_dn_suffix", "match_username_suffix", "max_failed_primary_per_user",
        "max_failed_primary_per_address", "failed_primary_window", "max_pushes_per_user", "push_window",
        "max_connections", "max_connections_per_address",
    ]

    /// Reads `[ldap_server_duo_only]`, or `[ldap_server_auto]` when `auto`.
    static func readLDAPServer(
        _ reader: inout ConfigSectionReader, auto: Bool, main: Main, clients: [String: Client], warnings: inout [String]
    ) throws(ConfigError) -> LDAPServer {
        var policy = try SectionPolicy.read(&reader, mode: auto ? .auto : .duoOnly)
        let duo = try readDuo(&reader, policy: policy, main: main, warnings: &warnings)
        var autoPart: LDAPServer.Auto?
        if auto {
            autoPart = try readLDAPAuto(&reader, clients: clients)
        } else {
            policy.webPrompt = try readLDAPWebPrompt(&reader, policy: policy, duo: duo, main: main)
        }
        if !auto, let entry = try reader.entry("client") {
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
            policy: policy, auto: autoPart, duo: duo,
            interface: try reader.string("interface") ?? main.interface ?? "0.0.0.0",
            port: try reader.int("port", default: 389, in: 1...65_535)!,
            sslPort: try reader.int("ssl_port", default: 636, in: 1...65_535)!,
            tls: tls,
            idleTimeout: .seconds(try reader.int("idle_timeout", default: 300, in: 1...86_400)!),
            connectionLimits: try readConnectionLimits(&reader),
            line: reader.section.line)
        if tls != nil, server.port == server.sslPort {
            throw ConfigError(path: reader.path, line: reader.section.line, section: reader.section.name, key: "ssl_port",
                "is the same as port (\(server.port))", hint: "LDAPS and clear LDAP need their own ports, 636 and 389 by default")
        }
        try reader.unknownKeys(valid: auto ? ldapAutoKeys : ldapDuoOnlyKeys)
        return server
    }

    /// `[ldap_server_duo_only]`: the bind password `web` gets a Duo Web request, and the frame's
    /// signed response is a password too (WebPrompt); `akey` signs the request's APP cookie. Keys
    /// Duo Web cannot take (Duo's are 20 and 40 characters) are an error with `akey`, else no prompt.
    private static func readLDAPWebPrompt(
        _ reader: inout ConfigSectionReader, policy: SectionPolicy, duo: DuoClientConfiguration, main: Main
    ) throws(ConfigError) -> WebPrompt? {
        let configuredApplicationKey = try reader.entry("akey") != nil
        let webPrompt = WebPrompt(
            secretKey: duo.secretKey, applicationKey: try readApplicationKey(&reader, stateKey: main.stateKey), apiHost: duo.apiHost,
            scriptURI: "", template: WebPrompt.signedRequestTemplate)
        do {
            try checkWebKeys(&reader, webPrompt, integrationKey: policy.integrationKey)
            return webPrompt
        } catch where configuredApplicationKey {
            throw error
        } catch {
            return nil
        }
    }

    /// `max_connections` (default 4,096) and `max_connections_per_address` (default 512: a VPN
    /// concentrator is one address for all its users), no more than the first.
    private static func readConnectionLimits(_ reader: inout ConfigSectionReader) throws(ConfigError) -> LDAPConnectionGate.Limits {
        let defaults = LDAPConnectionGate.Limits()
        let total = try reader.int("max_connections", default: defaults.connections, in: 1...1_000_000)!
        let perAddress = try reader.int("max_connections_per_address", default: min(defaults.connectionsPerAddress, total), in: 1...1_000_000)!
        guard perAddress <= total else {
            throw reader.error(key: "max_connections_per_address", "is \(perAddress), more than max_connections (\(total)); make it at most that")
        }
        return LDAPConnectionGate.Limits(connections: total, connectionsPerAddress: perAddress)
    }

    private static func readLDAPAuto(_ reader: inout ConfigSectionReader, clients: [String: Client]) throws(ConfigError) -> LDAPServer.Auto {
        let directories = clients.filter { if case .activeDirectory = $0.value { true } else { false } }.keys.sorted()
        let entry = try reader.entry("client")
        let name = entry?.value.lowercased() ?? (directories.count == 1 ? directories[0] : "")
        guard case .activeDirectory = clients[name] else {
            let hint = directories.isEmpty
                ? "add an [ad_client] section (the directory the LDAP operations go to) and client=ad_client"
                : "an [ad_client] section: \(directories.joined(separator: ", "))"
            if let entry {
                throw reader.error(entry, clients[name] == nil ? "names no client section" : "is not an [ad_client] section", hint: hint)
            }
            throw ConfigError(path: reader.path, line: reader.section.line, section: reader.section.name, key: "client", "is required", hint: hint)
        }
        var rules = LDAPAutoRealms.Rules()
        if let entry = try reader.entry("match_bind_dn_suffix") {
            do {
                let dn = try LDAPDN(parsing: entry.value)
                guard !dn.rdns.isEmpty else { throw reader.error(entry, "is empty", hint: "a DN, e.g. ou=contractors,dc=example,dc=com") }
                rules.bindDNSuffix = dn
            } catch let error as ConfigError {
                throw error
            } catch {
                throw reader.error(entry, "'\(entry.value)' is not a distinguished name: \(error)", hint: "e.g. ou=contractors,dc=example,dc=com")
            }
        }
        if let entry = try reader.entry("match_username_suffix") {
            // As on RADIUS sections: a whole realm, so `example.com` cannot take `alice@evil-example.com`.
            guard entry.value.hasPrefix("@"), entry.value.count > 1, entry.value.filter({ $0 == "@" }).count == 1 else {
                throw reader.error(entry, "'\(entry.value)' is not a realm suffix", hint: "an @ and the realm, e.g. @contractors.example.com")
            }
            rules.usernameSuffix = entry.value
        }
        let options = LDAPAutoRealms.Options(
            exemptPrimaryBind: try reader.bool("exempt_primary_bind", default: true),
            allowUnlimitedBinds: try reader.bool("allow_unlimited_binds", default: false),
            allowSearchesAfterBind: try reader.bool("allow_searches_after_bind", default: true))
        let timeout = try reader.int("network_timeout", in: 1...600).map { Duration.seconds($0) }
        return LDAPServer.Auto(
            client: name, realm: LDAPAutoRealms.Realm(section: reader.section.name, rules: rules, options: options), networkTimeout: timeout)
    }

    /// Sections that share an (interface, port) share one listener: they must agree on whether it
    /// is LDAPS and on its TLS options. Afterwards a bind DN in a duo-only section's subtree
    /// (`dc=IKEY,dc=duosecurity,dc=com`) chooses that section; any other bind goes to the auto
    /// sections, told apart by their `match_*` rules, so two auto sections with the same rules
    /// (or both without) cannot share a port.
    static func checkSharedLDAPPorts(_ servers: [LDAPServer], path: String) throws(ConfigError) {
        var first: [String: (server: LDAPServer, ldaps: Bool)] = [:]
        var autos: [String: [LDAPServer]] = [:]
        var duoOnly: [String: [LDAPServer]] = [:]
        for server in servers {
            for endpoint in server.endpoints {
                let key = "\(endpoint.interface)|\(endpoint.port)"
                if let auto = server.auto {
                    let earlier = autos[key] ?? []
                    if let clash = LDAPAutoRealms.indistinguishable(earlier.map { $0.auto!.realm.rules } + [auto.realm.rules]) {
                        let other = earlier[clash.first]
                        throw ConfigError(path: path, line: server.line, section: server.policy.name,
                            "has the same match_* rules as [\(other.policy.name)] on \(endpoint.interface):\(endpoint.port), so no bind could ever reach it",
                            hint: "add or change match_bind_dn_suffix or match_username_suffix to tell them apart")
                    }
                    autos[key] = earlier + [server]
                } else {
                    for other in duoOnly[key] ?? [] where other.policy.integrationKey.lowercased() == server.policy.integrationKey.lowercased() {
                        throw ConfigError(path: path, line: server.line, section: server.policy.name, key: "ikey",
                            "is also the ikey of [\(other.policy.name)] on \(endpoint.interface):\(endpoint.port)",
                            hint: "the bind DN's IKEY chooses the section, so each needs its own integration")
                    }
                    duoOnly[key, default: []].append(server)
                }
                guard let earlier = first[key] else {
                    first[key] = (server, endpoint.ldaps)
                    continue
                }
                guard earlier.ldaps == endpoint.ldaps, earlier.server.tls == server.tls else {
                    throw ConfigError(path: path, line: server.line, section: server.policy.name,
                        "shares \(endpoint.interface):\(endpoint.port) with [\(earlier.server.policy.name)] but not its TLS settings",
                        hint: "sections on one port need the same ssl_cert_path, ssl_key_path, minimum_tls_version, cipher_list and the same use of the port (port or ssl_port)")
                }
                guard earlier.server.idleTimeout == server.idleTimeout, earlier.server.connectionLimits == server.connectionLimits else {
                    throw ConfigError(path: path, line: server.line, section: server.policy.name,
                        "shares \(endpoint.interface):\(endpoint.port) with [\(earlier.server.policy.name)] but not its idle_timeout, max_connections or max_connections_per_address",
                        hint: "these belong to the listener: give every section on the port the same values (or leave them to their defaults)")
                }
            }
        }
    }
}
