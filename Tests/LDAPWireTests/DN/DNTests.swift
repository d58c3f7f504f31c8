import Testing

@testable import LDAPWire

@Suite("LDAP DNs (RFC 4514)")
struct DNTests {
    @Test func duoIntegrationDNs() throws {
        let base = try LDAPDN(parsing: "dc=IKEY,dc=duosecurity,dc=com")
        let user = try LDAPDN(parsing: "cn=NAME,dc=IKEY,dc=duosecurity,dc=com")
        #expect(user.hasSuffix(base))
        #expect(!base.hasSuffix(user))
        #expect(user.parent == base)
        #expect(user.rdns.first?.value(of: "CN") == "NAME")
        #expect(base.rdns.first?.value(of: "dc") == "IKEY")
        #expect(user.hasSuffix(try LDAPDN(parsing: "DC=duosecurity, DC=COM")))
        #expect(user.hasSuffix(.root))
        #expect(!user.hasSuffix(try LDAPDN(parsing: "dc=OTHER,dc=duosecurity,dc=com")))
        #expect(user.description == "cn=NAME,dc=IKEY,dc=duosecurity,dc=com")
    }

    /// Trimmed, inner runs of spaces collapsed, case-folded: the ASCII pass agrees with the
    /// general definition, and non-ASCII values keep Unicode case folding.
    @Test func valuesNormalizeLikeCaseIgnoreMatch() {
        #expect(normalizeDNValue("  DIABC  Duo   Security ") == "diabc duo security")
        #expect(normalizeDNValue("ÉCOLE  Née") == "école née")
        for value in ["", " ", "   ", "a", " A", "B ", "J.  Smith", "tab\tHERE", "x y z", "Ünïcode  ÄÖ ", "MiXeD-09_~"] {
            let general = value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ").lowercased()
            #expect(normalizeDNValue(value) == general, "\(value.debugDescription)")
        }
    }

    @Test func rfc4514Examples() throws {
        let multi = try LDAPDN(parsing: "OU=Sales+CN=J.  Smith,DC=example,DC=net")
        #expect(multi.rdns.count == 3)
        #expect(multi.rdns[0].attributes.map(\.type) == ["OU", "CN"])
        #expect(multi.rdns[0].value(of: "cn") == "J.  Smith")
        #expect(multi == (try LDAPDN(parsing: "cn=j. smith+ou=sales,dc=example,dc=net")))
        let below = try LDAPDN(parsing: "uid=x,OU=Sales+CN=J.  Smith,DC=example,DC=net")
        #expect(below.hasSuffix(try LDAPDN(parsing: "cn=j. smith+ou=sales,dc=example,dc=net")))
        #expect(!below.hasSuffix(try LDAPDN(parsing: "cn=j. smith+ou=sales,dc=example,dc=org")))
        #expect(!below.hasSuffix(try LDAPDN(parsing: "cn=j. smith,dc=example,dc=net")))

        let escaped = try LDAPDN(parsing: "CN=James \\\"Jim\\\" Smith\\, III,DC=example,DC=net")
        #expect(escaped.rdns[0].value(of: "cn") == "James \"Jim\" Smith, III")
        #expect(escaped.description == "CN=James \\\"Jim\\\" Smith\\, III,DC=example,DC=net")

        let carriageReturn = try LDAPDN(parsing: "CN=Before\\0dAfter,DC=example,DC=net")
        #expect(carriageReturn.rdns[0].value(of: "cn") == "Before\rAfter")

        let ber = try LDAPDN(parsing: "1.3.6.1.4.1.1466.0=#04024869,DC=example,DC=com")
        #expect(ber.rdns[0].attributes[0] == .init(type: "1.3.6.1.4.1.1466.0", value: .ber([0x04, 0x02, 0x48, 0x69])))
        #expect(ber.description == "1.3.6.1.4.1.1466.0=#04024869,DC=example,DC=com")
        #expect(ber == (try LDAPDN(parsing: "1.3.6.1.4.1.1466.0=hi,dc=example,dc=com")))

        let utf8 = try LDAPDN(parsing: "CN=Lu\\C4\\8Di\\C4\\87")
        #expect(utf8.rdns[0].value(of: "cn") == "Lučić")
    }

    @Test func spacesAroundSeparatorsAndEscapedSpaces() throws {
        let spaced = try LDAPDN(parsing: "  cn = Alice  Liddell , ou = People ,dc=Example , dc=com  ")
        #expect(spaced.rdns.map(\.description) == ["cn=Alice  Liddell", "ou=People", "dc=Example", "dc=com"])
        #expect(spaced == (try LDAPDN(parsing: "cn=alice liddell,ou=people,dc=example,dc=com")))

        let kept = try LDAPDN(parsing: "cn=\\ padded\\ ,dc=com")
        #expect(kept.rdns[0].value(of: "cn") == " padded ")
        #expect(kept.description == "cn=\\ padded\\ ,dc=com")
        #expect(try LDAPDN(parsing: kept.description).rdns == kept.rdns)
        #expect(try LDAPDN(parsing: "cn=\\#1,dc=com").description == "cn=\\#1,dc=com")
    }

    @Test func normalisation() throws {
        let dn = try LDAPDN(parsing: "UID=Alice,OU=People,2.5.4.3=X")
        #expect(dn.normalized.description == "uid=alice,ou=people,2.5.4.3=x")
        #expect(dn != (try LDAPDN(parsing: "uid=alicia,ou=people,2.5.4.3=x")))
        #expect(Set([dn, try LDAPDN(parsing: "uid=ALICE, ou=PEOPLE, 2.5.4.3=x")]).count == 1)
        #expect(try LDAPDN(parsing: "") == .root)
        #expect(try LDAPDN(parsing: "   ").isEmpty)
        #expect(try LDAPDN(parsing: "cn=").rdns[0].value(of: "cn") == "")
    }

    @Test func descriptionRoundTrips() throws {
        for value in ["a,b", "a+b", "  lead", "trail ", "#hash", "q\"uote", "semi;colon", "<>", "back\\slash", "nul\u{0}", "é"] {
            let dn = LDAPDN(rdns: [.init(type: "cn", value: value), .init(type: "dc", value: "com")])
            let reparsed = try LDAPDN(parsing: dn.description)
            #expect(reparsed.rdns == dn.rdns, "\(value) -> \(dn.description)")
        }
    }

    @Test(arguments: [
        "cn", "cn=a,", ",cn=a", "=a", "cn=a,,dc=b", "cn=a;dc=b", "cn=a\"b", "cn=a<b", "cn=a\\", "cn=a\\x",
        "cn=a\\4", "cn=#", "cn=#abc", "cn=\\ff\\fe", "1cn=a", "1.=a", "1..2=a", "01.2=a", "7=a", "c_n=a", "cn=a+",
    ])
    func malformedDNsAreTypedErrors(string: String) {
        let error = #expect(throws: LDAPSyntaxError.self) { try LDAPDN(parsing: string) }
        #expect(error?.kind == .invalidDN, "\(string)")
        #expect(error?.resultCode == .invalidDNSyntax)
    }

    @Test func invalidUTF8IsRefused() {
        let error = #expect(throws: LDAPSyntaxError.self) { try LDAPDN(parsing: "cn=\\c3\\28") }
        #expect(error?.diagnostics == "value is not valid UTF-8")
    }
}
