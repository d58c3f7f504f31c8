import Testing

@testable import LDAPWire

@Suite("LDAP filter strings (RFC 4515)")
struct FilterStringTests {
    @Test func escapeFilterValueNeutralisesInjection() throws {
        #expect(escapeFilterValue("*)(uid=*") == "\\2a\\29\\28uid=\\2a")
        #expect(escapeFilterValue("a\\b\u{0}c") == "a\\5cb\\00c")
        #expect(escapeFilterValue("Lučić") == "Lučić")
        #expect(escapeFilterValue([0x00, 0xff, 0x41]) == "\\00\\ffA")
        // Placed in a filter, the injected value is one literal equality assertion.
        let filter = try LDAPFilter(parsing: "(uid=\(escapeFilterValue("*)(uid=*")))")
        #expect(filter == .equal("uid", "*)(uid=*"))
        #expect(LDAPFilter.equal("uid", "*)(uid=*").description == "(uid=\\2a\\29\\28uid=\\2a)")
    }

    @Test(arguments: [
        ("(cn=Babs Jensen)", LDAPFilter.equal("cn", "Babs Jensen")),
        ("(!(cn=Tim Howes))", .not(.equal("cn", "Tim Howes"))),
        ("(&(objectClass=Person)(|(sn=Jensen)(cn=Babs J*)))",
         .and([.equal("objectClass", "Person"), .or([.equal("sn", "Jensen"), .substrings(.init(type: "cn", initial: Array("Babs J".utf8)))])])),
        ("(o=univ*of*mich*)", .substrings(.init(type: "o", initial: Array("univ".utf8), any: [Array("of".utf8), Array("mich".utf8)]))),
        ("(seeAlso=)", .equal("seeAlso", "")),
        ("(cn:caseExactMatch:=Fred Flintstone)", .extensibleMatch(.init(matchingRule: "caseExactMatch", type: "cn", matchValue: Array("Fred Flintstone".utf8)))),
        ("(cn:=Betty Rubble)", .extensibleMatch(.init(type: "cn", matchValue: Array("Betty Rubble".utf8)))),
        ("(sn:dn:2.4.6.8.10:=Barney Rubble)", .extensibleMatch(.init(matchingRule: "2.4.6.8.10", type: "sn", matchValue: Array("Barney Rubble".utf8), dnAttributes: true))),
        ("(o:dn:=Ace Industry)", .extensibleMatch(.init(type: "o", matchValue: Array("Ace Industry".utf8), dnAttributes: true))),
        (":1.2.3:=Wilma Flintstone", .extensibleMatch(.init(matchingRule: "1.2.3", matchValue: Array("Wilma Flintstone".utf8)))),
        ("(:DN:2.4.6.8.10:=Dino)", .extensibleMatch(.init(matchingRule: "2.4.6.8.10", matchValue: Array("Dino".utf8), dnAttributes: true))),
        ("(o=Parens R Us \\28for all your parenthetical needs\\29)", .equal("o", "Parens R Us (for all your parenthetical needs)")),
        ("(cn=*\\2A*)", .substrings(.init(type: "cn", any: [[0x2a]]))),
        ("(filename=C:\\5cMyFile)", .equal("filename", "C:\\MyFile")),
        ("(bin=\\00\\00\\00\\04)", .equalityMatch(.init(attributeDesc: "bin", assertionValue: [0, 0, 0, 4]))),
        ("(sn=Lu\\c4\\8di\\c4\\87)", .equal("sn", "Lučić")),
        ("(1.3.6.1.4.1.1466.0=\\04\\02\\48\\69)", .equalityMatch(.init(attributeDesc: "1.3.6.1.4.1.1466.0", assertionValue: [4, 2, 0x48, 0x69]))),
        ("(cn=*)", .present("cn")),
        ("(uidNumber>=1000)", .greaterOrEqual(.init("uidNumber", "1000"))),
        ("(uidNumber<=1000)", .lessOrEqual(.init("uidNumber", "1000"))),
        ("(cn~=alise)", .approxMatch(.init("cn", "alise"))),
        ("(&)", .and([])),
        ("(|)", .or([])),
        ("uid=alice", .equal("uid", "alice")),
        ("(userCertificate;binary=\\30)", .equalityMatch(.init(attributeDesc: "userCertificate;binary", assertionValue: [0x30]))),
    ])
    func rfc4515Examples(string: String, filter: LDAPFilter) throws {
        #expect(try LDAPFilter(parsing: string) == filter)
        #expect(try LDAPFilter(parsing: filter.description) == filter)
    }

    @Test func rendering() {
        #expect(LDAPFilter.substrings(.init(type: "cn", initial: [0x61], any: [[0x28]], final: [0x2a])).description
            == "(cn=a*\\28*\\2a)")
        #expect(LDAPFilter.extensibleMatch(.init(matchingRule: "2.4.6", type: "sn", matchValue: [0x78], dnAttributes: true)).description
            == "(sn:dn:2.4.6:=x)")
        #expect(LDAPFilter.not(.and([])).description == "(!(&))")
    }

    @Test(arguments: [
        "", "(", ")", "()", "(cn=a", "(cn=a))", "(=a)", "(cn)", "(cn=a(b)", "(cn=a\\2)", "(cn=a\\zz)",
        "(cn>a)", "(cn>=a*)", "(cn=a**b)", "(!)", "(!(cn=a)(cn=b))", "(&(cn=a)x)", "(:=a)", "(cn:dn:a:b:=x)",
        "(cn=\u{0}a)", "cn=a)", "(cn=a) ",
    ])
    func malformedStringsAreTypedErrors(string: String) {
        let error = #expect(throws: LDAPSyntaxError.self) { try LDAPFilter(parsing: string) }
        #expect(error?.kind == .invalidFilter, "\(string): \(String(describing: error))")
    }

    @Test func tenThousandNestedLevelsAreATypedError() throws {
        let deep = String(repeating: "(&", count: 10_000) + "(cn=a)" + String(repeating: ")", count: 10_000)
        let error = #expect(throws: LDAPSyntaxError.self) { try LDAPFilter(parsing: deep) }
        #expect(error?.kind == .filterTooDeep)
        let nots = String(repeating: "(!", count: 10_000) + "(cn=a)" + String(repeating: ")", count: 10_000)
        #expect(throws: LDAPSyntaxError.self) { try LDAPFilter(parsing: nots) }

        var limits = LDAPLimits()
        limits.maximumFilterDepth = 3
        #expect(try LDAPFilter(parsing: "(&(|(cn=a)))", limits: limits) == .and([.or([.equal("cn", "a")])]))
        #expect(throws: LDAPSyntaxError.self) { try LDAPFilter(parsing: "(&(|(!(cn=a))))", limits: limits) }
    }

    @Test func hugeSetsAreCapped() {
        let wide = "(|" + String(repeating: "(cn=a)", count: 5_000) + ")"
        let error = #expect(throws: LDAPSyntaxError.self) { try LDAPFilter(parsing: wide) }
        #expect(error?.kind == .tooManyFilterComponents)
    }
}
