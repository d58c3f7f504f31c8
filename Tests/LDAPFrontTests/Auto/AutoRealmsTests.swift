import LDAPWire
import Policy
import Testing

@testable import LDAPFront

/// The realm rules of `[ldap_server_auto]` sections sharing a listener.
struct AutoRealmsTests {
    static func dn(_ text: String) -> LDAPDN { try! LDAPDN(parsing: text) }

    static let realms = LDAPAutoRealms([
        .init(section: "ldap_server_auto", rules: .init(bindDNSuffix: dn("ou=staff,dc=example,dc=com"))),
        .init(section: "ldap_server_auto2", rules: .init(bindDNSuffix: dn("ou=contractors,dc=example,dc=com"))),
        .init(section: "ldap_server_auto3", rules: .init(usernameSuffix: "@partners.example.com")),
    ])

    static func realm(_ name: String, in realms: LDAPAutoRealms = realms) -> Int? {
        if case .realm(let index, _) = realms.route(bindName: name) { return index }
        return nil
    }

    @Test func theBindDNSuffixChoosesOnNormalizedDNs() {
        #expect(Self.realm("uid=alice,ou=staff,dc=example,dc=com") == 0)
        #expect(Self.realm("UID=alice, OU=Staff,DC=Example,DC=COM") == 0)
        #expect(Self.realm("uid=alice,ou=contractors,dc=example,dc=com") == 1)
        // A suffix is whole RDNs: `ou=evilstaff` is not below `ou=staff`.
        #expect(Self.realms.route(bindName: "uid=alice,ou=evilstaff,dc=example,dc=com") == .noRealmMatched)
        #expect(Self.realms.route(bindName: "uid=alice,ou=staff,dc=example,dc=org") == .noRealmMatched)
    }

    @Test func theUsernameSuffixMatchesTheLoginName() {
        #expect(Self.realm("alice@partners.example.com") == 2)
        #expect(Self.realm("ALICE@Partners.Example.COM") == 2)
        #expect(Self.realm("cn=alice@partners.example.com,dc=partners") == 2)
        #expect(Self.realms.route(bindName: "alice@evilpartners.example.com") == .noRealmMatched)
        #expect(Self.realms.route(bindName: "alice@partners.example.com@evil") == .noRealmMatched)
    }

    @Test func duoIsAskedAboutTheNameWithoutItsRealm() {
        let open = LDAPAutoRealms([.init(section: "ldap_server_auto")])
        func duo(_ name: String) -> String? {
            if case .realm(_, let identity) = open.route(bindName: name) { return identity.duoUsername }
            return nil
        }
        #expect(duo("cn=alice,ou=people,dc=example,dc=com") == "alice")
        #expect(duo("uid=bob+cn=Bob,dc=example,dc=com") == "bob")
        #expect(duo(#"CORP\alice"#) == "alice")
        #expect(duo("alice@corp.example.com") == "alice")
        #expect(duo("alice") == "alice")
        if case .invalidName = open.route(bindName: "alice\u{0}") {} else { Issue.record("a NUL in a name is refused") }
    }

    @Test func moreRulesWinThenFileOrderAndASectionWithoutRulesTakesTheRest() {
        let realms = LDAPAutoRealms([
            .init(section: "catch-all"),
            .init(section: "dn", rules: .init(bindDNSuffix: Self.dn("dc=example,dc=com"))),
            .init(section: "dn+suffix", rules: .init(bindDNSuffix: Self.dn("dc=example,dc=com"), usernameSuffix: "@x.example.com")),
        ])
        #expect(Self.realm("cn=a@x.example.com,dc=example,dc=com", in: realms) == 2)
        #expect(Self.realm("cn=a,dc=example,dc=com", in: realms) == 1)
        #expect(Self.realm("cn=a,dc=other", in: realms) == 0)
        #expect(Self.realm(#"CORP\a"#, in: realms) == 0)
    }

    @Test func sectionsWithTheSameRulesCannotBeToldApart() {
        #expect(LDAPAutoRealms.indistinguishable(Self.realms.realms.map(\.rules)) == nil)
        #expect(LDAPAutoRealms.indistinguishable([.init(), .init()])! == (0, 1))
        let clash = LDAPAutoRealms.indistinguishable([
            .init(bindDNSuffix: Self.dn("ou=a,dc=example,dc=com")), .init(usernameSuffix: "@b"),
            .init(bindDNSuffix: Self.dn("OU=A, DC=Example,DC=com")),
        ])
        #expect(clash! == (0, 2))
    }
}
