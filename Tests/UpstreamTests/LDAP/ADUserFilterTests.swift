import LDAPWire
import Policy
import Testing
import Upstream

/// The user search filter is a tree: whatever the username holds is an assertion value, so filter
/// metacharacters match only themselves.
@Suite struct ADUserFilterTests {
    static let plain = try! ADClientConfigurationTests.make()

    @Test func aPlainNameUsesUsernameAttribute() {
        #expect(Self.plain.userFilter(for: "alice") == .equal("sAMAccountName", "alice"))
        #expect(Self.plain.userFilter(for: "alice").description == "(sAMAccountName=alice)")
    }

    @Test func aNameWithAnAtUsesAtAttributeOnly() {
        #expect(Self.plain.userFilter(for: "alice@example.com") == .equal("userPrincipalName", "alice@example.com"))
    }

    @Test func ldapFilterIsAndedIn() throws {
        let configuration = try ADClientConfigurationTests.make(usernameAttribute: "uid", atAttribute: "mail", ldapFilter: "(objectClass=person)")
        #expect(configuration.userFilter(for: "bob") == .and([.equal("uid", "bob"), .equal("objectClass", "person")]))
        #expect(configuration.userFilter(for: "bob@example.com").description == "(&(mail=bob@example.com)(objectClass=person))")
    }

    @Test(arguments: ["*", "*)(uid=*", "alice)(|(uid=*", "alice\u{0}", "\\", "alice\\2a", "a*", "(&)", "alice)(sAMAccountName=*"])
    func injectionAttemptsStayOneEqualityAssertion(username: String) throws {
        let filter = Self.plain.userFilter(for: username)
        #expect(filter == .equalityMatch(LDAPAttributeValueAssertion(attributeDesc: "sAMAccountName", assertionValue: Array(username.utf8))))
        // What goes on the wire decodes to the same single assertion.
        let message = LDAPMessage(
            messageID: 1, protocolOp: .searchRequest(.init(baseObject: "dc=example,dc=com", filter: filter, attributes: ["1.1"])))
        let decoded = try LDAPMessage.decode(bytes: message.encodedBytes())
        guard case .searchRequest(let request) = decoded.protocolOp else {
            Issue.record("not a search: \(decoded)")
            return
        }
        #expect(request.filter == filter)
        // Its string form escapes every metacharacter, so it reparses to the same tree.
        #expect(try LDAPFilter(parsing: filter.description) == filter)
    }

    @Test func attributesAreOnlyThoseTheGroupCheckNeeds() throws {
        #expect(Self.plain.userSearchAttributes == ["1.1"])
        let grouped = try ADClientConfigurationTests.make(securityGroupDN: "CN=VPN,DC=example,DC=com")
        #expect(grouped.userSearchAttributes == ["memberOf", "primaryGroupID"])
    }
}
