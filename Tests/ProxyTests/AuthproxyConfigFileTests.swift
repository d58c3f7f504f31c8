@testable import Proxy
import Testing

/// Duo's INI dialect, as authproxy.cfg files in the field are written.
@Suite struct AuthproxyConfigFileTests {
    @Test func sectionsKeysAndLines() throws {
        let file = try AuthproxyConfigFile.parse("""
            \u{FEFF}; Duo Authentication Proxy configuration
            [main]
            debug=true

            [ad_client]
            host = 10.0.0.1
            Bind_DN: CN=svc,DC=example,DC=com
            # a comment
            service_account_password=p4ss # not a comment
            ldap_filter=(&(objectClass=user)
              (memberOf=CN=VPN,DC=example,DC=com))

            [radius_server_auto2]
            radius_secret_1=s3cr3t\r
            """, path: "/etc/twofold/authproxy.cfg")
        #expect(file.sections.map(\.name) == ["main", "ad_client", "radius_server_auto2"])
        #expect(file.sections.map(\.line) == [2, 5, 13])
        let ad = file.sections[1]
        #expect(ad.entries.map(\.key) == ["host", "bind_dn", "service_account_password", "ldap_filter"])
        #expect(ad.entries[1].value == "CN=svc,DC=example,DC=com")
        #expect(ad.entries[2].value == "p4ss # not a comment")
        #expect(ad.entries[2].line == 9)
        #expect(ad.entries[3].value == "(&(objectClass=user)\n(memberOf=CN=VPN,DC=example,DC=com))")
        #expect(file.sections[2].entries.first?.value == "s3cr3t")
        #expect(file.sections[2].kind == ("radius_server_auto", 2))
        #expect(ad.kind == ("ad_client", 1))
    }

    @Test(arguments: [
        ("[main]\n[MAIN]\n", "/c.cfg:2: [MAIN] the section [MAIN] appears twice (first at line 1) (merge the two, or number the second instance ([MAIN2]))"),
        ("[main]\ndebug=true\nDEBUG=false\n", "/c.cfg:3: [main] debug: the key appears twice in this section (first at line 2) (keep one of them)"),
        ("debug=true\n", "/c.cfg:1: key=value before any [section] (put it under [main] or the section it belongs to)"),
        ("[main]\njust words\n", "/c.cfg:2: [main] a line must be key=value, [section] or a # comment (found just words)"),
        ("[main\n", "/c.cfg:1: a section header must look like [name] (found [main)"),
        ("  indented=1\n", "/c.cfg:1: an indented line continues nothing (remove the indentation, or put the line after a key=value line)"),
        ("[main]\n=value\n", "/c.cfg:2: [main] a value without a key (write key=value)"),
    ])
    func errorsNameTheFileLineSectionAndKey(_ text: String, _ message: String) {
        #expect(throws: ConfigError.self) { try AuthproxyConfigFile.parse(text, path: "/c.cfg") }
        do {
            _ = try AuthproxyConfigFile.parse(text, path: "/c.cfg")
        } catch {
            #expect(error.description == message)
        }
    }
}
