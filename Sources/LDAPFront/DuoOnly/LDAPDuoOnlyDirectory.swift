import Crypto
import LDAPWire
import Policy

/// The virtual directory of the `[ldap_server_duo_only]` sections sharing one listener: Duo's
/// retired cloud LDAPS service for Juniper, as devices were configured for it.
///
/// Every integration is the subtree `dc=IKEY,dc=duosecurity,dc=com`. Its only DNs are the subtree
/// itself (the integration bind, with the secret key as password) and `cn=USER` below it (a user
/// bind, with the second factor as password). Pure: it classifies binds and answers searches; the
/// session state machine calls it and Policy decides user binds.
public struct LDAPDuoOnlyDirectory: Sendable {
    /// One `[ldap_server_duo_only]` section.
    public struct Integration: Sendable {
        public var section: String
        public var integrationKey: String
        /// `dc=IKEY,dc=duosecurity,dc=com`.
        public let baseDN: LDAPDN
        /// HMAC of the secret key under a per-process key: the integration bind compares MACs, so the
        /// comparison takes the same time whatever the password's length or first wrong byte.
        fileprivate let secretKeyMAC: [UInt8]

        fileprivate init(section: String, integrationKey: String, secretKey: [UInt8], macKey: SymmetricKey) {
            self.section = section
            self.integrationKey = integrationKey
            self.baseDN = LDAPDN(rdns: [LDAPDN.RDN(type: "dc", value: integrationKey)] + LDAPDuoOnlyDirectory.suffix.rdns)
            self.secretKeyMAC = Array(HMAC<SHA256>.authenticationCode(for: secretKey, using: macKey))
        }
    }

    /// `dc=duosecurity,dc=com`, under which every integration lives.
    public static let suffix = LDAPDN(rdns: [LDAPDN.RDN(type: "dc", value: "duosecurity"), LDAPDN.RDN(type: "dc", value: "com")])

    /// The attribute naming users: Juniper's filter is `cn=<USER>`.
    public static let userAttribute = "cn"

    public let integrations: [Integration]
    private let macKey: SymmetricKey

    /// - Parameter integrations: the sections' names, integration keys and secret keys, in file order.
    public init(integrations: [(section: String, integrationKey: String, secretKey: String)]) {
        let macKey = SymmetricKey(size: .bits256)
        self.macKey = macKey
        self.integrations = integrations.map {
            Integration(section: $0.section, integrationKey: $0.integrationKey, secretKey: Array($0.secretKey.utf8), macKey: macKey)
        }
    }

    /// What a simple bind with a name and a non-empty password is.
    public enum BindTarget: Sendable, Hashable {
        /// `dc=IKEY,...` with its secret key: the device's service bind.
        case integration(index: Int, dn: String)
        /// `cn=USER,dc=IKEY,...`: Policy decides, with the password as the factor.
        case user(index: Int, identity: LoginIdentity, dn: String)
        /// Anything else: a wrong secret key, an unknown IKEY, a DN outside the tree. The reason is
        /// for the log and never shows the password.
        case invalid(reason: String)
    }

    /// Classifies a simple bind. The password is only compared for integration binds.
    public func classifyBind(name: String, password: [UInt8]) -> BindTarget {
        guard let dn = try? LDAPDN(parsing: name) else { return .invalid(reason: "the bind DN is not a distinguished name") }
        guard let index = integrationIndex(containing: dn) else {
            return .invalid(reason: "the bind DN names no configured integration key")
        }
        let integration = integrations[index]
        switch dn.rdns.count - integration.baseDN.rdns.count {
        case 0:
            guard HMAC<SHA256>.isValidAuthenticationCode(integration.secretKeyMAC, authenticating: password, using: macKey) else {
                return .invalid(reason: "[\(integration.section)] integration bind with a wrong secret key")
            }
            return .integration(index: index, dn: integration.baseDN.description)
        case 1:
            guard let name = userName(in: dn.rdns[0]), let identity = try? LoginIdentity.parse(name) else {
                return .invalid(reason: "[\(integration.section)] the bind DN's first RDN is not cn=<user>")
            }
            return .user(index: index, identity: identity, dn: userDN(identity.raw, in: index))
        default:
            return .invalid(reason: "[\(integration.section)] the bind DN lies deeper than cn=<user>")
        }
    }

    /// The entry a device finds for a user: `cn=USER,dc=IKEY,dc=duosecurity,dc=com`.
    public func userDN(_ name: String, in index: Int) -> String {
        LDAPDN(rdns: [LDAPDN.RDN(type: Self.userAttribute, value: name)] + integrations[index].baseDN.rdns).description
    }

    /// Whether a bind name belongs to this directory: a DN in a configured integration's subtree.
    /// On a listener shared with `[ldap_server_auto]` sections, every other bind goes to those.
    public func holds(bindName: String) -> Bool {
        guard let dn = try? LDAPDN(parsing: bindName) else { return false }
        return integrationIndex(containing: dn) != nil
    }

    /// The integration whose subtree holds `dn`, if any.
    func integrationIndex(containing dn: LDAPDN) -> Int? {
        integrations.firstIndex { dn.hasSuffix($0.baseDN) }
    }

    private func userName(in rdn: LDAPDN.RDN) -> String? {
        guard rdn.attributes.count == 1 else { return nil }
        return rdn.value(of: Self.userAttribute)
    }

    // MARK: - Search

    /// The answer to a search by a session bound as integration `index`: at most one entry.
    ///
    /// Only a user named exactly is found (`(cn=alice)`, optionally and-ed with objectClass tests, or
    /// a base-scope search of `cn=alice,dc=IKEY,...`): wildcards, substrings and `or` find nobody, so
    /// the directory cannot be enumerated and no user list exists to leak.
    public func search(_ request: LDAPMessage.SearchRequest, boundTo index: Int) -> (entries: [LDAPMessage.SearchResultEntry], result: LDAPResult) {
        guard let base = try? LDAPDN(parsing: request.baseObject) else {
            return ([], LDAPResult(resultCode: .invalidDNSyntax, diagnosticMessage: "the search base is not a distinguished name"))
        }
        let integration = integrations[index]
        guard base.hasSuffix(integration.baseDN) else {
            return ([], LDAPResult(resultCode: .noSuchObject, diagnosticMessage: "the search base lies outside \(integration.baseDN)"))
        }
        let depth = base.rdns.count - integration.baseDN.rdns.count
        var name: String?
        switch (depth, request.scope) {
        case (0, .singleLevel), (0, .wholeSubtree):
            name = Self.named(in: request.filter)
        case (1, _):
            // The user's own entry, as a device may read it back after finding it.
            if let candidate = userName(in: base.rdns[0]) {
                let wanted = Self.named(in: request.filter)
                if wanted == nil ? Self.matchesAnyEntry(request.filter) : wanted == candidate { name = candidate }
            }
        case (0, .baseObject):
            name = nil
        default:
            return ([], LDAPResult(resultCode: .noSuchObject, matchedDN: integration.baseDN.description))
        }
        guard let name, let identity = try? LoginIdentity.parse(name) else {
            return ([], LDAPResult(resultCode: .success))
        }
        let attributes: [PartialAttribute]
        if Self.returnsUserAttribute(request.attributes) {
            attributes = [PartialAttribute(type: Self.userAttribute, values: request.typesOnly ? [] : [Array(identity.raw.utf8)])]
        } else {
            attributes = []
        }
        let entry = LDAPMessage.SearchResultEntry(objectName: userDN(identity.raw, in: index), attributes: attributes)
        return ([entry], LDAPResult(resultCode: .success))
    }

    /// The user a filter names exactly: `(cn=NAME)`, or an `and` of exactly one such test with
    /// objectClass tests (`(&(objectClass=*)(cn=NAME))`).
    static func named(in filter: LDAPFilter) -> String? {
        switch filter {
        case .equalityMatch(let assertion) where isUserAttribute(assertion.attributeDesc):
            return String(validating: assertion.assertionValue, as: UTF8.self)
        case .and(let parts):
            var found: String?
            for part in parts {
                if matchesAnyEntry(part) { continue }
                guard found == nil, let name = named(in: part) else { return nil }
                found = name
            }
            return found
        case .equalityMatch, .or, .not, .substrings, .greaterOrEqual, .lessOrEqual, .present, .approxMatch, .extensibleMatch:
            return nil
        }
    }

    /// Tests every entry passes: `(objectClass=*)`, `(objectClass=anything)`, `(&)`.
    static func matchesAnyEntry(_ filter: LDAPFilter) -> Bool {
        switch filter {
        case .present(let attribute): return attribute.lowercased() == "objectclass"
        case .equalityMatch(let assertion): return assertion.attributeDesc.lowercased() == "objectclass"
        case .and(let parts): return parts.allSatisfy(matchesAnyEntry)
        case .or, .not, .substrings, .greaterOrEqual, .lessOrEqual, .approxMatch, .extensibleMatch: return false
        }
    }

    private static func isUserAttribute(_ description: String) -> Bool {
        let lowered = description.lowercased()
        return lowered == "cn" || lowered == "commonname" || lowered == "2.5.4.3"
    }

    /// RFC 4511 §4.5.1.8: an empty list or `*` asks for all user attributes; `1.1` for none.
    private static func returnsUserAttribute(_ selection: [String]) -> Bool {
        if selection.isEmpty { return true }
        return selection.contains { $0 == "*" || isUserAttribute($0) }
    }
}
