import LDAPFront
import LDAPWire
import Testing

@testable import Proxy

/// `[ldap_server_auto]` in authproxy.cfg: its options, defaults, realm rules and the checks of
/// sections sharing a port.
struct LDAPAutoConfigTests {
    static let directory = """
        [ad_client]
        host=127.0.0.1
        auth_type=plain
        bind_dn=cn=admin,dc=example,dc=com
        service_account_password=secret
        search_dn=dc=example,dc=com

        """

    static func auto(_ name: String = "ldap_server_auto", _ lines: String = "") -> String {
        "[\(name)]\nikey=DIAAAAAAAAAAAAAAAAAA\nskey=s\napi_host=h\nclient=ad_client\nport=10389\n\(lines)\n"
    }

    @Test func theReferenceOptionsAndDefaults() throws {
        let configuration = try TwofoldConfiguration.parse(Self.directory + Self.auto(), path: "/c.cfg")
        let server = try #require(configuration.ldapServers.first)
        let auto = try #require(server.auto)
        #expect(auto.client == "ad_client")
        #expect(auto.realm.options == LDAPAutoRealms.Options(exemptPrimaryBind: true, allowUnlimitedBinds: false, allowSearchesAfterBind: true))
        #expect(auto.realm.rules == LDAPAutoRealms.Rules())
        #expect(auto.networkTimeout == nil)
        #expect(server.policy.mode == .auto)
        #expect(server.port == 10389)

        let set = try TwofoldConfiguration.parse(Self.directory + Self.auto("ldap_server_auto", """
            exempt_primary_bind=false
            allow_unlimited_binds=true
            allow_searches_after_bind=false
            network_timeout=5
            exempt_ou_1=ou=Service Accounts,dc=example,dc=com
            delimiter=|
            allow_concat=false
            match_bind_dn_suffix=OU=Staff, DC=Example,DC=com
            match_username_suffix=@staff.example.com
            """), path: "/c.cfg")
        let other = try #require(set.ldapServers.first)
        #expect(other.auto?.realm.options == LDAPAutoRealms.Options(exemptPrimaryBind: false, allowUnlimitedBinds: true, allowSearchesAfterBind: false))
        #expect(other.auto?.networkTimeout == .seconds(5))
        #expect(other.auto?.realm.rules.bindDNSuffix == (try LDAPDN(parsing: "ou=staff,dc=example,dc=com")))
        #expect(other.auto?.realm.rules.usernameSuffix == "@staff.example.com")
        #expect(other.policy.exemptOrganizationalUnits.count == 1)
        #expect(other.policy.delimiter == "|")
        #expect(!other.policy.allowConcatenation)
    }

    static func error(_ text: String) -> String? {
        do {
            _ = try TwofoldConfiguration.parse(text, path: "/c.cfg")
            return nil
        } catch {
            return error.description
        }
    }

    @Test func errorsNameTheLineAndTheFix() {
        #expect(Self.error(Self.directory + Self.auto("ldap_server_auto", "exempt_primary_bnd=false"))?.hasPrefix("/c.cfg:13: [ldap_server_auto] exempt_primary_bnd: unknown option") == true)
        #expect(Self.error("[duo_only_client]\n" + Self.auto().replacingOccurrences(of: "client=ad_client", with: "client=duo_only_client"))
            == "/c.cfg:6: [ldap_server_auto] client: is not an [ad_client] section (add an [ad_client] section (the directory the LDAP operations go to) and client=ad_client)")
        #expect(Self.error(Self.directory + Self.auto("ldap_server_auto", "match_username_suffix=example.com"))?.hasPrefix("/c.cfg:13: [ldap_server_auto] match_username_suffix: 'example.com' is not a realm suffix") == true)
        #expect(Self.error(Self.directory + Self.auto("ldap_server_auto", "match_bind_dn_suffix=not a dn"))?.hasPrefix("/c.cfg:13: [ldap_server_auto] match_bind_dn_suffix: 'not a dn' is not a distinguished name") == true)
    }

    @Test func autoSectionsOnOnePortMustBeToldApart() {
        let two = Self.directory + Self.auto() + Self.auto("ldap_server_auto2")
        #expect(Self.error(two)?.hasPrefix("/c.cfg:14: [ldap_server_auto2] has the same match_* rules as [ldap_server_auto] on 0.0.0.0:10389") == true)
        let sameSuffix = Self.directory + Self.auto("ldap_server_auto", "match_bind_dn_suffix=ou=a,dc=example,dc=com")
            + Self.auto("ldap_server_auto2", "match_bind_dn_suffix=OU=A,DC=example,DC=com")
        #expect(Self.error(sameSuffix)?.contains("has the same match_* rules") == true)
        let apart = Self.directory + Self.auto("ldap_server_auto", "match_bind_dn_suffix=ou=a,dc=example,dc=com")
            + Self.auto("ldap_server_auto2", "match_bind_dn_suffix=ou=b,dc=example,dc=com") + Self.auto("ldap_server_auto3")
        #expect(Self.error(apart) == nil, "a section without rules takes the binds the others do not")
        // Duo-only and auto sections share a port: duo-only DNs go to the former, the rest to the latter.
        let mixed = Self.directory + Self.auto() + "[ldap_server_duo_only]\nikey=DIBBBBBBBBBBBBBBBBBB\nskey=s\napi_host=h\nport=10389\n"
        #expect(Self.error(mixed) == nil)
    }
}
