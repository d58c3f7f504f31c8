import RADIUSWire
import Testing

/// Reply-Message splitting, typed values and Vendor-Specific containers.
@Suite struct AttributeTests {
    @Test func shortRepliesAreOneAttribute() {
        #expect(RADIUSAttribute.replyMessages("Enter your passcode") == [RADIUSAttribute(.replyMessage, text: "Enter your passcode")])
        #expect(RADIUSAttribute.replyMessages("") == [RADIUSAttribute(.replyMessage, [])])
    }

    @Test(arguments: [253, 254, 506, 507, 1000])
    func longRepliesAreSplitAt253OctetsInOrder(_ length: Int) {
        let text = String((0..<length).map { Character(UnicodeScalar(UInt8(0x41 + $0 % 26))) })
        let attributes = RADIUSAttribute.replyMessages(text)
        #expect(attributes.count == (length + 252) / 253)
        #expect(attributes.allSatisfy { $0.type == .replyMessage && $0.value.count <= 253 })
        #expect(attributes.flatMap(\.value) == Array(text.utf8))
    }

    @Test func splittingNeverCutsAUTF8Sequence() {
        // 252 ASCII octets, then "é" (2 octets) would straddle the 253 boundary.
        let text = String(repeating: "a", count: 252) + "é" + String(repeating: "€", count: 100)
        let attributes = RADIUSAttribute.replyMessages(text)
        #expect(attributes.allSatisfy { $0.text != nil && $0.value.count <= 253 })
        #expect(attributes[0].value.count == 252)
        #expect(attributes.map { $0.text! }.joined() == text)
    }

    @Test func integersReadAndWrite() {
        let attribute = RADIUSAttribute(.sessionTimeout, integer: 0x0102_0304)
        #expect(attribute.value == [1, 2, 3, 4])
        #expect(attribute.integer == 0x0102_0304)
        #expect(RADIUSAttribute(.sessionTimeout, [1, 2, 3]).integer == nil)
    }

    @Test func genericSplitKeepsBinaryValues() {
        let value = (0..<600).map { UInt8($0 % 256) }
        let parts = RADIUSAttribute.split(.eapMessage, value)
        #expect(parts.map(\.value.count) == [253, 253, 94])
        #expect(parts.flatMap(\.value) == value)
    }

    @Test func vendorSpecificRoundTripsAndIsFoundInPackets() throws {
        let vsa = RADIUSVendorSpecific(
            vendorID: RADIUSVendorSpecific.juniper,
            attributes: [.init(type: 1, value: Array("ops".utf8)), .init(type: 2, value: Array("show .*".utf8))])
        let attribute = try vsa.attribute()
        #expect(attribute.value == [0, 0, 0x0a, 0x4c, 1, 5] + Array("ops".utf8) + [2, 9] + Array("show .*".utf8))
        #expect(try RADIUSVendorSpecific(decoding: attribute.value) == vsa)
        let packet = RADIUSPacket(
            code: .accessAccept, identifier: 1, authenticator: .zero,
            attributes: [attribute, RADIUSAttribute(.vendorSpecific, [0, 0, 1, 0x37, 9])])  // second: not the format
        #expect(packet.vendorSpecific == [vsa])
        #expect(packet.vendorAttributes(RADIUSVendorSpecific.juniper).map(\.type) == [1, 2])
        #expect(packet.vendorAttributes(RADIUSVendorSpecific.microsoft).isEmpty)
    }

    @Test func malformedVendorSpecificValuesAreRefused() {
        for bad: [UInt8] in [[], [0, 0, 9], [0, 0, 0, 9, 1], [0, 0, 0, 9, 1, 1], [0, 0, 0, 9, 1, 4, 0]] {
            #expect(throws: RADIUSWireError.self) { try RADIUSVendorSpecific(decoding: bad) }
        }
    }

    @Test func codesHaveTheirNames() {
        #expect(RADIUSCode.accessRequest.name == "Access-Request")
        #expect(RADIUSCode.coaNAK.name == "CoA-NAK")
        #expect(RADIUSCode(rawValue: 99).name == "99")
        #expect(RADIUSCode.accessRequest.isRequest)
        #expect(!RADIUSCode.accessAccept.isRequest)
        #expect(!RADIUSCode(rawValue: 99).isRequest)
    }
}
