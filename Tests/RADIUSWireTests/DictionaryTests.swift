import RADIUSWire
import Testing

/// The dictionary: names as administrators type them, vendor attributes, presentation, parsing.
@Suite struct DictionaryTests {
    let dictionary = RADIUSDictionary.standard

    @Test func namesMatchWithoutRegardToCase() throws {
        let filter = try #require(dictionary.definition(named: "filter-id"))
        #expect(filter.name == "Filter-Id")
        #expect(filter.code == 11)
        #expect(filter.type == .text)
        #expect(dictionary.definition(named: "CLASS")?.code == 25)
        #expect(dictionary.definition(named: "No-Such-Attribute") == nil)
        #expect(dictionary.definition(code: 80)?.name == "Message-Authenticator")
        #expect(dictionary.definition(code: 2)?.encryption == .userPassword)
        #expect(dictionary.definition(named: "Tunnel-Password")?.tagged == true)
    }

    @Test func microsoftAndJuniperAttributesAreKnown() throws {
        let juniper = try #require(dictionary.definition(named: "Juniper-Local-User-Name"))
        #expect(juniper.vendor == 2636)
        #expect(juniper.code == 1)
        #expect(dictionary.definition(named: "MS-CHAP2-Response")?.vendor == 311)
        #expect(dictionary.definition(named: "MS-MPPE-Send-Key")?.encryption == .tunnelPassword)
        #expect(dictionary.definition(code: 1, vendor: 311)?.name == "MS-CHAP-Response")
        #expect(dictionary.allDefinitions.filter { $0.vendor == 0 }.count > 150)
    }

    @Test func namedValuesGoBothWays() throws {
        let serviceType = try #require(dictionary.definition(named: "Service-Type"))
        #expect(dictionary.valueName(2, of: serviceType) == "Framed-User")
        #expect(dictionary.value(named: "framed-user", of: serviceType) == 2)
        #expect(dictionary.valueName(9999, of: serviceType) == nil)
    }

    @Test func attributesAreBuiltFromConfigurationText() throws {
        #expect(try dictionary.attribute(named: "Filter-Id", value: "std.ppp") == RADIUSAttribute(.filterID, text: "std.ppp"))
        #expect(try dictionary.attribute(named: "service-type", value: "Framed-User") == RADIUSAttribute(.serviceType, integer: 2))
        #expect(try dictionary.attribute(named: "Session-Timeout", value: "3600") == RADIUSAttribute(.sessionTimeout, integer: 3600))
        #expect(try dictionary.attribute(named: "Framed-IP-Address", value: "10.0.0.1") == RADIUSAttribute(.framedIPAddress, [10, 0, 0, 1]))
        #expect(try dictionary.attribute(named: "Class", value: "0x6f7073") == RADIUSAttribute(.class, Array("ops".utf8)))
        let juniper = try dictionary.attribute(named: "Juniper-Local-User-Name", value: "ops")
        #expect(juniper == RADIUSAttribute(.vendorSpecific, [0, 0, 0x0a, 0x4c, 1, 5, 0x6f, 0x70, 0x73]))
    }

    @Test func badConfigurationTextSaysWhatIsExpected() {
        #expect {
            try dictionary.attribute(named: "Filter-Idd", value: "x")
        } throws: { ($0 as? RADIUSWireError)?.diagnostic == "unknown RADIUS attribute name 'Filter-Idd'" }
        #expect {
            try dictionary.attribute(named: "Framed-IP-Address", value: "10.0.0.256")
        } throws: {
            ($0 as? RADIUSWireError)?.diagnostic
                == "'10.0.0.256' is not a valid value for Framed-IP-Address: expected an IPv4 address such as 192.0.2.1"
        }
        #expect(throws: RADIUSWireError.self) { try dictionary.attribute(named: "Service-Type", value: "Framed") }
        #expect(throws: RADIUSWireError.self) { try dictionary.attribute(named: "Session-Timeout", value: "-1") }
    }

    @Test func presentationFollowsFreeRADIUS() {
        func show(_ attribute: RADIUSAttribute) -> [String] { dictionary.present(attribute).map(\.description) }
        #expect(show(RADIUSAttribute(.userName, text: "bob")) == [#"User-Name = "bob""#])
        #expect(show(RADIUSAttribute(.replyMessage, Array("50%\"\\\n".utf8) + [0x01, 0xff])) == [#"Reply-Message = "50\%\"\\\n\001\377""#])
        #expect(show(RADIUSAttribute(.serviceType, integer: 2)) == ["Service-Type = ::Framed-User"])
        #expect(show(RADIUSAttribute(.serviceType, integer: 99)) == ["Service-Type = 99"])
        #expect(show(RADIUSAttribute(.serviceType, [1])) == ["raw.Service-Type = 0x01"])
        #expect(show(RADIUSAttribute(.nasIPAddress, [10, 0, 0, 1])) == ["NAS-IP-Address = 10.0.0.1"])
        #expect(show(RADIUSAttribute(.state, [0xde, 0xad])) == ["State = 0xdead"])
        #expect(show(RADIUSAttribute(RADIUSAttributeType(250), [1])) == ["Attr-250 = 0x01"])
        let ipv6: [UInt8] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]
        #expect(show(RADIUSAttribute(.nasIPv6Address, ipv6)) == ["NAS-IPv6-Address = 2001:db8::1:0:0:1"])
        #expect(show(RADIUSAttribute(.nasIPv6Address, [UInt8](repeating: 0, count: 16))) == ["NAS-IPv6-Address = ::"])
        let vsa = RADIUSAttribute(.vendorSpecific, [0, 0, 0x0a, 0x4c, 1, 5, 0x6f, 0x70, 0x73, 99, 3, 7])
        #expect(show(vsa) == [#"Juniper-Local-User-Name = "ops""#, "Attr-26.2636.99 = 0x07"])
    }
}
