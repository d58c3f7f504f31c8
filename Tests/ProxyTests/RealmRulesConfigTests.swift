@testable import Proxy
import RADIUSFront
import Testing

/// The `match_*` keys and `strip_realm` in authproxy.cfg, and the checks of sections that share a port.
@Suite struct RealmRulesConfigTests {
    /// A duo-only section on port 1812 for 192.0.2.10; `extra` lines go at its end.
    static func section(_ number: Int, secret: String = "shared-secret-0123456789", ip: String = "192.0.2.10", _ extra: String = "") -> String {
        """
        [radius_server_duo_only\(number == 1 ? "" : String(number))]
        ikey=DIXXXXXXXXXXXXXXXXX\(number)
        skey=deadbeefdeadbeefdeadbeefdeadbeefdeadbeef
        api_host=api-xxxxxxxx.duosecurity.com
        radius_ip_1=\(ip)
        radius_secret_1=\(secret)
        \(extra)
        """
    }

    static func parse(_ sections: String...) throws -> TwofoldConfiguration {
        try TwofoldConfiguration.parse(sections.joined(separator: "\n"), path: "/c.cfg")
    }

    static func error(_ sections: String...) -> String? {
        do {
            _ = try TwofoldConfiguration.parse(sections.joined(separator: "\n"), path: "/c.cfg")
            return nil
        } catch {
            return error.description
        }
    }

    @Test func threeRealmsOnOnePort() throws {
        let configuration = try Self.parse(
            Self.section(1, "match_username_suffix=@Staff.Example.com\nstrip_realm=true"),
            Self.section(2, "match_username_prefix=CONTRACTORS\\\nmatch_attribute_1=NAS-Port-Type=Virtual\nmatch_attribute_2=Called-Station-Id=~gw-[0-9]+"),
            Self.section(3, "match_nas_identifier=vpn-partners"))
        let rules = configuration.radiusServers.map(\.rules)
        #expect(rules[0] == RealmRules(usernameSuffix: "@Staff.Example.com", stripRealm: true))
        #expect(rules[1].usernamePrefix == "CONTRACTORS\\")
        #expect(rules[1].attributes.map(\.source) == ["NAS-Port-Type=Virtual", "Called-Station-Id=~gw-[0-9]+"])
        #expect(rules[1].count == 3)
        #expect(rules[2] == RealmRules(nasIdentifier: "vpn-partners"))
        #expect(configuration.radiusServers.map(\.clientLines) == [[5], [13], [22]])
    }

    @Test func badRulesNameTheirLine() {
        #expect(Self.error(Self.section(1, "match_attribute_1=No-Such-Attribute=1"))
            == "/c.cfg:7: [radius_server_duo_only] match_attribute_1: 'No-Such-Attribute' is not an attribute of the dictionary (for example NAS-Identifier, Called-Station-Id, Filter-Id) (Attribute-Name=value, or Attribute-Name=~regular expression)")
        #expect(Self.error(Self.section(1, "match_attribute_1=Called-Station-Id=~gw-("))?
            .hasPrefix("/c.cfg:7: [radius_server_duo_only] match_attribute_1: 'gw-(' is not a regular expression") == true)
        #expect(Self.error(Self.section(1, "match_username_suffix=contractors.example.com"))
            == "/c.cfg:7: [radius_server_duo_only] match_username_suffix: 'contractors.example.com' is not a realm suffix (an @ and the realm, e.g. @contractors.example.com)")
        #expect(Self.error(Self.section(1, "match_username_prefix=CORP"))
            == "/c.cfg:7: [radius_server_duo_only] match_username_prefix: 'CORP' is not a realm prefix (the domain and a backslash, e.g. CONTRACTORS\\)")
        #expect(Self.error(Self.section(1, "match_nas_identifier=vpn\nstrip_realm=true"))
            == "/c.cfg:8: [radius_server_duo_only] strip_realm: has no realm to strip (add match_username_suffix or match_username_prefix, or remove this line)")
    }

    @Test func oneClientMustGetOneSecretOnAPort() {
        #expect(Self.error(
            Self.section(1, ip: "192.0.2.0/24", "match_username_suffix=@staff"),
            Self.section(2, secret: "another-secret-0123456789", "match_username_suffix=@contractors"))
            == "/c.cfg:12: [radius_server_duo_only2] gives client 192.0.2.10 another radius_secret or require_message_authenticator than [radius_server_duo_only] (line 5) on the same port 1812 (the secret is chosen before the realm: give the device the same secret and setting in every section on this port)")
        // On another port, the same client may have another secret.
        #expect(Self.error(
            Self.section(1, ip: "192.0.2.0/24", "match_username_suffix=@staff"),
            Self.section(2, secret: "another-secret-0123456789", "port=1813")) == nil)
    }

    @Test func sectionsThatCannotBeToldApartAreRefused() {
        #expect(Self.error(Self.section(1, "match_username_suffix=@staff"), Self.section(2, "match_username_suffix=@staff\nstrip_realm=true"))
            == "/c.cfg:12: [radius_server_duo_only2] has the same client 192.0.2.10 and the same match_* rules as [radius_server_duo_only] (line 5) on port 1812, so it could never be chosen (add a match_* rule to tell them apart (match_username_suffix, match_username_prefix, match_nas_identifier, match_attribute_N))")
        #expect(Self.error(Self.section(1), Self.section(2))?.contains("could never be chosen") == true)
        #expect(Self.error(Self.section(1, "match_username_suffix=@staff"), Self.section(2)) == nil)
        // The second's two halves cover the first's /24 and are more specific: the first is never chosen.
        #expect(Self.error(
            Self.section(1, ip: "192.0.2.0/24", "match_username_suffix=@staff"),
            Self.section(2, ip: "192.0.2.0/25", "radius_ip_2=192.0.2.128/25\nradius_secret_2=shared-secret-0123456789\nmatch_username_suffix=@staff"))
            == "/c.cfg:1: [radius_server_duo_only] could never be chosen on port 1812: [radius_server_duo_only2] (line 8) is a candidate for each of its clients, is preferred there, and its match_* rules hold for every login this section's do (routing prefers the most specific client network, then more match_* rules, then file order: put the more specific section first, or narrow [radius_server_duo_only2]'s rules)")
        #expect(Self.error(
            Self.section(1, ip: "192.0.2.0/24", "match_username_suffix=@staff"),
            Self.section(2, ip: "192.0.2.0/25", "match_username_suffix=@staff")) == nil)
    }
}
