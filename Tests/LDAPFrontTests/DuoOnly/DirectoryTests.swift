import LDAPWire
import Testing

@testable import LDAPFront

struct DirectoryTests {
    static let directory = LDAPDuoOnlyDirectory(integrations: [("ldap_server_duo_only", "DIABC", "secret")])

    @Test func userNamesAreEscapedInTheirDN() {
        guard case .user(_, let identity, let dn) = Self.directory.classifyBind(name: #"cn=smith\, john,dc=DIABC,dc=duosecurity,dc=com"#, password: Array("push".utf8)) else {
            Issue.record("a user bind")
            return
        }
        #expect(identity.raw == "smith, john")
        #expect(dn == #"cn=smith\, john,dc=DIABC,dc=duosecurity,dc=com"#)
    }

    @Test func namesWithControlCharactersAreNoUsers() {
        if case .user = Self.directory.classifyBind(name: #"cn=al\00ice,dc=DIABC,dc=duosecurity,dc=com"#, password: Array("push".utf8)) {
            Issue.record("a name with NUL must not reach Policy")
        }
    }

    @Test func theSecretKeyComparisonIgnoresNothing() {
        for password in ["secret", "Secret", "secret ", "secre", ""] {
            let target = Self.directory.classifyBind(name: "dc=DIABC,dc=duosecurity,dc=com", password: Array(password.utf8))
            if password == "secret" {
                #expect(target == .integration(index: 0, dn: "dc=DIABC,dc=duosecurity,dc=com"))
            } else if case .integration = target {
                Issue.record("'\(password)' must not open the integration")
            }
        }
    }
}
