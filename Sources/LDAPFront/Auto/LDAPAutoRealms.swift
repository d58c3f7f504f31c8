import LDAPWire
import Policy

/// The `[ldap_server_auto]` sections of one listener, as the session state machine needs them:
/// which section a bind belongs to (the realm rules of `match_bind_dn_suffix` and
/// `match_username_suffix`), who the bind names for Duo, and each section's bind rules. Pure.
public struct LDAPAutoRealms: Sendable {
    /// One `[ldap_server_auto]` section.
    public struct Realm: Sendable {
        public var section: String
        public var rules: Rules
        public var options: Options

        public init(section: String, rules: Rules = Rules(), options: Options = Options()) {
            self.section = section
            self.rules = rules
            self.options = options
        }
    }

    /// What a bind must look like to belong to a section; all set rules must hold. A section
    /// without rules takes every bind that no section with rules took.
    public struct Rules: Sendable, Hashable {
        /// `match_bind_dn_suffix`: the bind name is a DN below (or equal to) this one, compared on
        /// normalized DNs (case-insensitive types and values, spaces as RFC 4514 allows).
        public var bindDNSuffix: LDAPDN?
        /// `match_username_suffix` (`@contractors.example.com`): the login name ends with it,
        /// case-insensitively. The login name is the first RDN's value of a DN, else the name as sent.
        public var usernameSuffix: String?

        public init(bindDNSuffix: LDAPDN? = nil, usernameSuffix: String? = nil) {
            self.bindDNSuffix = bindDNSuffix
            self.usernameSuffix = usernameSuffix
        }

        var count: Int { (bindDNSuffix == nil ? 0 : 1) + (usernameSuffix == nil ? 0 : 1) }

        /// The rules as compared for "cannot be told apart": normalized DN, lower-cased suffix.
        var comparable: [String?] { [bindDNSuffix?.normalized.description, usernameSuffix?.lowercased()] }
    }

    /// The reference's bind options of `[ldap_server_auto]`.
    public struct Options: Sendable, Hashable {
        /// `exempt_primary_bind` (default true): the first bind on a connection (the device's
        /// service account) is checked by the directory only, never by Duo.
        public var exemptPrimaryBind: Bool
        /// `allow_unlimited_binds` (default false): false closes the connection on any bind after
        /// the Duo-checked user bind succeeded.
        public var allowUnlimitedBinds: Bool
        /// `allow_searches_after_bind` (default true): false refuses searches after the
        /// Duo-checked user bind.
        public var allowSearchesAfterBind: Bool

        public init(exemptPrimaryBind: Bool = true, allowUnlimitedBinds: Bool = false, allowSearchesAfterBind: Bool = true) {
            self.exemptPrimaryBind = exemptPrimaryBind
            self.allowUnlimitedBinds = allowUnlimitedBinds
            self.allowSearchesAfterBind = allowSearchesAfterBind
        }
    }

    public let realms: [Realm]

    public init(_ realms: [Realm]) {
        self.realms = realms
    }

    public var isEmpty: Bool { realms.isEmpty }

    /// Where a bind goes.
    public enum Route: Sendable, Hashable {
        /// Section `index`; `identity` is who Duo is asked about.
        case realm(index: Int, identity: LoginIdentity)
        /// The name is no login name (empty, control characters, too long).
        case invalidName(reason: String)
        /// No section's rules hold: refused, never sent to a section that did not match.
        case noRealmMatched
    }

    /// Chooses the section of a simple bind with `name`: among the sections whose rules all hold,
    /// the one with more rules, then the first in file order.
    public func route(bindName name: String) -> Route {
        let dn = try? LDAPDN(parsing: name)
        guard let login = Self.loginName(bindName: name, dn: dn) else {
            return .invalidName(reason: "the bind DN's first RDN has no string value")
        }
        let identity: LoginIdentity
        do {
            identity = try LoginIdentity.parse(login)
        } catch {
            return .invalidName(reason: "\(error)")
        }
        var best: (index: Int, rules: Int)?
        for (index, realm) in realms.enumerated() where Self.matches(realm.rules, dn: dn, login: login) {
            if best == nil || realm.rules.count > best!.rules { best = (index, realm.rules.count) }
        }
        guard let best else { return .noRealmMatched }
        return .realm(index: best.index, identity: Self.duoIdentity(identity))
    }

    /// The login name of a bind: the first RDN's value of a DN (`cn=alice,ou=people,...` ->
    /// `alice`), else the name as sent (`CORP\alice`, `alice@corp.example.com`).
    static func loginName(bindName name: String, dn: LDAPDN?) -> String? {
        guard let dn else { return name }
        guard let first = dn.rdns.first?.attributes.first, case .string(let value) = first.value else { return nil }
        return value
    }

    /// Duo is asked about the name without its realm, as AD's sAMAccountName (the reference's
    /// default `username_format`) would be: `CORP\alice` and `alice@corp.example.com` are both
    /// `alice`. Logs, limits and exemptions keep the name as sent.
    static func duoIdentity(_ identity: LoginIdentity) -> LoginIdentity {
        identity.realm == nil ? identity : identity.strippingRealm()
    }

    static func matches(_ rules: Rules, dn: LDAPDN?, login: String) -> Bool {
        if let suffix = rules.bindDNSuffix {
            guard let dn, dn.hasSuffix(suffix) else { return false }
        }
        if let suffix = rules.usernameSuffix {
            guard login.lowercased().hasSuffix(suffix.lowercased()) else { return false }
        }
        return true
    }

    /// The first two sections (by index) that no bind could tell apart: the same rules.
    public static func indistinguishable(_ rules: [Rules]) -> (first: Int, second: Int)? {
        for second in rules.indices {
            for first in 0..<second where rules[first].comparable == rules[second].comparable {
                return (first, second)
            }
        }
        return nil
    }
}
