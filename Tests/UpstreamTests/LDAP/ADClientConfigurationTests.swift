import LDAPWire
import Policy
import Testing
import Upstream

/// `[ad_client]` validation without a directory: defaults, and errors that name the key and say
/// what would be valid.
@Suite struct ADClientConfigurationTests {
    static func make(
        hosts: [String] = ["dc1.example.com"],
        port: Int? = nil,
        transport: String? = nil,
        authType: String? = "plain",
        bindDN: String? = "CN=svc,CN=Users,DC=example,DC=com",
        serviceAccountUsername: String? = nil,
        serviceAccountPassword: Password? = Password("svc-secret"),
        searchDN: String? = "DC=example,DC=com",
        usernameAttribute: String? = nil,
        atAttribute: String? = nil,
        ldapFilter: String? = nil,
        securityGroupDN: String? = nil,
        timeout: Duration? = nil
    ) throws(ADClientConfigurationError) -> ADClientConfiguration {
        try ADClientConfiguration(
            hosts: hosts, port: port, transport: transport, authType: authType, bindDN: bindDN,
            serviceAccountUsername: serviceAccountUsername, serviceAccountPassword: serviceAccountPassword,
            searchDN: searchDN, usernameAttribute: usernameAttribute, atAttribute: atAttribute, ldapFilter: ldapFilter,
            securityGroupDN: securityGroupDN, timeout: timeout)
    }

    /// The error `body` throws, or a recorded issue.
    static func error(_ body: () throws(ADClientConfigurationError) -> ADClientConfiguration) -> ADClientConfigurationError? {
        do throws(ADClientConfigurationError) {
            let configuration = try body()
            Issue.record("expected an error, got \(configuration)")
            return nil
        } catch {
            return error
        }
    }

    @Test func defaultsFollowTheReference() throws {
        let configuration = try Self.make(hosts: ["dc1", "dc2"])
        #expect(configuration.endpoints == [.init(host: "dc1", port: 389), .init(host: "dc2", port: 389)])
        #expect(configuration.transport == .clear)
        #expect(configuration.authType == .plain)
        #expect(configuration.usernameAttribute == "sAMAccountName")
        #expect(configuration.atAttribute == "userPrincipalName")
        #expect(configuration.timeout == .seconds(10))
        #expect(configuration.sslVerifyHostname)
        #expect(configuration.ldapFilter == nil)
        #expect(configuration.securityGroupDN == nil)
        #expect(configuration.warnings.isEmpty)
        #expect(configuration.section == "ad_client")
    }

    @Test func ldapsDefaultsToPort636AndTransportIsCaseInsensitive() throws {
        #expect(try Self.make(transport: "LDAPS").endpoints.first?.port == 636)
        #expect(try Self.make(transport: "starttls").endpoints.first?.port == 389)
        #expect(try Self.make(port: 3269, transport: "ldaps").endpoints.first?.port == 3269)
        #expect(try Self.make(transport: "starttls").transport == .startTLS)
    }

    @Test func ntlmIsRefusedWithAClearWayOut() {
        for value in ["ntlm2", "NTLM1", "sspi"] {
            let error = Self.error { () throws(ADClientConfigurationError) in try Self.make(authType: value) }
            #expect(error?.kind == .unsupported)
            #expect(error?.key == "auth_type")
            #expect(error?.description.contains("NTLM/SSPI is not supported yet") == true)
            #expect(error?.description.contains("auth_type=plain with bind_dn") == true)
        }
    }

    @Test func aMissingAuthTypeIsTheReferencesNTLM2() {
        let error = Self.error { () throws(ADClientConfigurationError) in try Self.make(authType: nil) }
        #expect(error?.kind == .unsupported)
        #expect(error?.description.contains("ntlm2") == true)
        #expect(error?.description.contains("auth_type=plain") == true)
    }

    @Test func anUnknownAuthTypeSaysWhatIsValid() {
        let error = Self.error { () throws(ADClientConfigurationError) in try Self.make(authType: "kerberos") }
        #expect(error?.kind == .invalidValue)
        #expect(error?.description == "[ad_client] auth_type: 'kerberos' is not an auth_type; the valid value is plain (ntlm1, ntlm2 and sspi are not supported yet)")
    }

    @Test func aMissingBindDNIsNamed() {
        let error = Self.error { () throws(ADClientConfigurationError) in
            try Self.make(bindDN: nil, serviceAccountUsername: "svc")
        }
        #expect(error?.kind == .missingKey)
        #expect(error?.key == "bind_dn")
        #expect(error?.description.contains("auth_type=plain binds as bind_dn") == true)
        #expect(error?.description.contains("service_account_username is the NTLM account name") == true)
    }

    @Test func aBadLDAPFilterIsNamedWithItsOffset() {
        let error = Self.error { () throws(ADClientConfigurationError) in try Self.make(ldapFilter: "(&(objectClass=user)") }
        #expect(error?.kind == .invalidValue)
        #expect(error?.key == "ldap_filter")
        #expect(error?.description.contains("is not an RFC 4515 filter") == true)
        #expect(error?.description.contains("offset") == true)
    }

    @Test func theLDAPFilterIsParsedOnce() throws {
        let configuration = try Self.make(ldapFilter: "(&(objectClass=user)(!(cn=guest)))")
        #expect(configuration.ldapFilter == .and([.equal("objectClass", "user"), .not(.equal("cn", "guest"))]))
    }

    @Test func emptyOrMissingRequiredValuesAreNamed() {
        let cases: [(String, () throws(ADClientConfigurationError) -> ADClientConfiguration)] = [
            ("host", { () throws(ADClientConfigurationError) in try Self.make(hosts: []) }),
            ("host_2", { () throws(ADClientConfigurationError) in try Self.make(hosts: ["dc1", " "]) }),
            ("service_account_password", { () throws(ADClientConfigurationError) in try Self.make(serviceAccountPassword: Password("")) }),
            ("service_account_password", { () throws(ADClientConfigurationError) in try Self.make(serviceAccountPassword: nil) }),
            ("search_dn", { () throws(ADClientConfigurationError) in try Self.make(searchDN: nil) }),
        ]
        for (key, body) in cases {
            let error = Self.error(body)
            #expect(error?.key == key)
            #expect(error?.kind == .missingKey)
        }
    }

    @Test func invalidValuesAreNamed() {
        let cases: [(String, () throws(ADClientConfigurationError) -> ADClientConfiguration)] = [
            ("transport", { () throws(ADClientConfigurationError) in try Self.make(transport: "tls") }),
            ("port", { () throws(ADClientConfigurationError) in try Self.make(port: 0) }),
            ("port", { () throws(ADClientConfigurationError) in try Self.make(port: 70000) }),
            ("host", { () throws(ADClientConfigurationError) in try Self.make(hosts: ["ldaps://dc1.example.com"]) }),
            ("host_3", { () throws(ADClientConfigurationError) in try Self.make(hosts: ["dc1", "dc2", "dc 3"]) }),
            ("bind_dn", { () throws(ADClientConfigurationError) in try Self.make(bindDN: "not a dn") }),
            ("search_dn", { () throws(ADClientConfigurationError) in try Self.make(searchDN: "DC=example,=com") }),
            ("security_group_dn", { () throws(ADClientConfigurationError) in try Self.make(securityGroupDN: "VPN Users") }),
            ("username_attribute", { () throws(ADClientConfigurationError) in try Self.make(usernameAttribute: "sAM Account") }),
            ("at_attribute", { () throws(ADClientConfigurationError) in try Self.make(atAttribute: "(mail)") }),
            ("timeout", { () throws(ADClientConfigurationError) in try Self.make(timeout: .seconds(301)) }),
            ("timeout", { () throws(ADClientConfigurationError) in try Self.make(timeout: .seconds(-1)) }),
        ]
        for (key, body) in cases {
            let error = Self.error(body)
            #expect(error?.key == key, "\(String(describing: error))")
            #expect(error?.kind == .invalidValue, "\(String(describing: error))")
        }
    }

    @Test func aURLAsHostSaysToUseTransport() {
        let error = Self.error { () throws(ADClientConfigurationError) in try Self.make(hosts: ["ldaps://dc1"]) }
        #expect(error?.description.contains("transport=ldaps") == true)
    }

    @Test func timeoutZeroKeepsAFiniteDefaultAndSaysSo() throws {
        let configuration = try Self.make(timeout: .zero)
        #expect(configuration.timeout == .seconds(10))
        #expect(configuration.warnings.count == 1)
        #expect(configuration.warnings.first?.contains("timeout=0") == true)
    }

    @Test func theSecurityGroupIsParsedAsADN() throws {
        let configuration = try Self.make(securityGroupDN: "CN=VPN Users,OU=Groups,DC=example,DC=com")
        #expect(configuration.securityGroupDN == (try LDAPDN(parsing: "cn=vpn users,ou=groups,dc=example,dc=com")))
    }

    @Test func errorsNeverContainThePassword() {
        let error = Self.error { () throws(ADClientConfigurationError) in
            try Self.make(authType: "ntlm2", serviceAccountPassword: Password("hunter2-secret"))
        }
        #expect(error?.description.contains("hunter2") == false)
    }

    @Test func anUnreadableCAFileIsNamed() throws {
        let configuration = try ADClientConfiguration(
            hosts: ["127.0.0.1"], transport: "ldaps", authType: "plain", bindDN: "cn=svc,dc=example,dc=com",
            serviceAccountPassword: Password("x"), searchDN: "dc=example,dc=com",
            sslCACertsFile: "/nonexistent/twofold-ca.pem")
        do throws(ADClientConfigurationError) {
            _ = try ADClient(configuration: configuration)
            Issue.record("expected an error")
        } catch {
            #expect(error.key == "ssl_ca_certs_file")
            #expect(error.kind == .unreadableFile)
            #expect(error.description.contains("/nonexistent/twofold-ca.pem"))
        }
    }
}
