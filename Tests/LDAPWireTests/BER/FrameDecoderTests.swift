import NIOCore
import Testing

@testable import LDAPWire

@Suite("LDAP frame decoder")
struct FrameDecoderTests {
    @Test func byteByByteYieldsNilUntilComplete() throws {
        let pdu = bytes(Captured.whoamiBind)
        var framer = LDAPFrameDecoder()
        var stream = ByteBuffer()
        for (index, byte) in pdu.enumerated() {
            stream.writeInteger(byte)
            let frame = try framer.next(from: &stream)
            if index < pdu.count - 1 {
                #expect(frame == nil)
                #expect(stream.readerIndex == 0, "a partial PDU leaves the reader index alone")
            } else {
                #expect(frame.map { Array($0.readableBytesView) } == pdu)
            }
        }
        #expect(stream.readableBytes == 0)
    }

    @Test func batchedAndSplitAtEveryPoint() throws {
        let stream = bytes(Captured.whoamiBind + Captured.whoamiRequest + Captured.unbind3)
        for split in 0...stream.count {
            var framer = LDAPFrameDecoder()
            var buffer = ByteBuffer(bytes: stream[..<split])
            var messages: [LDAPMessage] = []
            while let frame = try framer.next(from: &buffer) { messages.append(try LDAPMessage.decode(frame: frame)) }
            buffer.writeBytes(stream[split...])
            while let frame = try framer.next(from: &buffer) { messages.append(try LDAPMessage.decode(frame: frame)) }
            #expect(messages.map(\.messageID) == [1, 2, 3], "split at \(split)")
        }
    }

    @Test func longFormLengthsUpToFourOctetsAreAccepted() throws {
        // `30 84 00 00 00 05 ...`: non-minimal long-form lengths are valid BER (OpenLDAP used to send them).
        let pdu = bytes("3084000000060201034281" + "00")
        var framer = LDAPFrameDecoder()
        var stream = ByteBuffer(bytes: pdu)
        let frame = try #require(try framer.next(from: &stream))
        #expect(try LDAPMessage.decode(frame: frame) == LDAPMessage(messageID: 3, protocolOp: .unbindRequest))
    }

    /// SECURITY.md: outer length huge, indefinite, 5+ length octets, wrong outer tag: close without
    /// allocating. Only the header bytes are present: the body is never waited for.
    @Test(arguments: [
        ("3080", LDAPDecodingError.Kind.indefiniteLength),
        ("3085", .lengthFieldTooLong),
        ("3088ffffffffffffffff", .lengthFieldTooLong),
        ("3089000000000000000001", .lengthFieldTooLong),
        ("30ff", .lengthFieldTooLong),
        ("308480000000", .pduTooLarge),  // 2^31
        ("3084ffffffff", .pduTooLarge),
        ("308400100001", .pduTooLarge),  // 1 MiB + 1 content bytes
        ("3184", .wrongOuterTag),
        ("6000", .wrongOuterTag),
        ("00", .wrongOuterTag),
    ])
    func hostileHeadersCloseImmediately(hex: String, kind: LDAPDecodingError.Kind) throws {
        var framer = LDAPFrameDecoder()
        var stream = buffer(hex)
        let error = #expect(throws: LDAPDecodingError.self) { try framer.next(from: &stream) }
        #expect(error?.kind == kind)
        #expect(error?.disposition == .closeConnection)
        #expect(error?.resultCode == nil)
    }

    @Test func twoToTheSixtyThreeInEightOctetsIsRefusedAtTheLengthOfLength() throws {
        var framer = LDAPFrameDecoder()
        var stream = buffer("30888000000000000000")
        let error = #expect(throws: LDAPDecodingError.self) { try framer.next(from: &stream) }
        #expect(error?.diagnostics == "length field at offset 1 has 8 octets (at most 4)")
    }

    @Test func maximumPDUSizeIsTheCallers() throws {
        let pdu = bytes(Captured.whoamiBind)  // 60 bytes
        var framer = LDAPFrameDecoder(limits: LDAPLimits(maximumPDUSize: 59))
        var stream = ByteBuffer(bytes: pdu.prefix(2))
        let error = #expect(throws: LDAPDecodingError.self) { try framer.next(from: &stream) }
        #expect(error?.diagnostics == "PDU claims 60 bytes, more than the maximum of 59")
        framer.limits.maximumPDUSize = 60
        stream = ByteBuffer(bytes: pdu)
        #expect(try framer.next(from: &stream) != nil)
    }

    @Test func partialLengthFieldNeedsMoreBytes() throws {
        var framer = LDAPFrameDecoder()
        for hex in ["", "30", "3082", "308201"] {
            var stream = buffer(hex)
            #expect(try framer.next(from: &stream) == nil)
            #expect(stream.readerIndex == 0)
        }
    }
}
