import RADIUSWire
import Testing

/// SECURITY.md's malformed RADIUS datagrams: each is refused with a typed error that says why.
@Suite struct DecodingErrorTests {
    /// A valid Access-Request header of the given length followed by `attributes`.
    static func packet(length: Int? = nil, _ attributes: [UInt8] = []) -> [UInt8] {
        let total = length ?? 20 + attributes.count
        return [1, 7, UInt8(total >> 8), UInt8(total & 0xff)] + [UInt8](repeating: 0xab, count: 16) + attributes
    }

    static func error(_ bytes: [UInt8]) -> RADIUSWireError? {
        do {
            _ = try RADIUSPacket(decoding: bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: 0...19)
    func datagramsShorterThanAHeaderAreRefused(_ count: Int) {
        let error = Self.error(Array(Self.packet().prefix(count)))
        #expect(error?.kind == .truncatedHeader)
        #expect(error?.diagnostic == "datagram of \(count) octets is shorter than the 20-octet RADIUS header")
    }

    @Test(arguments: [0, 1, 19])
    func lengthFieldBelowTwentyIsRefused(_ length: Int) {
        let error = Self.error(Self.packet(length: length))
        #expect(error?.kind == .lengthOutOfRange)
        #expect(error?.diagnostic == "Length field \(length) is below the minimum of 20")
    }

    @Test func lengthFieldBeyondTheDatagramIsRefused() {
        let error = Self.error(Self.packet(length: 26, [1, 3, 0x61]))
        #expect(error?.kind == .lengthOutOfRange)
        #expect(error?.diagnostic == "Length field 26 is beyond the datagram of 23 octets")
    }

    @Test(arguments: [4097, 65535])
    func lengthFieldAboveFourKilobytesIsRefused(_ length: Int) {
        let bytes = Self.packet(length: length) + [UInt8](repeating: 0, count: length - 20)
        let error = Self.error(bytes)
        #expect(error?.kind == .lengthOutOfRange)
        #expect(error?.diagnostic == "Length field \(length) is above the maximum of 4096")
    }

    @Test func octetsAfterLengthArePaddingAndIgnored() throws {
        let bytes = Self.packet(length: 23, [1, 3, 0x61]) + [0xff, 0xff, 0x00, 0x01]
        let packet = try RADIUSPacket(decoding: bytes)
        #expect(packet.attributes == [RADIUSAttribute(.userName, [0x61])])
        #expect(try packet.encoded() == Array(bytes.prefix(23)))
    }

    @Test(arguments: [0, 1])
    func attributeLengthBelowTwoIsRefused(_ length: UInt8) {
        // Two good attributes, then a bad one at offset 42.
        let good: [UInt8] = [1, 5, 0x61, 0x62, 0x63] + [31, 17] + [UInt8](repeating: 0x30, count: 15)
        let bytes = Self.packet(good + [18, length, 0x41, 0x42])
        let error = Self.error(bytes)
        #expect(error?.kind == .malformedAttribute)
        #expect(error?.diagnostic == "attribute 18 at offset 42: length \(length) is below 2")
    }

    @Test func attributeRunningPastTheEndIsRefused() {
        let error = Self.error(Self.packet([1, 3, 0x61, 18, 10, 0x41]))
        #expect(error?.kind == .malformedAttribute)
        #expect(error?.diagnostic == "attribute 18 at offset 23: length 10 runs past the packet's end at 26")
    }

    @Test func aLoneTypeOctetAtTheEndIsRefused() {
        let error = Self.error(Self.packet([1, 3, 0x61, 18]))
        #expect(error?.kind == .malformedAttribute)
        #expect(error?.diagnostic == "attribute 18 at offset 23: no length octet before the end at 24")
    }

    @Test func attributesThatDoNotFillLengthExactlyAreRefused() {
        // Length says 24 but the attribute claims 5 octets: it would run past Length.
        let error = Self.error(Self.packet(length: 24, [1, 5, 0x61, 0x62, 0x63]))
        #expect(error?.kind == .malformedAttribute)
    }

    @Test(arguments: [0, 1, 15, 17, 30])
    func messageAuthenticatorOfWrongLengthIsRefused(_ count: Int) {
        let bytes = Self.packet([80, UInt8(count + 2)] + [UInt8](repeating: 0, count: count))
        let error = Self.error(bytes)
        #expect(error?.kind == .invalidMessageAuthenticator)
        #expect(error?.diagnostic == "Message-Authenticator at offset 20 has \(count) octets, not 16")
    }

    @Test func twoMessageAuthenticatorsAreRefused() {
        let ma: [UInt8] = [80, 18] + [UInt8](repeating: 0, count: 16)
        let error = Self.error(Self.packet(ma + [1, 3, 0x61] + ma))
        #expect(error?.kind == .invalidMessageAuthenticator)
        #expect(error?.diagnostic == "a second Message-Authenticator at offset 41")
    }

    @Test func emptyAttributesAndUnknownTypesAreKept() throws {
        let bytes = Self.packet([1, 2, 200, 4, 1, 2, 26, 6, 0, 0, 0, 9])
        let packet = try RADIUSPacket(decoding: bytes)
        #expect(packet.attributes == [
            RADIUSAttribute(.userName, []), RADIUSAttribute(RADIUSAttributeType(200), [1, 2]),
            RADIUSAttribute(.vendorSpecific, [0, 0, 0, 9]),
        ])
        #expect(try packet.encoded() == bytes)
    }

    @Test func theLargestPacketDecodes() throws {
        // 4096 octets: the header, 15 attributes of 255 octets and one of 251.
        var attributes: [UInt8] = []
        for index in 0..<15 { attributes += [26, 255] + [UInt8](repeating: UInt8(index), count: 253) }
        attributes += [1, 251] + [UInt8](repeating: 0x61, count: 249)
        let bytes = Self.packet(attributes)
        #expect(bytes.count == 4096)
        let packet = try RADIUSPacket(decoding: bytes)
        #expect(packet.attributes.count == 16)
        #expect(try packet.encoded() == bytes)
    }

    @Test func userNamesWithControlOctetsOrInvalidUTF8AreRefused() throws {
        for bad: [UInt8] in [[0x61, 0x00, 0x62], [0x61, 0x0a], [0x0d, 0x61], [0xff, 0xfe], [0xc3], []] {
            let packet = RADIUSPacket(
                code: .accessRequest, identifier: 1, authenticator: .zero, attributes: [RADIUSAttribute(.userName, bad)])
            #expect(throws: RADIUSWireError.self) { try packet.userName() }
        }
        let good = RADIUSPacket(
            code: .accessRequest, identifier: 1, authenticator: .zero,
            attributes: [RADIUSAttribute(.userName, text: "josé@example.com")])
        #expect(try good.userName() == "josé@example.com")
        #expect(try RADIUSPacket(code: .accessRequest, identifier: 1, authenticator: .zero).userName() == nil)
    }
}

/// What the encoder refuses to produce.
@Suite struct EncodingLimitTests {
    @Test func valuesOver253OctetsAreRefused() {
        let packet = RADIUSPacket(
            code: .accessAccept, identifier: 1, authenticator: .zero,
            attributes: [RADIUSAttribute(.class, [UInt8](repeating: 1, count: 254))])
        #expect {
            try packet.encoded()
        } throws: { ($0 as? RADIUSWireError)?.kind == .valueTooLong }
    }

    @Test func packetsOver4096OctetsAreRefused() {
        let packet = RADIUSPacket(
            code: .accessAccept, identifier: 1, authenticator: .zero,
            attributes: Array(repeating: RADIUSAttribute(.class, [UInt8](repeating: 1, count: 253)), count: 17))
        #expect {
            try packet.encoded()
        } throws: { ($0 as? RADIUSWireError)?.diagnostic == "the packet would have 4355 octets, above the maximum of 4096" }
    }
}
