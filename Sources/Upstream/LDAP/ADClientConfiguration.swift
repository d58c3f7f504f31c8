import LDAPWire
import NIOCore
import Policy

/// `[ad_client]`: primary authentication against Active Directory or any LDAPv3 directory, with
/// the reference proxy's option names and defaults.
///
/// The flow (see ``ADClient``): bind as `bind_dn` with `service_account_password`, search `search_dn`
/// for the one entry whose `username_attribute` (or `at_attribute` for `user@domain`) is the login
/// name, check `security_group_dn`, then bind as that entry with the user's password.
///
/// Built by a validating initializer from values the INI layer has already read; every error names
/// the key and says what would be valid (``ADClientConfigurationError``).
public struct ADClientConfiguration: Sendable {
    /// How the connection to the directory is protected (`transport`).
    public enum Transport: String, Sendable, Hashable, CaseIterable {
        /// Plain LDAP on 389: passwords cross the network readable. For lab use or an IPsec'd link.
        case clear
        /// LDAP inside TLS from the first byte (636).
        case ldaps
        /// Plain LDAP on 389 upgraded with the StartTLS extended operation (RFC 4511 §4.14) before
        /// the first bind.
        case startTLS = "starttls"

        /// 389, or 636 for LDAPS.
        public var defaultPort: Int { self == .ldaps ? 636 : 389 }
        var usesTLS: Bool { self != .clear }
    }

    /// `auth_type`. Only `plain` (a simple bind, RFC 4513 §5.1.3) is implemented.
    public enum AuthType: String, Sendable, Hashable {
        case plain
    }

    /// One directory server: a name or address and the section's port.
    public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        /// `host:port`, with brackets around an IPv6 address.
        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// The section name (`ad_client`, `ad_client2`, ...), for errors, logs and auth events.
    public var section: String
    /// `host`, `host_2`, `host_3`, ... in that order: tried one after the other until one answers.
    public var endpoints: [Endpoint]
    public var transport: Transport
    public var authType: AuthType
    /// `bind_dn`: the service account that searches for users.
    public var bindDN: String
    /// `service_account_password`: the service account's password. Never printed.
    public var serviceAccountPassword: Password
    /// `search_dn`: the base of the subtree search for users.
    public var searchDN: String
    /// `username_attribute`: the attribute that holds a plain login name (default `sAMAccountName`).
    public var usernameAttribute: String
    /// `at_attribute`: the attribute that holds a login name with an `@` (default `userPrincipalName`).
    public var atAttribute: String
    /// `ldap_filter`: an RFC 4515 filter every user must also match, parsed once.
    public var ldapFilter: LDAPFilter?
    /// `security_group_dn`: the group a user must be a member of, parsed once.
    public var securityGroupDN: LDAPDN?
    /// `timeout`: the deadline of each step (connect, TLS handshake, each LDAP operation).
    public var timeout: Duration
    /// `ssl_ca_certs_file`: PEM trust roots for LDAPS / StartTLS; nil trusts the system's roots.
    public var sslCACertsFile: String?
    /// `ssl_verify_hostname`: whether the server's certificate must name the host connected to.
    public var sslVerifyHostname: Bool
    /// Settings that were accepted with a changed meaning (e.g. `timeout=0`), for the log at startup.
    public var warnings: [String]

    /// The reference's `timeout` default: 10 seconds for each step.
    public static let defaultTimeout: Duration = .seconds(10)
    /// The longest accepted `timeout`. A login waits for at most this per step and host.
    public static let maximumTimeout: Duration = .seconds(300)
    public static let defaultUsernameAttribute = "sAMAccountName"
    public static let defaultAtAttribute = "userPrincipalName"

    /// Validates the values of an `[ad_client]` section.
    ///
    /// Pass nil for a key that is absent; defaults follow the reference proxy, except that
    /// `timeout=0` (no timeout in the reference) keeps the finite default and adds a warning.
    /// - Parameters:
    ///   - hosts: `host`, `host_2`, `host_3`, ... in order.
    ///   - authType: `auth_type` as written; absent means the reference's default `ntlm2`, which is
    ///     refused until NTLM exists.
    ///   - serviceAccountUsername: `service_account_username`, the NTLM account name. `auth_type=plain`
    ///     never uses it; it only improves the message when `bind_dn` is missing.
    public init(
        section: String = "ad_client",
        hosts: [String],
        port: Int? = nil,
        transport: String? = nil,
        authType: String?,
        bindDN: String?,
        serviceAccountUsername: String? = nil,
        serviceAccountPassword: Password?,
        searchDN: String?,
        usernameAttribute: String? = nil,
        atAttribute: String? = nil,
        ldapFilter: String? = nil,
        securityGroupDN: String? = nil,
        timeout: Duration? = nil,
        sslCACertsFile: String? = nil,
        sslVerifyHostname: Bool? = nil
    ) throws(ADClientConfigurationError) {
        self.section = section
        self.warnings = []

        self.authType = try Self.authType(authType, section: section)

        // transport before port: the default port depends on it.
        if let transport, !transport.isEmpty {
            guard let parsed = Transport(rawValue: transport.lowercased()) else {
                throw .invalid(
                    "transport", in: section,
                    "'\(transport)' is not a transport; use clear, ldaps or starttls")
            }
            self.transport = parsed
        } else {
            self.transport = .clear
        }

        let resolvedPort = port ?? self.transport.defaultPort
        guard (1...65535).contains(resolvedPort) else {
            throw .invalid("port", in: section, "\(resolvedPort) is not a TCP port; use 1...65535 (389 for LDAP, 636 for LDAPS)")
        }

        guard !hosts.isEmpty else {
            throw .missing("host", in: section, "no directory server is configured; set host (and host_2, host_3, ... for failover)")
        }
        var endpoints: [Endpoint] = []
        for (index, host) in hosts.enumerated() {
            let key = index == 0 ? "host" : "host_\(index + 1)"
            endpoints.append(Endpoint(host: try Self.hostName(host, key: key, section: section), port: resolvedPort))
        }
        self.endpoints = endpoints

        guard let bindDN, !bindDN.isEmpty else {
            var diagnostic = "auth_type=plain binds as bind_dn; set it to the service account's DN (e.g. CN=svc-duo,CN=Users,DC=example,DC=com)"
            if serviceAccountUsername != nil {
                diagnostic += ". service_account_username is the NTLM account name and is not used by auth_type=plain"
            }
            throw .missing("bind_dn", in: section, diagnostic)
        }
        try Self.validateDN(bindDN, key: "bind_dn", section: section)
        self.bindDN = bindDN

        // An empty password with a DN is an "unauthenticated bind" (RFC 4513 §5.1.2): some servers
        // answer success without checking anything, so it is refused here.
        guard let serviceAccountPassword, !serviceAccountPassword.isEmpty else {
            throw .missing(
                "service_account_password", in: section,
                "the password of bind_dn is required; an empty password would be an unauthenticated bind (RFC 4513 §5.1.2)")
        }
        self.serviceAccountPassword = serviceAccountPassword

        guard let searchDN, !searchDN.isEmpty else {
            throw .missing("search_dn", in: section, "set it to the DN under which users are searched (e.g. DC=example,DC=com)")
        }
        try Self.validateDN(searchDN, key: "search_dn", section: section)
        self.searchDN = searchDN

        self.usernameAttribute = try Self.attribute(
            usernameAttribute, default: Self.defaultUsernameAttribute, key: "username_attribute", section: section)
        self.atAttribute = try Self.attribute(
            atAttribute, default: Self.defaultAtAttribute, key: "at_attribute", section: section)

        if let ldapFilter, !ldapFilter.isEmpty {
            do throws(LDAPSyntaxError) {
                self.ldapFilter = try LDAPFilter(parsing: ldapFilter)
            } catch {
                throw .invalid(
                    "ldap_filter", in: section,
                    "'\(ldapFilter)' is not an RFC 4515 filter: \(error.diagnostics) at offset \(error.offset); write e.g. (objectClass=user) or (&(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))"
                )
            }
        } else {
            self.ldapFilter = nil
        }

        if let securityGroupDN, !securityGroupDN.isEmpty {
            do throws(LDAPSyntaxError) {
                self.securityGroupDN = try LDAPDN(parsing: securityGroupDN)
            } catch {
                throw .invalid(
                    "security_group_dn", in: section,
                    "'\(securityGroupDN)' is not a DN: \(error.diagnostics); write e.g. CN=VPN Users,OU=Groups,DC=example,DC=com")
            }
        } else {
            self.securityGroupDN = nil
        }

        switch timeout {
        case nil:
            self.timeout = Self.defaultTimeout
        case .some(let value) where value == .zero:
            self.timeout = Self.defaultTimeout
            warnings.append(
                "[\(section)] timeout=0 means no timeout in the reference proxy; twofold keeps \(Self.defaultTimeout) per step so that a hung directory cannot hold logins forever")
        case .some(let value):
            guard value > .zero, value <= Self.maximumTimeout else {
                throw .invalid("timeout", in: section, "\(value) is out of range; use 1 to 300 seconds (default 10)")
            }
            self.timeout = value
        }

        if let sslCACertsFile, !sslCACertsFile.isEmpty {
            self.sslCACertsFile = sslCACertsFile
        } else {
            self.sslCACertsFile = nil
        }
        self.sslVerifyHostname = sslVerifyHostname ?? true
        if self.transport == .clear, self.sslCACertsFile != nil {
            warnings.append("[\(section)] ssl_ca_certs_file is set but transport=clear: no TLS is used and passwords cross the network readable")
        }
    }

    // MARK: - The user search filter

    /// The filter that finds `username`'s entry, built as a tree: the name is an assertion value,
    /// never filter syntax, so `*`, `)(`, `\` or NUL match only themselves (RFC 4511 §4.5.1.7).
    ///
    /// - A plain name `alice`: `(username_attribute=alice)`.
    /// - A name with `@`, `alice@example.com`: `(at_attribute=alice@example.com)` only.
    ///   The reference proxy also matches `(username_attribute=alice)`, so that `alice@anything`
    ///   finds alice; twofold does not, because then one account answers to unlimited names and the
    ///   name Duo sees can differ from the account that was checked. Users whose UPN suffix differs
    ///   from what they type can set `at_attribute` to an attribute that holds what they type (mail).
    ///
    /// `ldap_filter`, when set, is ANDed in: `(&(name filter)(ldap_filter))`.
    public func userFilter(for username: String) -> LDAPFilter {
        let nameFilter: LDAPFilter =
            username.utf8.contains(UInt8(ascii: "@"))
            ? .equal(atAttribute, username)
            : .equal(usernameAttribute, username)
        guard let ldapFilter else { return nameFilter }
        return .and([nameFilter, ldapFilter])
    }

    /// The attributes a user search asks for: those the group check reads, or none at all
    /// (`1.1`, RFC 4511 §4.5.1.8) when no group is required.
    public var userSearchAttributes: [String] {
        securityGroupDN == nil ? [Self.noAttributes] : ["memberOf", "primaryGroupID"]
    }

    /// "A list containing only the OID "1.1" indicates that no attributes are to be returned."
    static let noAttributes = "1.1"

    // MARK: - Validation helpers

    private static func authType(_ value: String?, section: String) throws(ADClientConfigurationError) -> AuthType {
        let advice = "set auth_type=plain with bind_dn and service_account_password"
        guard let value, !value.isEmpty else {
            throw ADClientConfigurationError(
                .unsupported, section: section, key: "auth_type",
                diagnostic: "not set, which means ntlm2 in the reference proxy; NTLM/SSPI is not supported yet: \(advice)")
        }
        switch value.lowercased() {
        case "plain":
            return .plain
        case "ntlm1", "ntlm2", "sspi":
            throw ADClientConfigurationError(
                .unsupported, section: section, key: "auth_type",
                diagnostic: "\(value): NTLM/SSPI is not supported yet; \(advice)")
        default:
            throw .invalid("auth_type", in: section, "'\(value)' is not an auth_type; the valid value is plain (ntlm1, ntlm2 and sspi are not supported yet)")
        }
    }

    private static func hostName(_ value: String, key: String, section: String) throws(ADClientConfigurationError) -> String {
        let host = value.trimmingASCIISpaces
        guard !host.isEmpty else {
            throw .missing(key, in: section, "empty; set a host name or IP address of a directory server")
        }
        if host.contains("://") {
            throw .invalid(key, in: section, "'\(host)' is a URL; write only the host name and choose the protocol with transport=ldaps or transport=starttls and the port with port")
        }
        let allowed = host.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: ":"),
                UInt8(ascii: "_"), UInt8(ascii: "%"):
                return true
            default:
                return false
            }
        }
        guard allowed else {
            throw .invalid(key, in: section, "'\(host)' is not a host name or IP address")
        }
        return host
    }

    private static func validateDN(_ value: String, key: String, section: String) throws(ADClientConfigurationError) {
        do throws(LDAPSyntaxError) {
            _ = try LDAPDN(parsing: value)
        } catch {
            throw .invalid(key, in: section, "'\(value)' is not a DN: \(error.diagnostics); write e.g. CN=svc-duo,CN=Users,DC=example,DC=com")
        }
    }

    /// An AttributeDescription (RFC 4512 §2.5): a name (`sAMAccountName`) or OID, options after `;`.
    private static func attribute(
        _ value: String?, default defaultValue: String, key: String, section: String
    ) throws(ADClientConfigurationError) -> String {
        guard let value, !value.isEmpty else { return defaultValue }
        let bytes = Array(value.utf8)
        let valid =
            bytes.first.map { isAlphanumeric($0) } == true
            && bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: ";") }
        guard valid else {
            throw .invalid(key, in: section, "'\(value)' is not an attribute name; write e.g. \(defaultValue)")
        }
        return value
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return false
        }
    }
}

extension String {
    fileprivate var trimmingASCIISpaces: String {
        let bytes = utf8
        guard let start = bytes.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }) else { return "" }
        let end = bytes.lastIndex(where: { $0 != 0x20 && $0 != 0x09 })!
        return String(self[start...end])
    }
}
