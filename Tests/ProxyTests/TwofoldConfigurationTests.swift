import Foundation
import Policy
@testable import Proxy
import RADIUSFront
import RADIUSWire
import Testing

/// A whole authproxy.cfg as an administrator writes it, and the errors a typo gets.
@Suite struct TwofoldConfigurationTests {
    static let juniper = """
        [main]
        log_auth_events=true

        [radius_client]
        host=10.0.0.5
        host_2=10.0.0.6
        port_2=1645
        secret=upstream-secret-0123456789
        pass_through_attr_names=Class,Filter-Id

        [radius_server_auto]
        ikey=DIXXXXXXXXXXXXXXXXXX
        skey=deadbeefdeadbeefdeadbeefdeadbeefdeadbeef
        api_host=api-xxxxxxxx.duosecurity.com
        radius_ip_1=192.0.2.10
        radius_secret_1=juniper-secret-0123456789
        radius_ip_2=198.51.100.0/24
        radius_secret_2=other-secret-0123456789
        failmode=secure
        client=radius_client
        port=18120
        client_ip_attr=Framed-IP-Address
        """

    @Test func aJuniperConfiguration() throws {
        let configuration = try TwofoldConfiguration.parse(Self.juniper, path: "/etc/twofold/authproxy.cfg")
        #expect(configuration.main.logAuthEvents)
        guard case .radius(let upstream) = configuration.clients["radius_client"] else {
            Issue.record("the radius_client section is read")
            return
        }
        #expect(upstream.servers.map(\.description) == ["10.0.0.5:1812", "10.0.0.6:1645"])
        let server = try #require(configuration.radiusServers.first)
        #expect(server.policy.failmode == .secure)
        #expect(server.policy.integrationKey == "DIXXXXXXXXXXXXXXXXXX")
        #expect(server.duo.apiHost == "api-xxxxxxxx.duosecurity.com")
        #expect(server.duo.apiPort == 443)
        #expect(server.client == "radius_client")
        #expect(server.port == 18120)
        #expect(server.interface == "0.0.0.0")
        #expect(server.clients.map(\.network.description) == ["192.0.2.10", "198.51.100.0-198.51.100.255"])
        #expect(server.clientIPAttribute == .framedIPAddress)
        #expect(server.requireMessageAuthenticator)
        #expect(configuration.warnings.isEmpty)
    }

    static func error(_ text: String) -> String? {
        do {
            _ = try TwofoldConfiguration.parse(text, path: "/c.cfg")
            return nil
        } catch {
            return error.description
        }
    }

    @Test func errorsNameTheFileLineSectionKeyAndTheFix() {
        let server = "[duo_only_client]\n[radius_server_duo_only]\nikey=DI\nskey=s\napi_host=h\n"
        #expect(Self.error(server + "radius_ip_1=192.0.2.1\n") == "/c.cfg:6: [radius_server_duo_only] radius_secret_1: is required for radius_ip_1 (the shared secret configured on that device)")
        #expect(Self.error(server + "radius_ip_1=192.0.2.1\nradius_secret_1=0123456789abcdef\nradius_secret_2=x\n") == "/c.cfg:8: [radius_server_duo_only] radius_secret_2: has no radius_ip_2 (each radius_secret_N goes with a radius_ip_N)")
        #expect(Self.error(server + "radius_ip_1=192.0.2.1/24\nradius_secret_1=0123456789abcdef\n") == "/c.cfg:6: [radius_server_duo_only] radius_ip_1: '192.0.2.1/24' has host bits set; did you mean 192.0.2.0/24?")
        #expect(Self.error(server + "radius_ip_1=192.0.2.1\nradius_secret_1=0123456789abcdef\nfailmod=secure\n")?.hasPrefix("/c.cfg:8: [radius_server_duo_only] failmod: unknown option (check the spelling; this section takes ikey, skey") == true)
        #expect(Self.error(server + "radius_ip_1=192.0.2.1\nradius_secret_1=0123456789abcdef\nclient=duo_only_client\n") == "/c.cfg:8: [radius_server_duo_only] client: a duo-only section has no primary (remove this line)")
        #expect(Self.error("[radius_server_auto]\nikey=DI\nskey=s\napi_host=h\nclient=ad_client\nradius_ip_1=192.0.2.1\nradius_secret_1=0123456789abcdef\n") == "/c.cfg:5: [radius_server_auto] client: names no client section (add the [ad_client] section)")
        #expect(Self.error("[radius_srever_auto]\n")?.hasPrefix("/c.cfg:1: [radius_srever_auto] is not a section twofold knows") == true)
        #expect(Self.error("[radius_server_challenge]\nikey=DI\nprompt_format=fancy\n") == "/c.cfg:3: [radius_server_challenge] prompt_format: 'fancy' is not valid (choose one of console, html, short)")
        #expect(Self.error("[ldap_server_auto]\n")?.hasPrefix("/c.cfg:1: [ldap_server_auto] ikey: is required") == true)
        #expect(Self.error("[main]\ndebug=true\n") == "/c.cfg: has no server section, so twofold would serve nothing (add an [ldap_server_duo_only] section, or a [radius_server_auto] section with ikey, skey, api_host, client, radius_ip_1 and radius_secret_1)")
        #expect(Self.error("[radius_client]\nsecret=s\n[radius_server_auto]\n")?.hasPrefix("/c.cfg:1: [radius_client] host: ") == true)
    }

    static let iframe = """
        [duo_only_client]
        [radius_server_iframe]
        ikey=DIXXXXXXXXXXXXXXXXXX
        skey=deadbeefdeadbeefdeadbeefdeadbeefdeadbeef
        api_host=api-xxxxxxxx.duosecurity.com
        client=duo_only_client
        radius_ip_1=192.0.2.10
        radius_secret_1=juniper-secret-0123456789

        """

    @Test func stateKeyInlineOrFromAFile() throws {
        let server = "[duo_only_client]\n[radius_server_duo_only]\nikey=DI\nskey=s\napi_host=h\nradius_ip_1=192.0.2.1\nradius_secret_1=0123456789abcdef\n"
        #expect(try TwofoldConfiguration.parse(server, path: "/c.cfg").main.stateKey == nil)
        let inline = try TwofoldConfiguration.parse("[main]\nstate_key=0123456789abcdefXYZ\n" + server, path: "/c.cfg")
        #expect(inline.main.stateKey == Array("0123456789abcdefXYZ".utf8))

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("twofold-state-key-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "0123456789abcdefXYZ\n".write(to: folder.appendingPathComponent("state.key"), atomically: true, encoding: .utf8)
        let fromFile = try TwofoldConfiguration.parse("[main]\nstate_key_file=state.key\n" + server, path: folder.appendingPathComponent("c.cfg").path)
        #expect(fromFile.main.stateKey == Array("0123456789abcdefXYZ".utf8), "relative to the config file, newline dropped")

        #expect(Self.error("[main]\nstate_key=short\n" + server)
            == "/c.cfg:2: [main] state_key: is shorter than 16 characters (a long random secret, the same on every twofold that serves these clients, e.g. from: openssl rand -hex 32)")
        #expect(Self.error("[main]\nstate_key=0123456789abcdefXYZ\nstate_key_file=/k\n" + server)
            == "/c.cfg:2: [main] state_key: and state_key_file are both set (keep one of them)")
        #expect(Self.error("[main]\nstate_key_file=/nonexistent/state.key\n" + server)
            == "/c.cfg:2: [main] state_key_file: cannot read /nonexistent/state.key (check the path and that twofold may read it)")
    }

    @Test func anIframeSectionForJuniper() throws {
        let configuration = try TwofoldConfiguration.parse(Self.iframe + "type=Juniper\njoin_pending_push_window=0\n", path: "/c.cfg")
        let server = configuration.radiusServers[0]
        #expect(server.policy.mode == .iframe)
        #expect(server.joinPendingWindow == .zero)
        let prompt = try #require(server.policy.webPrompt)
        #expect(prompt.scriptURI == "https://api-xxxxxxxx.duosecurity.com/frame/hosted/Duo-Juniper-v1.js")
        #expect(prompt.applicationKey.count == 40)
        #expect(!"\(prompt)".contains(prompt.applicationKey) && !"\(prompt)".contains("deadbeef"))
        let custom = try TwofoldConfiguration.parse(
            Self.iframe + "type=juniper\nakey=0123456789012345678901234567890123456789xyz\niframe_script_uri=https://vpn.example/duo.js\n",
            path: "/c.cfg")
        #expect(custom.radiusServers[0].policy.webPrompt?.applicationKey == "0123456789012345678901234567890123456789xyz")
        #expect(custom.radiusServers[0].policy.webPrompt?.prompt(signedRequest: "SIG") == "<script src='https://vpn.example/duo.js'></script><script>Duo_Init('SIG', 'api-xxxxxxxx.duosecurity.com');</script>")

        // With state_key, every process derives the same application key (a sealed challenge may be
        // answered on another twofold); without it, each process makes its own.
        let shared = "[main]\nstate_key=the-key-every-twofold-here-shares\n"
        let derivedOnce = try TwofoldConfiguration.parse(shared + Self.iframe + "type=juniper\n", path: "/c.cfg")
        let derivedAgain = try TwofoldConfiguration.parse(shared + Self.iframe + "type=juniper\n", path: "/c.cfg")
        let derived = try #require(derivedOnce.radiusServers[0].policy.webPrompt?.applicationKey)
        #expect(derived.count == 64 && derived == derivedAgain.radiusServers[0].policy.webPrompt?.applicationKey)
        let randomOnce = try TwofoldConfiguration.parse(Self.iframe + "type=juniper\n", path: "/c.cfg")
        let randomAgain = try TwofoldConfiguration.parse(Self.iframe + "type=juniper\n", path: "/c.cfg")
        #expect(randomOnce.radiusServers[0].policy.webPrompt?.applicationKey != randomAgain.radiusServers[0].policy.webPrompt?.applicationKey)

        #expect(Self.error(Self.iframe) == "/c.cfg:2: [radius_server_iframe] type: is required (the device the Duo frame is shown on: type=juniper)")
        #expect(Self.error(Self.iframe + "type=f5\n") == "/c.cfg:9: [radius_server_iframe] type: 'f5' is not supported by twofold yet (twofold serves type=juniper; for other devices use [radius_server_challenge] or [radius_server_auto])")
        #expect(Self.error(Self.iframe + "type=juniper\nakey=short\n")?.hasPrefix("/c.cfg:10: [radius_server_iframe] akey: is shorter than 40 characters") == true)
        #expect(Self.error(Self.iframe.replacingOccurrences(of: "skey=deadbeefdeadbeefdeadbeefdeadbeefdeadbeef", with: "skey=short") + "type=juniper\n")
            == "/c.cfg:4: [radius_server_iframe] skey: cannot sign a Duo Web request: secret key has 5 characters, expected 40")
    }

    @Test func passThroughOnTheServerSectionGoesToItsRADIUSClient() throws {
        let text = Self.juniper.replacingOccurrences(of: "pass_through_attr_names=Class,Filter-Id\n", with: "")
            + "\npass_through_attr_names=Filter-Id,Juniper-Local-User-Name\n"
        let configuration = try TwofoldConfiguration.parse(text, path: "/c.cfg")
        guard case .radius(let upstream) = configuration.clients["radius_client"] else {
            Issue.record("the radius_client section is read")
            return
        }
        #expect(upstream.passThrough != .none)
        #expect("\(upstream.passThrough)".contains("Filter-Id"), "\(upstream.passThrough)")
        let all = try TwofoldConfiguration.parse(Self.juniper + "\npass_through_all=true\n", path: "/c.cfg")
        guard case .radius(let everything) = all.clients["radius_client"] else { return }
        #expect(everything.passThrough == .all)
        #expect(Self.error(Self.juniper + "\npass_through_attr_names=Not-An-Attribute\n")?.contains("'Not-An-Attribute' is not an attribute of the dictionary") == true)
    }

    @Test func weakSecretsAndLegacyOptionsAreWarnedAbout() throws {
        let configuration = try TwofoldConfiguration.parse("""
            [duo_only_client]
            [radius_server_duo_only]
            ikey=DI
            skey=s
            api_host=h
            radius_ip_1=192.0.2.1
            radius_secret_1=short
            require_message_authenticator=false
            api_timeout=0
            """, path: "/c.cfg")
        #expect(configuration.warnings.count == 3)
        #expect(configuration.warnings.contains { $0.contains("radius_secret_1 is shorter than 16 characters") })
        #expect(configuration.warnings.contains { $0.contains("BlastRADIUS") })
        #expect(configuration.warnings.contains { $0.contains("api_timeout=0 means no timeout") })
        #expect(configuration.radiusServers[0].duo.apiTimeout == .seconds(60))
        #expect(configuration.radiusServers[0].client == nil)
    }

    static let ldap = "[ldap_server_duo_only]\nikey=DIAAAAAAAAAAAAAAAAAA\nskey=s\napi_host=h\nssl_cert_path=/etc/twofold/ldap.pem\nssl_key_path=key.pem\n"

    @Test func anLDAPDuoOnlySection() throws {
        let configuration = try TwofoldConfiguration.parse(Self.ldap + "minimum_tls_version=1.3\nidle_timeout=60\nfailmode=secure\n", path: "/etc/twofold/authproxy.cfg")
        let server = try #require(configuration.ldapServers.first)
        #expect(server.policy.mode == .duoOnly)
        #expect(server.policy.failmode == .secure)
        #expect(server.port == 389 && server.sslPort == 636 && server.interface == "0.0.0.0")
        #expect(server.tls?.certificatePath == "/etc/twofold/ldap.pem")
        #expect(server.tls?.keyPath == "/etc/twofold/key.pem", "relative to the configuration file")
        #expect(server.tls?.minimumVersion == .tls13)
        #expect(server.idleTimeout == .seconds(60))
        #expect(server.endpoints.map(\.port) == [389, 636])
        #expect(configuration.warnings.isEmpty)

        let clear = try TwofoldConfiguration.parse("[ldap_server_duo_only]\nikey=DI\nskey=s\napi_host=h\nport=10389\n", path: "/c.cfg")
        #expect(clear.ldapServers[0].endpoints.map(\.port) == [10389], "no LDAPS without a certificate")
        #expect(clear.warnings.contains { $0.contains("served in the clear") })
    }

    @Test func ldapSectionErrors() {
        #expect(Self.error(Self.ldap + "minimum_tls_version=1.1\n") == "/c.cfg:7: [ldap_server_duo_only] minimum_tls_version: '1.1' is not valid (choose one of 1.2, 1.3)")
        #expect(Self.error("[ldap_server_duo_only]\nikey=DI\nskey=s\napi_host=h\ncipher_list=HIGH\n") == "/c.cfg:5: [ldap_server_duo_only] cipher_list: needs ssl_cert_path and ssl_key_path (add them, or remove this line)")
        #expect(Self.error(Self.ldap + "ssl_port=389\n") == "/c.cfg:1: [ldap_server_duo_only] ssl_port: is the same as port (389) (LDAPS and clear LDAP need their own ports, 636 and 389 by default)")
        #expect(Self.error(Self.ldap + "client=duo_only_client\n") == "/c.cfg:7: [ldap_server_duo_only] client: an ldap_server_duo_only section has no primary (remove this line)")
        #expect(Self.error(Self.ldap + "radius_ip_1=192.0.2.1\n")?.hasPrefix("/c.cfg:7: [ldap_server_duo_only] radius_ip_1: unknown option") == true)
        // Two sections on one port: different TLS settings, or the same IKEY, cannot be told apart.
        let second = "[ldap_server_duo_only2]\nikey=DIBBBBBBBBBBBBBBBBBB\nskey=t\napi_host=h\n"
        #expect(Self.error(Self.ldap + second)?.hasPrefix("/c.cfg:7: [ldap_server_duo_only2] shares 0.0.0.0:389 with [ldap_server_duo_only] but not its TLS settings") == true)
        let sameKey = Self.ldap + second.replacingOccurrences(of: "DIBBBBBBBBBBBBBBBBBB", with: "DIAAAAAAAAAAAAAAAAAA") + "ssl_cert_path=/etc/twofold/ldap.pem\nssl_key_path=key.pem\n"
        #expect(Self.error(sameKey)?.hasPrefix("/c.cfg:7: [ldap_server_duo_only2] ikey: is also the ikey of [ldap_server_duo_only]") == true, "\(Self.error(sameKey) ?? "")")
        let fine = Self.ldap + second + "ssl_cert_path=/etc/twofold/ldap.pem\nssl_key_path=key.pem\n"
        #expect(Self.error(fine) == nil)
    }

    @Test func logRotationAndSyslog() throws {
        let section = "[radius_server_duo_only]\nikey=DI\nskey=s\napi_host=h\nradius_ip_1=192.0.2.1\nradius_secret_1=shared-secret-0123456789\n"
        #expect(try TwofoldConfiguration.parse(section, path: "/c.cfg").main.logLimits == .init(maximumSize: 10_485_760, maximumFiles: 6))
        let set = try TwofoldConfiguration.parse("[main]\nlog_max_size=1048576\nlog_max_files=10\nlog_syslog=true\nsyslog_facility=auth\n" + section, path: "/c.cfg")
        #expect(set.main.logLimits == .init(maximumSize: 1_048_576, maximumFiles: 10))
        #expect(set.warnings.contains { $0.hasPrefix("/c.cfg:1: [main] log_syslog: twofold does not write to syslog") })
        #expect(Self.error("[main]\nlog_max_files=0\n" + section)?.hasPrefix("/c.cfg:2: [main] log_max_files:") == true)
    }

    @Test func metricsListen() throws {
        let section = "[radius_server_duo_only]\nikey=DI\nskey=s\napi_host=h\nradius_ip_1=192.0.2.1\nradius_secret_1=shared-secret-0123456789\n"
        #expect(try TwofoldConfiguration.parse("[main]\nmetrics_listen=[::1]:9100\n" + section, path: "/c.cfg").main.metricsListen
            == HostAndPort("[::1]:9100"))
        #expect(try TwofoldConfiguration.parse(section, path: "/c.cfg").main.metricsListen == nil)
        for bad in ["9100", "::1:9100", "host:99999", "host:"] {
            #expect(Self.error("[main]\nmetrics_listen=\(bad)\n" + section)
                == "/c.cfg:2: [main] metrics_listen: '\(bad)' is not HOST:PORT (the address for Prometheus and health checks, e.g. 127.0.0.1:9100 or [::1]:9100)")
        }
    }

    /// The Duo Web response as a bind password: on with Duo's key lengths (akey random, derived
    /// from state_key, or set); keys it cannot sign with are an error only when akey is set.
    @Test func ldapConnectionCaps() throws {
        #expect(try TwofoldConfiguration.parse(Self.ldap, path: "/c.cfg").ldapServers[0].connectionLimits == .init(connections: 4_096, connectionsPerAddress: 512))
        let set = try TwofoldConfiguration.parse(Self.ldap + "max_connections=100\nmax_connections_per_address=20\n", path: "/c.cfg")
        #expect(set.ldapServers[0].connectionLimits == .init(connections: 100, connectionsPerAddress: 20))
        #expect(try TwofoldConfiguration.parse(Self.ldap + "max_connections=100\n", path: "/c.cfg").ldapServers[0].connectionLimits.connectionsPerAddress == 100)
        #expect(Self.error(Self.ldap + "max_connections=10\nmax_connections_per_address=20\n")
            == "/c.cfg:8: [ldap_server_duo_only] max_connections_per_address: is 20, more than max_connections (10); make it at most that")
        let second = "[ldap_server_duo_only2]\nikey=DIBBBBBBBBBBBBBBBBBB\nskey=t\napi_host=h\nssl_cert_path=/etc/twofold/ldap.pem\nssl_key_path=key.pem\n"
        #expect(Self.error(Self.ldap + "max_connections=100\n" + second)?.hasPrefix(
            "/c.cfg:8: [ldap_server_duo_only2] shares 0.0.0.0:389 with [ldap_server_duo_only] but not its idle_timeout, max_connections or max_connections_per_address") == true)
    }

    @Test func ldapDuoWebApplicationKey() throws {
        let keys = "[ldap_server_duo_only]\nikey=DIAAAAAAAAAAAAAAAAAA\nskey=\(String(repeating: "s", count: 40))\napi_host=h\nport=10389\n"
        let random = try TwofoldConfiguration.parse(keys, path: "/c.cfg").ldapServers[0].policy.webPrompt
        #expect(random?.applicationKey.count == 40 && random?.template == WebPrompt.signedRequestTemplate)
        let akey = String(repeating: "a", count: 40)
        #expect(try TwofoldConfiguration.parse(keys + "akey=\(akey)\n", path: "/c.cfg").ldapServers[0].policy.webPrompt?.applicationKey == akey)
        let stateKey = "[main]\nstate_key=0123456789abcdef0123\n"
        let derived = try TwofoldConfiguration.parse(stateKey + keys, path: "/c.cfg").ldapServers[0].policy.webPrompt?.applicationKey
        let again = try TwofoldConfiguration.parse(stateKey + keys, path: "/c.cfg").ldapServers[0].policy.webPrompt?.applicationKey
        #expect(derived != nil && derived == again, "every twofold sharing state_key derives the same akey")

        #expect(Self.error(keys + "akey=short\n") == "/c.cfg:6: [ldap_server_duo_only] akey: is shorter than 40 characters (a random secret of 40 or more characters, e.g. from: openssl rand -hex 20)")
        #expect(try TwofoldConfiguration.parse("[ldap_server_duo_only]\nikey=DI\nskey=s\napi_host=h\nport=10389\n", path: "/c.cfg").ldapServers[0].policy.webPrompt == nil)
        #expect(Self.error("[ldap_server_duo_only]\nikey=DI\nskey=s\napi_host=h\nport=10389\nakey=\(akey)\n")?.hasPrefix("/c.cfg:2: [ldap_server_duo_only] ikey: cannot sign a Duo Web request") == true)
    }
}
