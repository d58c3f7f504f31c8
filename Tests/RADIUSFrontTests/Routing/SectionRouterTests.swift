import Policy
import RADIUSFront
import RADIUSWire
import Testing

/// Multi-realm routing (DESIGN.md): which section of a listener takes a request, and which takes none.
@Suite struct SectionRouterTests {
    static let device = IPAddress("192.0.2.10")!

    static func section(_ name: String, _ networks: [String] = ["192.0.2.0/24"], _ rules: RealmRules = RealmRules()) -> SectionRouter.Section {
        SectionRouter.Section(name: name, networks: networks.map { try! ClientNetwork.parse($0) }, rules: rules)
    }

    static func packet(_ attributes: [RADIUSAttribute] = []) -> RADIUSPacket {
        RADIUSPacket(code: .accessRequest, identifier: 1, authenticator: .random(), attributes: attributes)
    }

    /// The chosen section's name and the names it hands to the primary and Duo, or nil.
    static func route(
        _ router: SectionRouter, _ name: String, _ attributes: [RADIUSAttribute] = [], from source: IPAddress = device
    ) -> (section: String, directory: String, duo: String)? {
        guard case .section(let index, let identity) = router.route(try! LoginIdentity.parse(name), packet(attributes), from: source) else {
            return nil
        }
        return (router.sections[index].name, identity.directoryUsername, identity.duoUsername)
    }

    static let realms = SectionRouter(sections: [
        section("staff", ["192.0.2.0/24"], RealmRules(usernameSuffix: "@staff.example.com", stripRealm: true)),
        section("contractors", ["192.0.2.0/24"], RealmRules(usernameSuffix: "@contractors.example.com")),
        section("corp", ["192.0.2.0/24"], RealmRules(usernamePrefix: "CORP\\", stripRealm: true)),
    ])

    @Test(arguments: [
        ("alice@staff.example.com", "staff", "alice"),
        ("alice@STAFF.Example.COM", "staff", "alice"),
        ("Alice@contractors.example.com", "contractors", "Alice@contractors.example.com"),
        ("CORP\\alice", "corp", "alice"),
        ("corp\\Alice", "corp", "Alice"),
        // Only the end of the name is its realm: the @contractors in the middle is part of the user.
        ("alice@contractors.example.com@staff.example.com", "staff", "alice@contractors.example.com"),
        ("alice@staff.example.com@contractors.example.com", "contractors", "alice@staff.example.com@contractors.example.com"),
        // Both a prefix and a suffix: one rule each on the same networks, so the first in the file.
        ("CORP\\alice@staff.example.com", "staff", "CORP\\alice"),
        // Unicode lower case: the suffix in the file is compared as a domain, whatever its case.
        ("ÉLODIE@STAFF.EXAMPLE.COM", "staff", "ÉLODIE"),
    ])
    func eachNameGoesToItsRealm(_ name: String, _ section: String, _ directory: String) throws {
        let routed = try #require(Self.route(Self.realms, name))
        #expect(routed.section == section)
        #expect(routed.directory == directory)
        #expect(routed.duo == directory)
    }

    @Test(arguments: [
        "alice", "alice@staff.example.com.evil.net", "alice@evilstaff.example.com", "alice@staff", "alice@staff.example.co",
        "@staff.example.com", "CORP\\", "CORPX\\alice", "XCORP\\alice", "alice\\CORP", "alice@contractors.example.com ",
        // Compatibility forms are not folded: a fullwidth @ is no realm separator.
        "alice＠staff.example.com",
    ])
    func aNameOfNoRealmGoesNowhere(_ name: String) {
        #expect(Self.route(Self.realms, name) == nil)
        guard case .noRealm(let candidates) = Self.realms.route(try! LoginIdentity.parse(name), Self.packet(), from: Self.device) else {
            Issue.record("expected no realm")
            return
        }
        #expect(candidates == ["staff", "contractors", "corp"])
    }

    @Test func anUnknownClientHasNoCandidates() {
        guard case .noRealm(let candidates) = Self.realms.route(
            try! LoginIdentity.parse("alice@staff.example.com"), Self.packet(), from: IPAddress("198.51.100.1")!)
        else {
            Issue.record("expected no realm")
            return
        }
        #expect(candidates.isEmpty)
    }

    @Test func theMostSpecificNetworkWinsThenMoreRulesThenFileOrder() throws {
        let router = SectionRouter(sections: [
            Self.section("wide-two-rules", ["192.0.2.0/24"], RealmRules(usernameSuffix: "@x.example", nasIdentifier: "vpn")),
            Self.section("narrow-no-rules", ["192.0.2.10"]),
            Self.section("narrow-one-rule", ["192.0.2.10"], RealmRules(usernameSuffix: "@x.example")),
            Self.section("narrow-one-rule-later", ["192.0.2.10"], RealmRules(nasIdentifier: "vpn")),
        ])
        let nas = [RADIUSAttribute(.nasIdentifier, text: "vpn")]
        #expect(Self.route(router, "alice@x.example", nas)?.section == "narrow-one-rule")
        #expect(Self.route(router, "alice@y.example", nas)?.section == "narrow-one-rule-later")
        #expect(Self.route(router, "alice@y.example")?.section == "narrow-no-rules")
        // From another address of the /24 only the wide section is a candidate, and its rules must hold.
        let other = IPAddress("192.0.2.99")!
        #expect(Self.route(router, "alice@x.example", nas, from: other)?.section == "wide-two-rules")
        #expect(Self.route(router, "alice@x.example", from: other) == nil)
    }

    @Test func aSectionWithoutRulesTakesWhatTheOthersLeaveOnlyWhenItIsACandidate() throws {
        let router = SectionRouter(sections: [
            Self.section("contractors", ["192.0.2.0/24"], RealmRules(usernameSuffix: "@contractors.example.com", stripRealm: true)),
            Self.section("default", ["192.0.2.0/24"]),
        ])
        #expect(Self.route(router, "alice@contractors.example.com")?.section == "contractors")
        #expect(Self.route(router, "alice@contractors.example.com")?.directory == "alice")
        #expect(Self.route(router, "bob")?.section == "default")
        #expect(Self.route(router, "bob")?.directory == "bob")
    }

    @Test func nasIdentifierAndAttributesMustAllHold() throws {
        let router = SectionRouter(sections: [
            Self.section("vpn", ["192.0.2.0/24"], RealmRules(
                nasIdentifier: "vpn-contractors",
                attributes: [try AttributeRule(parsing: "NAS-Port-Type=Virtual"), try AttributeRule(parsing: "Called-Station-Id=~gw-[0-9]+")])),
        ])
        let matching = [
            RADIUSAttribute(.nasIdentifier, text: "vpn-contractors"), RADIUSAttribute(.nasPortType, integer: 5),
            RADIUSAttribute(.calledStationID, text: "gw-42"),
        ]
        #expect(Self.route(router, "alice", matching)?.section == "vpn")
        for dropped in matching.indices {
            var missing = matching
            missing.remove(at: dropped)
            #expect(Self.route(router, "alice", missing) == nil, "without \(matching[dropped].type)")
        }
        // The pattern matches the whole value, and the NAS-Identifier exactly (case included).
        #expect(Self.route(router, "alice", [matching[0], matching[1], RADIUSAttribute(.calledStationID, text: "gw-42-evil")]) == nil)
        #expect(Self.route(router, "alice", [matching[0], matching[1], RADIUSAttribute(.calledStationID, text: "xgw-42")]) == nil)
        #expect(Self.route(router, "alice", [RADIUSAttribute(.nasIdentifier, text: "VPN-contractors"), matching[1], matching[2]]) == nil)
        #expect(Self.route(router, "alice", [RADIUSAttribute(.nasIdentifier, text: "vpn-contractors2"), matching[1], matching[2]]) == nil)
        // Any instance of a repeated attribute may match.
        #expect(Self.route(router, "alice", matching + [RADIUSAttribute(.nasIdentifier, text: "other")])?.section == "vpn")
    }

    @Test func vendorAttributesAreMatchedInsideVendorSpecific() throws {
        let rule = try AttributeRule(parsing: "Juniper-Local-User-Name=ops")
        let vsa = try RADIUSDictionary.standard.attribute(named: "Juniper-Local-User-Name", value: "ops")
        let other = try RADIUSDictionary.standard.attribute(named: "Juniper-Local-User-Name", value: "dev")
        #expect(rule.matches(Self.packet([vsa])))
        #expect(!rule.matches(Self.packet([other])))
        #expect(!rule.matches(Self.packet([RADIUSAttribute(.filterID, text: "ops")])))
    }

    @Test(arguments: [
        ("No-Such-Attribute=1", "not an attribute"), ("NAS-Identifier", "not Attribute-Name=value"),
        ("NAS-Port-Type=Nonsense", "NAS-Port-Type"), ("Called-Station-Id=~gw-(", "not a regular expression"),
        ("User-Password=x", "encrypted"),
    ])
    func badAttributeRulesAreRefused(_ text: String, _ expected: String) {
        #expect {
            try AttributeRule(parsing: text)
        } throws: { error in
            "\(error)".contains(expected)
        }
    }

    static func listing(_ networks: [(String, String)], requireMessageAuthenticator: Bool = true, _ rules: RealmRules = RealmRules()) -> SectionRouter.Listing {
        SectionRouter.Listing(
            clients: networks.map { .init(network: try! ClientNetwork.parse($0.0), secret: Array($0.1.utf8)) },
            requireMessageAuthenticator: requireMessageAuthenticator, rules: rules)
    }

    @Test func oneClientGetsOneSecretFromEverySectionOfAListener() {
        let staff = RealmRules(usernameSuffix: "@staff")
        let contractors = RealmRules(usernameSuffix: "@contractors")
        // The /24 of the first section covers the device of the second with another secret.
        #expect(SectionRouter.conflicts([
            Self.listing([("192.0.2.0/24", "secret-a")], staff), Self.listing([("192.0.2.10", "secret-b")], contractors),
        ]) == [.init(first: 0, second: 1, kind: .clientSettings(firstEntry: 0, secondEntry: 0))])
        // The first section's own /32 gives the device the second section's secret: no conflict.
        #expect(SectionRouter.conflicts([
            Self.listing([("192.0.2.0/24", "secret-a"), ("192.0.2.10", "secret-b")], staff), Self.listing([("192.0.2.10", "secret-b")], contractors),
        ]).isEmpty)
        // Disjoint networks may have different secrets.
        #expect(SectionRouter.conflicts([
            Self.listing([("192.0.2.0/25", "secret-a")], staff), Self.listing([("192.0.2.128/25", "secret-b")], contractors),
        ]).isEmpty)
        // Overlapping ranges that share only their ends.
        #expect(SectionRouter.conflicts([
            Self.listing([("192.0.2.1-192.0.2.10", "secret-a")], staff), Self.listing([("192.0.2.10-192.0.2.20", "secret-b")], contractors),
        ]).count == 1)
        // require_message_authenticator is read before the realm too.
        #expect(SectionRouter.conflicts([
            Self.listing([("192.0.2.10", "secret-a")], staff),
            Self.listing([("192.0.2.10", "secret-a")], requireMessageAuthenticator: false, contractors),
        ]).count == 1)
    }

    @Test func sectionsThatCannotBeToldApartAreAConflict() {
        let rules = RealmRules(usernameSuffix: "@staff")
        #expect(SectionRouter.conflicts([
            Self.listing([("192.0.2.10", "secret-a")], rules), Self.listing([("192.0.2.10", "secret-a")], RealmRules(usernameSuffix: "@staff", stripRealm: true)),
        ]) == [.init(first: 0, second: 1, kind: .indistinguishable(firstEntry: 0, secondEntry: 0))])
        #expect(SectionRouter.conflicts([Self.listing([("192.0.2.10", "secret-a")]), Self.listing([("192.0.2.10", "secret-a")])]).count == 1)
        #expect(SectionRouter.conflicts([
            Self.listing([("192.0.2.10", "secret-a")], rules), Self.listing([("192.0.2.10", "secret-a")], RealmRules(usernameSuffix: "@other")),
        ]).isEmpty)
    }

    @Test func aSectionAnotherAlwaysTakesFirstIsAConflict() {
        let device = "192.0.2.10"
        func conflicts(_ sections: [SectionRouter.Listing]) -> [SectionRouter.Conflict.Kind] { SectionRouter.conflicts(sections).map(\.kind) }
        // example.com first takes every @staff.example.com login on a tie of one rule each.
        #expect(conflicts([
            Self.listing([(device, "s")], RealmRules(usernameSuffix: "Example.com")), Self.listing([(device, "s")], RealmRules(usernameSuffix: "@staff.example.com")),
        ]) == [.shadowed(1)])
        // The other order is the way to write it.
        #expect(conflicts([
            Self.listing([(device, "s")], RealmRules(usernameSuffix: "@staff.example.com")), Self.listing([(device, "s")], RealmRules(usernameSuffix: "example.com")),
        ]).isEmpty)
        // `@example.com` is no end of `alice@staff.example.com`: both are reachable.
        #expect(conflicts([
            Self.listing([(device, "s")], RealmRules(usernameSuffix: "@example.com")), Self.listing([(device, "s")], RealmRules(usernameSuffix: "@staff.example.com")),
        ]).isEmpty)
        // A later section with more rules, or a more specific network, wins its logins back.
        #expect(conflicts([
            Self.listing([(device, "s")], RealmRules(nasIdentifier: "vpn")),
            Self.listing([(device, "s")], RealmRules(usernameSuffix: "@staff", nasIdentifier: "vpn")),
        ]).isEmpty)
        #expect(conflicts([
            Self.listing([("192.0.2.0/24", "s")], RealmRules(usernameSuffix: "example.com")),
            Self.listing([(device, "s")], RealmRules(usernameSuffix: "@staff.example.com")),
        ]).isEmpty)
        // A device-specific section before a network-wide one: the rest of the network still reaches the second.
        #expect(conflicts([Self.listing([(device, "s")]), Self.listing([("192.0.2.0/24", "s")])]).isEmpty)
        // The network-wide one is preferred only where it is more specific: a later /32 section
        // without rules under an earlier one with the same /32 is shadowed.
        #expect(conflicts([
            Self.listing([(device, "s")], RealmRules(usernamePrefix: "CORP")), Self.listing([(device, "s")], RealmRules(usernamePrefix: "corp\\")),
        ]) == [.shadowed(1)])
        // A later section may shadow an earlier one with more specific networks covering all of its own.
        let calledStation = try! AttributeRule(parsing: "Called-Station-Id=a")
        #expect(conflicts([
            Self.listing([("192.0.2.0/24", "s")], RealmRules(nasIdentifier: "vpn", attributes: [calledStation])),
            Self.listing([("192.0.2.0/25", "s"), ("192.0.2.128/25", "s")], RealmRules(attributes: [calledStation])),
        ]) == [.shadowed(0)])
        #expect(conflicts([
            Self.listing([("192.0.2.0/24", "s")], RealmRules(nasIdentifier: "vpn", attributes: [calledStation])),
            Self.listing([("192.0.2.0/25", "s")], RealmRules(attributes: [calledStation])),
        ]).isEmpty, "the upper half of the /24 still reaches the first")
    }
}
