import DuoAPI
import Foundation
import Policy
import RADIUSFront
import RADIUSWire
import Upstream

/// authproxy.cfg, read and checked: every section typed, every key known, every reference between
/// sections resolved. Nothing here opens a socket; `twofold run` builds the services from it.
struct TwofoldConfiguration: Sendable {
    /// `[main]`.
    struct Main: Sendable {
        var debug = false
        var logDirectory: String?
        var logFile: String?
        var logToStandardOutput = false
        var logAuthEvents = false
        var httpCACertsFile: String?
        var interface: String?
        var httpProxy: (host: String, port: Int)?
        /// `state_key` or the contents of `state_key_file`: seals challenge State, so that another
        /// process with the same key and configuration can continue a login.
        var stateKey: [UInt8]?
        /// `metrics_listen`: where `/metrics`, `/healthz` and `/readyz` are served over HTTP.
        var metricsListen: HostAndPort?
        /// `log_max_size` and `log_max_files`: the rotation of the log file and authevents.log.
        var logLimits = RotatingFile.Limits.reference
    }

    /// A `client` section: what checks the first factor.
    enum Client: Sendable {
        case radius(RADIUSClientConfiguration)
        case activeDirectory(ADClientConfiguration)
        case local(LocalUsersClient.Configuration, line: Int)
        case duoOnly
    }

    /// A `[radius_server_*]` section.
    struct RADIUSServer: Sendable {
        var policy: SectionPolicy
        var duo: DuoClientConfiguration
        /// The `client` section's name (lower-cased), nil for duo-only sections.
        var client: String?
        var interface: String
        var port: Int
        var clients: [RADIUSServerSection.Client]
        /// The line of each client's `radius_ip_N`, in the order of ``clients``.
        var clientLines: [Int] = []
        var requireMessageAuthenticator: Bool
        var clientIPAttribute: RADIUSAttributeType
        /// `join_pending_push_window` (seconds, 0 = off).
        var joinPendingWindow: Duration = RADIUSServerSection.defaultJoinPendingWindow
        var line: Int
        /// The `match_*` keys and `strip_realm`.
        var rules = RealmRules()
        /// `pass_through_attr_names` / `pass_through_all` of the server section, handed to its
        /// `[radius_client]`.
        var passThroughNames: [String] = []
        var passThroughAll = false
    }

    var path: String
    var main: Main
    /// By lower-cased section name (`radius_client`, `radius_client2`).
    var clients: [String: Client]
    var radiusServers: [RADIUSServer]
    /// `[ldap_server_duo_only]` and `[ldap_server_auto]` sections, in file order.
    var ldapServers: [LDAPServer] = []
    /// Things an administrator should know that do not stop the start (weak secrets, legacy options).
    var warnings: [String]

    static func load(path: String) throws(ConfigError) -> TwofoldConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(path: path, line: nil, "cannot be read: \(error.localizedDescription)", hint: "check the path and its permissions")
        }
        return try parse(text, path: path)
    }

    static func parse(_ text: String, path: String) throws(ConfigError) -> TwofoldConfiguration {
        let file = try AuthproxyConfigFile.parse(text, path: path)
        var configuration = TwofoldConfiguration(path: path, main: Main(), clients: [:], radiusServers: [], warnings: [])
        var servers: [(AuthproxyConfigFile.Section, SectionPolicy.Mode)] = []
        var ldapSections: [(section: AuthproxyConfigFile.Section, auto: Bool)] = []
        for section in file.sections {
            var reader = ConfigSectionReader(path: path, section: section)
            switch section.kind.type {
            case "main":
                guard section.kind.instance == 1 else { throw misplaced(section, path: path) }
                configuration.main = try readMain(&reader, warnings: &configuration.warnings)
            case "radius_client":
                configuration.clients[section.name.lowercased()] = .radius(try readRADIUSClient(&reader, warnings: &configuration.warnings))
            case "ad_client":
                configuration.clients[section.name.lowercased()] = .activeDirectory(try readADClient(&reader, warnings: &configuration.warnings))
            case "local_client":
                configuration.clients[section.name.lowercased()] = .local(try readLocalClient(&reader), line: section.line)
            case "duo_only_client":
                try reader.unknownKeys(valid: [])
                configuration.clients[section.name.lowercased()] = .duoOnly
            case "radius_server_auto": servers.append((section, .auto))
            case "radius_server_concat": servers.append((section, .concat))
            case "radius_server_duo_only": servers.append((section, .duoOnly))
            case "radius_server_challenge": servers.append((section, .challenge))
            case "radius_server_iframe": servers.append((section, .iframe))
            case "ldap_server_duo_only": ldapSections.append((section, false))
            case "ldap_server_auto": ldapSections.append((section, true))
            default:
                throw ConfigError(
                    path: path, line: section.line, section: section.name, "is not a section twofold knows",
                    hint: "check the spelling; sections are main, ad_client, radius_client, local_client, duo_only_client, "
                        + "radius_server_auto, radius_server_concat, radius_server_duo_only, radius_server_challenge, "
                        + "radius_server_iframe, ldap_server_auto, ldap_server_duo_only (with an optional number)")
            }
        }
        for (section, mode) in servers {
            var reader = ConfigSectionReader(path: path, section: section)
            configuration.radiusServers.append(
                try readRADIUSServer(&reader, mode: mode, main: configuration.main, clients: configuration.clients, warnings: &configuration.warnings))
        }
        for (section, auto) in ldapSections {
            var reader = ConfigSectionReader(path: path, section: section)
            configuration.ldapServers.append(
                try readLDAPServer(&reader, auto: auto, main: configuration.main, clients: configuration.clients, warnings: &configuration.warnings))
        }
        try checkSharedLDAPPorts(configuration.ldapServers, path: path)
        try checkSharedRADIUSPorts(configuration.radiusServers, path: path)
        // Pass-through asked for on server sections goes to the [radius_client] they use.
        for section in file.sections where section.kind.type == "radius_client" {
            let name = section.name.lowercased()
            let users = configuration.radiusServers.filter { $0.client == name }
            let names = users.flatMap(\.passThroughNames)
            let all = users.contains { $0.passThroughAll }
            guard !names.isEmpty || all else { continue }
            var reader = ConfigSectionReader(path: path, section: section)
            var ignored: [String] = []
            configuration.clients[name] = .radius(try readRADIUSClient(&reader, warnings: &ignored, extraPassThrough: (names, all)))
        }
        guard !configuration.radiusServers.isEmpty || !configuration.ldapServers.isEmpty else {
            throw ConfigError(path: path, line: nil, "has no server section, so twofold would serve nothing",
                hint: "add an [ldap_server_duo_only] section, or a [radius_server_auto] section with ikey, skey, api_host, client, radius_ip_1 and radius_secret_1")
        }
        return configuration
    }

    private static func misplaced(_ section: AuthproxyConfigFile.Section, path: String) -> ConfigError {
        ConfigError(path: path, line: section.line, section: section.name, "there is only one [main]", hint: "rename it [main]")
    }

    // MARK: - Sections

    static let mainKeys = [
        "debug", "log_dir", "log_file", "log_stdout", "log_auth_events", "http_ca_certs_file", "interface", "http_proxy_host", "http_proxy_port", "metrics_listen",
        "log_max_size", "log_max_files", "log_syslog", "syslog_facility",
        "state_key", "state_key_file",
    ]
    static let minimumStateKeyLength = 16

    private static func readMain(_ reader: inout ConfigSectionReader, warnings: inout [String]) throws(ConfigError) -> Main {
        var main = Main()
        main.debug = try reader.bool("debug", default: false)
        main.logDirectory = try reader.string("log_dir")
        main.logFile = try reader.string("log_file")
        main.logToStandardOutput = try reader.bool("log_stdout", default: false)
        main.logAuthEvents = try reader.bool("log_auth_events", default: false)
        main.httpCACertsFile = try reader.string("http_ca_certs_file")
        main.interface = try reader.string("interface")
        if let host = try reader.string("http_proxy_host") {
            main.httpProxy = (host, try reader.int("http_proxy_port", default: 80, in: 1...65_535)!)
        }
        main.stateKey = try readStateKey(&reader)
        main.logLimits = RotatingFile.Limits(
            maximumSize: try reader.int("log_max_size", default: RotatingFile.Limits.reference.maximumSize, in: 4096...(1 << 40))!,
            maximumFiles: try reader.int("log_max_files", default: RotatingFile.Limits.reference.maximumFiles, in: 1...1000)!)
        if try reader.bool("log_syslog", default: false) {
            warnings.append("\(reader.path):\(reader.section.line): [main] log_syslog: twofold does not write to syslog; it logs to log_file, or to standard output with log_stdout=true (which systemd's journal and syslog collect)")
        }
        _ = try reader.string("syslog_facility")
        if let entry = try reader.entry("metrics_listen") {
            guard let address = HostAndPort(entry.value) else {
                throw reader.error(entry, "'\(entry.value)' is not HOST:PORT",
                    hint: "the address for Prometheus and health checks, e.g. 127.0.0.1:9100 or [::1]:9100")
            }
            main.metricsListen = address
        }
        try reader.unknownKeys(valid: mainKeys)
        return main
    }

    private static func readStateKey(_ reader: inout ConfigSectionReader) throws(ConfigError) -> [UInt8]? {
        let hint = "a long random secret, the same on every twofold that serves these clients, e.g. from: openssl rand -hex 32"
        let inline = try reader.entry("state_key")
        let file = try reader.entry("state_key_file")
        if let inline, file != nil {
            throw reader.error(inline, "and state_key_file are both set", hint: "keep one of them")
        }
        let key: [UInt8]
        let entry: AuthproxyConfigFile.Entry
        if let inline {
            (key, entry) = (Array(inline.value.utf8), inline)
        } else if let file {
            let path = reader.resolvedPath(file.value)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw reader.error(file, "cannot read \(path)", hint: "check the path and that twofold may read it")
            }
            // A trailing newline (echo, an editor) is not part of the key.
            var bytes = Array(data)
            while let last = bytes.last, last == 0x0A || last == 0x0D || last == 0x20 { bytes.removeLast() }
            (key, entry) = (bytes, file)
        } else {
            return nil
        }
        guard key.count >= minimumStateKeyLength else {
            throw reader.error(entry, "is shorter than \(minimumStateKeyLength) characters", hint: hint)
        }
        return key
    }

    static let radiusClientKeys = [
        "host", "host_N", "port", "port_N", "secret", "retries", "retry_wait", "nas_ip", "pass_through_attr_names",
        "pass_through_all", "pw_codec", "require_message_authenticator",
    ]

    /// Reads a `[radius_client]`. `extraPassThrough` adds what the server sections using it ask
    /// for: the reference accepts `pass_through_attr_names` / `pass_through_all` on the server
    /// section too, and existing configurations put them there.
    private static func readRADIUSClient(
        _ reader: inout ConfigSectionReader, warnings: inout [String], extraPassThrough: (names: [String], all: Bool) = ([], false)
    ) throws(ConfigError) -> RADIUSClientConfiguration {
        let hosts = try reader.numbered("host", bareFirst: true)
        var ports: [Int: Int] = [:]
        for (number, entry) in try reader.numbered("port", bareFirst: true) {
            guard let port = Int(entry.value), (1...65_535).contains(port) else {
                throw reader.error(entry, "'\(entry.value)' is not a port from 1 to 65535")
            }
            ports[number] = port
        }
        let servers = hosts.map { RADIUSClientConfiguration.Server(host: $0.entry.value, port: ports[$0.number] ?? RADIUSClientConfiguration.defaultPort) }
        let secretEntry = try reader.entry("secret")
        var names = try reader.string("pass_through_attr_names").map(RADIUSClientConfiguration.splitNameList) ?? []
        for name in extraPassThrough.names where !names.contains(where: { $0.lowercased() == name.lowercased() }) { names.append(name) }
        do {
            let configuration = try RADIUSClientConfiguration(
                servers: servers,
                secret: RADIUSSharedSecret(secretEntry?.value ?? ""),
                retries: try reader.int("retries", default: RADIUSClientConfiguration.defaultRetries, in: 0...20)!,
                retryWait: .seconds(try reader.int("retry_wait", default: 2, in: 1...60)!),
                nasIP: try reader.string("nas_ip"),
                passThroughAttributeNames: names,
                passThroughAll: try reader.bool("pass_through_all", default: false) || extraPassThrough.all,
                passwordCodec: try reader.string("pw_codec", default: "utf-8"),
                requireMessageAuthenticator: try reader.bool("require_message_authenticator", default: true))
            try reader.unknownKeys(valid: radiusClientKeys)
            warnings += configuration.warnings.map { "\(reader.path): [\(reader.section.name)] \($0)" }
            return configuration
        } catch let error as RADIUSClientConfigurationError {
            throw reader.error(key: error.key, error.diagnostic)
        } catch {
            throw reader.rethrown(error)
        }
    }

    static let adClientKeys = [
        "host", "host_N", "port", "transport", "auth_type", "bind_dn", "service_account_username", "service_account_password",
        "search_dn", "username_attribute", "at_attribute", "ldap_filter", "security_group_dn", "timeout", "ssl_ca_certs_file",
        "ssl_verify_hostname",
    ]

    private static func readADClient(_ reader: inout ConfigSectionReader, warnings: inout [String]) throws(ConfigError) -> ADClientConfiguration {
        let hosts = try reader.numbered("host", bareFirst: true).map(\.entry.value)
        let password = try reader.string("service_account_password").map { Password($0) }
        let configuration: ADClientConfiguration
        do {
            configuration = try ADClientConfiguration(
                section: reader.section.name,
                hosts: hosts,
                port: try reader.int("port", in: 1...65_535),
                transport: try reader.string("transport"),
                authType: try reader.string("auth_type"),
                bindDN: try reader.string("bind_dn"),
                serviceAccountUsername: try reader.string("service_account_username"),
                serviceAccountPassword: password,
                searchDN: try reader.string("search_dn"),
                usernameAttribute: try reader.string("username_attribute"),
                atAttribute: try reader.string("at_attribute"),
                ldapFilter: try reader.string("ldap_filter"),
                securityGroupDN: try reader.string("security_group_dn"),
                timeout: try reader.int("timeout", in: 0...600).map { .seconds($0) },
                sslCACertsFile: try reader.string("ssl_ca_certs_file"),
                sslVerifyHostname: try reader.entry("ssl_verify_hostname") == nil ? nil : try reader.bool("ssl_verify_hostname", default: true))
        } catch let error as ADClientConfigurationError {
            throw reader.error(key: error.key, error.diagnostic)
        } catch {
            throw reader.rethrown(error)
        }
        try reader.unknownKeys(valid: adClientKeys)
        warnings += configuration.warnings.map { "\(reader.path): [\(reader.section.name)] \($0)" }
        return configuration
    }

    static let localClientKeys = ["users_file", "minimum_pbkdf2_iterations", "minimum_scrypt_work"]

    private static func readLocalClient(_ reader: inout ConfigSectionReader) throws(ConfigError) -> LocalUsersClient.Configuration {
        let path = reader.resolvedPath(try reader.required("users_file", hint: "the users file; write its lines with twofold hash-password"))
        let floor = PasswordCostFloor(
            minimumPBKDF2Iterations: try reader.int("minimum_pbkdf2_iterations", default: PasswordCostFloor.owasp.minimumPBKDF2Iterations, in: 1...10_000_000)!,
            minimumScryptWork: try reader.int("minimum_scrypt_work", default: PasswordCostFloor.owasp.minimumScryptWork, in: 1...1_000_000_000)!)
        try reader.unknownKeys(valid: localClientKeys)
        return LocalUsersClient.Configuration(usersFile: path, costFloor: floor)
    }

    /// The Duo client of a server section: `skey`, `api_host`, `api_port`, `api_timeout`, with
    /// `[main]`'s trust roots and proxy.
    static func readDuo(
        _ reader: inout ConfigSectionReader, policy: SectionPolicy, main: Main, warnings: inout [String]
    ) throws(ConfigError) -> DuoClientConfiguration {
        let skey = try reader.required("skey", hint: "the secret key of this application in the Duo Admin Panel")
        let apiHost = try reader.required("api_host", hint: "the API hostname of this application, api-XXXXXXXX.duosecurity.com")
        var duo = DuoClientConfiguration(
            integrationKey: policy.integrationKey, secretKey: skey, apiHost: apiHost,
            apiPort: try reader.int("api_port", default: 443, in: 1...65_535)!,
            trustRoots: main.httpCACertsFile.map { .pemFile($0) } ?? .system)
        if let entry = try reader.entry("api_timeout") {
            guard let seconds = Int(entry.value), seconds >= 0, seconds <= 600 else {
                throw reader.error(entry, "'\(entry.value)' is not a number of seconds from 0 to 600")
            }
            if seconds == 0 {
                warnings.append("\(reader.path):\(entry.line): [\(reader.section.name)] api_timeout=0 means no timeout to the reference proxy; twofold keeps a finite one (\(DuoClientConfiguration.defaultAPITimeout))")
            } else {
                duo.apiTimeout = .seconds(seconds)
            }
        }
        duo.httpProxy = main.httpProxy
        return duo
    }

    static let radiusServerKeys = [
        "ikey", "skey", "api_host", "api_port", "api_timeout", "failmode", "factors", "delimiter", "allow_concat",
        "delimited_password_length", "exempt_username_N", "exempt_ou_N", "client", "radius_ip_N", "radius_secret_N", "port",
        "interface", "require_message_authenticator", "client_ip_attr", "pass_through_attr_names", "pass_through_all", "max_failed_primary_per_user",
        "max_failed_primary_per_address", "failed_primary_window", "max_pushes_per_user", "push_window", "max_challenge_answers",
        "join_pending_push_window", "match_username_suffix", "match_username_prefix", "match_nas_identifier", "match_attribute_N",
        "strip_realm",
    ]
    /// Keys only some section types take.
    static let challengeServerKeys = ["prompt_format", "enroll_challenge"]
    static let iframeServerKeys = ["type", "iframe_script_uri", "script_inject", "akey"]

    /// The `[radius_server_iframe]` types of the reference; twofold serves `juniper`.
    static let iframeTypes = [
        "array", "barracuda", "citrix", "citrix_netscaler", "citrix_netscaler_rfwebui", "f5", "f5_bigip", "fortinet", "juniper",
        "paloalto", "sonicwall_sra",
    ]

    /// `type`, `iframe_script_uri`, `script_inject` as the reference reads them, and twofold's
    /// `akey` (``readApplicationKey(_:stateKey:)``).
    private static func readWebPrompt(
        _ reader: inout ConfigSectionReader, integrationKey: String, secretKey: String, duo: DuoClientConfiguration, stateKey: [UInt8]?
    ) throws(ConfigError) -> WebPrompt {
        guard let typeEntry = try reader.entry("type") else {
            throw ConfigError(path: reader.path, line: reader.section.line, section: reader.section.name, key: "type", "is required",
                hint: "the device the Duo frame is shown on: type=juniper")
        }
        let type = typeEntry.value.lowercased()
        guard type == "juniper" else {
            throw reader.error(typeEntry, iframeTypes.contains(type) ? "'\(typeEntry.value)' is not supported by twofold yet" : "'\(typeEntry.value)' is no device type",
                hint: "twofold serves type=juniper; for other devices use [radius_server_challenge] or [radius_server_auto]")
        }
        let host = duo.apiPort == 443 ? duo.apiHost : "\(duo.apiHost):\(duo.apiPort)"
        let prompt = WebPrompt(
            secretKey: secretKey, applicationKey: try readApplicationKey(&reader, stateKey: stateKey), apiHost: host,
            scriptURI: try reader.string("iframe_script_uri") ?? WebPrompt.juniperScriptURI(apiHost: host),
            template: try reader.string("script_inject") ?? WebPrompt.juniperTemplate)
        try checkWebKeys(&reader, prompt, integrationKey: integrationKey)
        return prompt
    }

    /// `akey`, the Duo Web application key (40+ characters). When absent: derived from `[main]
    /// state_key` when set, so that every twofold sharing the key verifies the others' requests;
    /// else random for the life of the process.
    static func readApplicationKey(_ reader: inout ConfigSectionReader, stateKey: [UInt8]?) throws(ConfigError) -> String {
        if let entry = try reader.entry("akey") {
            guard entry.value.unicodeScalars.count >= DuoWeb.minimumApplicationKeyLength else {
                throw reader.error(entry, "is shorter than \(DuoWeb.minimumApplicationKeyLength) characters",
                    hint: "a random secret of 40 or more characters, e.g. from: openssl rand -hex 20")
            }
            return entry.value
        } else if let stateKey {
            // A challenge sealed with state_key may be answered on another twofold: its Duo Web
            // request must verify there, so every process derives the same application key.
            return StateSealer.derivedSecret(from: stateKey, purpose: "duo web akey [\(reader.section.name)]")
        } else {
            var generator = SystemRandomNumberGenerator()
            return (0..<20).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        }
    }

    /// Duo Web takes only keys of its lengths: say which one is wrong now rather than at a login.
    static func checkWebKeys(_ reader: inout ConfigSectionReader, _ prompt: WebPrompt, integrationKey: String) throws(ConfigError) {
        do {
            _ = try DuoWeb.signRequest(
                integrationKey: integrationKey, secretKey: prompt.secretKey, applicationKey: prompt.applicationKey, username: "check", now: 0)
        } catch {
            let key = error.kind == .invalidIntegrationKey ? "ikey" : error.kind == .invalidSecretKey ? "skey" : "akey"
            throw reader.error(key: key, "cannot sign a Duo Web request: \(error.diagnostic)")
        }
    }

    private static func readRADIUSServer(
        _ reader: inout ConfigSectionReader, mode: SectionPolicy.Mode, main: Main, clients: [String: Client], warnings: inout [String]
    ) throws(ConfigError) -> RADIUSServer {
        var policy = try SectionPolicy.read(&reader, mode: mode)
        let duo = try readDuo(&reader, policy: policy, main: main, warnings: &warnings)
        if mode == .iframe {
            policy.webPrompt = try readWebPrompt(
                &reader, integrationKey: policy.integrationKey, secretKey: duo.secretKey, duo: duo, stateKey: main.stateKey)
        }

        var clientName: String?
        if mode != .duoOnly {
            let entry = try reader.entry("client")
            let name = entry?.value.lowercased() ?? (clients.keys.count == 1 ? clients.keys.first! : "")
            guard clients[name] != nil else {
                let known = clients.keys.sorted().joined(separator: ", ")
                if let entry {
                    throw reader.error(entry, "names no client section", hint: known.isEmpty ? "add the [\(entry.value)] section" : "known: \(known)")
                }
                throw ConfigError(path: reader.path, line: reader.section.line, section: reader.section.name, key: "client", "is required",
                    hint: "the section that checks passwords, e.g. client=radius_client")
            }
            clientName = name
        } else if let entry = try reader.entry("client") {
            throw reader.error(entry, "a duo-only section has no primary", hint: "remove this line")
        }

        var radiusClients: [RADIUSServerSection.Client] = []
        var clientLines: [Int] = []
        let secrets = Dictionary(try reader.numbered("radius_secret").map { ($0.number, $0.entry) }, uniquingKeysWith: { first, _ in first })
        let addresses = try reader.numbered("radius_ip")
        guard !addresses.isEmpty else {
            throw ConfigError(path: reader.path, line: reader.section.line, section: reader.section.name, key: "radius_ip_1", "is required",
                hint: "the address of the device (VPN) that sends RADIUS requests, e.g. radius_ip_1=192.0.2.10")
        }
        for (number, entry) in addresses {
            let network: ClientNetwork
            do {
                network = try ClientNetwork.parse(entry.value)
            } catch {
                throw reader.error(entry, error.description)
            }
            guard let secret = secrets[number], !secret.value.isEmpty else {
                throw ConfigError(path: reader.path, line: entry.line, section: reader.section.name, key: "radius_secret_\(number)",
                    "is required for radius_ip_\(number)", hint: "the shared secret configured on that device")
            }
            if secret.value.count < 16 {
                warnings.append("\(reader.path):\(secret.line): [\(reader.section.name)] radius_secret_\(number) is shorter than 16 characters; RFC 2865 §3 asks for at least 16 (use a long random secret)")
            }
            radiusClients.append(.init(network: network, secret: Array(secret.value.utf8)))
            clientLines.append(entry.line)
        }
        for (number, entry) in secrets where !addresses.contains(where: { $0.number == number }) {
            throw reader.error(entry, "has no radius_ip_\(number)", hint: "each radius_secret_N goes with a radius_ip_N")
        }

        var clientIPAttribute = RADIUSAttributeType.callingStationID
        if let entry = try reader.entry("client_ip_attr") {
            guard let definition = RADIUSDictionary.standard.definition(named: entry.value), definition.vendor == 0 else {
                throw reader.error(entry, "'\(entry.value)' is not a standard RADIUS attribute", hint: "for example Calling-Station-Id or Framed-IP-Address")
            }
            clientIPAttribute = RADIUSAttributeType(definition.code)
        }

        var passThroughNames: [String] = []
        if let entry = try reader.entry("pass_through_attr_names") {
            passThroughNames = RADIUSClientConfiguration.splitNameList(entry.value)
            for name in passThroughNames where RADIUSDictionary.standard.definition(named: name) == nil {
                throw reader.error(entry, "'\(name)' is not an attribute of the dictionary", hint: "for example Class, Filter-Id, Framed-IP-Address")
            }
        }
        let passThroughAll = try reader.bool("pass_through_all", default: false)
        var usesRADIUSClient = false
        if let client = clientName, case .radius? = clients[client] { usesRADIUSClient = true }
        if (!passThroughNames.isEmpty || passThroughAll) && !usesRADIUSClient {
            warnings.append("\(reader.path): [\(reader.section.name)] pass_through_attr_names / pass_through_all only apply with a [radius_client] primary; ignored here")
        }

        let requireMessageAuthenticator = try reader.bool("require_message_authenticator", default: true)
        if !requireMessageAuthenticator {
            warnings.append("\(reader.path): [\(reader.section.name)] require_message_authenticator=false accepts requests without Message-Authenticator: such requests can be forged (BlastRADIUS, CVE-2024-3596); turn it back on once the device sends it")
        }
        let joinWindow = try reader.int(
            "join_pending_push_window", default: Int(RADIUSServerSection.defaultJoinPendingWindow.components.seconds), in: 0...300)!
        let rules = try readRealmRules(&reader)
        var server = RADIUSServer(
            policy: policy, duo: duo, client: clientName,
            interface: try reader.string("interface") ?? main.interface ?? "0.0.0.0",
            port: try reader.int("port", default: 1812, in: 1...65_535)!,
            clients: radiusClients, requireMessageAuthenticator: requireMessageAuthenticator, clientIPAttribute: clientIPAttribute,
            joinPendingWindow: .seconds(joinWindow), line: reader.section.line, passThroughNames: passThroughNames,
            passThroughAll: passThroughAll)
        server.clientLines = clientLines
        server.rules = rules
        let modeKeys = mode == .challenge ? challengeServerKeys : mode == .iframe ? iframeServerKeys : []
        try reader.unknownKeys(valid: radiusServerKeys + modeKeys)
        return server
    }
}
