import LDAPWire
import Policy
@testable import Proxy
import Testing

/// The Policy options of a server section, read with the reference's names, defaults and aliases.
@Suite struct SectionPolicyConfigTests {
    static func read(_ body: String, mode: SectionPolicy.Mode = .auto) throws(ConfigError) -> (SectionPolicy, ConfigSectionReader) {
        let file = try AuthproxyConfigFile.parse("[radius_server_auto]\n" + body, path: "/etc/authproxy.cfg")
        var reader = ConfigSectionReader(path: file.path, section: file.sections[0])
        let policy = try SectionPolicy.read(&reader, mode: mode)
        return (policy, reader)
    }

    @Test func theReferenceDefaults() throws {
        let (policy, _) = try Self.read("ikey=DIXXXXXXXXXXXXXXXXXX\n")
        #expect(policy.name == "radius_server_auto")
        #expect(policy.integrationKey == "DIXXXXXXXXXXXXXXXXXX")
        #expect(policy.failmode == .safe)
        #expect(policy.factors == [.auto])
        #expect(policy.delimiter == ",")
        #expect(policy.allowConcatenation)
        #expect(policy.delimitedPasswordLength == nil)
        #expect(policy.exemptUsernames.isEmpty)
        #expect(policy.limits == LoginLimits())
    }

    @Test func promptFormatAndEnrollChallengeBelongToChallengeSections() throws {
        let (policy, _) = try Self.read("ikey=DIXXXXXXXXXXXXXXXXXX\nprompt_format=HTML\nenroll_challenge=false\n", mode: .challenge)
        #expect(policy.promptFormat == .html)
        #expect(!policy.enrollChallenge)
        let (defaults, _) = try Self.read("ikey=DIXXXXXXXXXXXXXXXXXX\n", mode: .challenge)
        #expect(defaults.promptFormat == .console && defaults.enrollChallenge)
        #expect(throws: ConfigError.self) { try Self.read("ikey=DIXXXXXXXXXXXXXXXXXX\nprompt_format=fancy\n", mode: .challenge) }
        // On another section the option is unread, so reported as unknown.
        let (_, reader) = try Self.read("ikey=DIXXXXXXXXXXXXXXXXXX\nprompt_format=html\n")
        #expect(throws: ConfigError.self) { try reader.unknownKeys(valid: []) }
    }

    @Test func everyOption() throws {
        let (policy, reader) = try Self.read("""
            ikey=DIXXXXXXXXXXXXXXXXXX
            failmode=SECURE
            factors=push, phone,passcode
            delimeter=#
            concat_mode=false
            delimited_password_length=12
            exempt_username_1=svc-backup
            exempt_username_2=Printer
            exempt_ou_1=OU=Service Accounts,DC=example,DC=com
            max_failed_primary_per_user=0
            max_pushes_per_user=3
            push_window=60
            """)
        #expect(policy.failmode == .secure)
        #expect(policy.factors == [.push, .phone, .passcode])
        #expect(policy.delimiter == "#")
        #expect(!policy.allowConcatenation)
        #expect(policy.delimitedPasswordLength == 12)
        #expect(policy.exemptUsernames == ["svc-backup", "printer"])
        #expect(policy.exemptOrganizationalUnits == [try LDAPDN(parsing: "ou=service accounts,dc=example,dc=com")])
        #expect(policy.limits.failedPrimaryPerUser == nil)
        #expect(policy.limits.pushesPerUser == .init(count: 3, window: .seconds(60)))
        try reader.unknownKeys(valid: [])
    }

    @Test(arguments: [
        ("failmode=open\n", "/etc/authproxy.cfg:3: [radius_server_auto] failmode: 'open' is not valid (choose one of safe, secure)"),
        ("factors=push,yubikey\n", "/etc/authproxy.cfg:3: [radius_server_auto] factors: 'yubikey' is no factor (choose from auto, push, phone, sms, passcode)"),
        ("delimiter=ab\n", "/etc/authproxy.cfg:3: [radius_server_auto] delimiter: 'ab' must be one ASCII punctuation character (the default is a comma)"),
        ("delimiter=,\ndelimeter=;\n", "/etc/authproxy.cfg:4: [radius_server_auto] delimeter: delimiter and delimeter are the same option (keep one of them)"),
        ("allow_concat=maybe\n", "/etc/authproxy.cfg:3: [radius_server_auto] allow_concat: 'maybe' is not a boolean (write true or false)"),
        ("delimited_password_length=0\n", "/etc/authproxy.cfg:3: [radius_server_auto] delimited_password_length: '0' is not a whole number from 1 to 1024"),
        ("exempt_username_1=a\nexempt_username_01=b\nexempt_ou_1=not a dn\n", nil),
    ])
    func errorsNameTheLineSectionAndKey(_ body: String, _ message: String?) {
        do {
            _ = try Self.read("ikey=DIXXXXXXXXXXXXXXXXXX\n" + body)
            Issue.record("expected an error for \(body)")
        } catch {
            if let message { #expect(error.description == message) } else { #expect(error.line == 5 && error.key == "exempt_ou_1") }
        }
    }

    @Test func aMissingIkeyIsNamed() {
        #expect(throws: ConfigError(path: "/etc/authproxy.cfg", line: 1, section: "radius_server_auto", key: "ikey", "is required",
            hint: "the integration key of this application in the Duo Admin Panel")) {
            _ = try Self.read("failmode=safe\n")
        }
    }

    @Test func unknownKeysAreReportedWithTheirLine() throws {
        var (_, reader) = try Self.read("ikey=DIXXXXXXXXXXXXXXXXXX\nfailmod=secure\n")
        _ = try reader.string("client")
        #expect(throws: ConfigError(path: "/etc/authproxy.cfg", line: 3, section: "radius_server_auto", key: "failmod", "unknown option",
            hint: "check the spelling; this section takes ikey, failmode")) {
            try reader.unknownKeys(valid: ["ikey", "failmode"])
        }
    }

    @Test func booleansAsTheReferenceReadsThem() throws {
        for (text, value) in [("TRUE", true), ("False", false), ("1", true), ("0", false), ("2", true)] {
            #expect(try Self.read("ikey=DI\nallow_concat=\(text)\n").0.allowConcatenation == value)
        }
    }
}
