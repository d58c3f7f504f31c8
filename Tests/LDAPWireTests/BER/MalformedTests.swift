import NIOCore
import Testing

@testable import LDAPWire

/// SECURITY.md's LDAP list, PDU by PDU: each malformed input gives a typed error with its disposition.
@Suite("LDAP malformed PDUs")
struct MalformedTests {
    /// `LDAPMessage { messageID, protocolOp }` from raw parts.
    func message(_ op: [UInt8], id: [UInt8] = tlv(0x02, [1])) -> [UInt8] { tlv(0x30, id + op) }

    func expectError(
        _ pdu: [UInt8], _ kind: LDAPDecodingError.Kind, _ disposition: LDAPDecodingError.Disposition,
        diagnostics: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let error = decodingError(pdu)
        #expect(error?.kind == kind, "\(String(describing: error))", sourceLocation: sourceLocation)
        #expect(error?.disposition == disposition, sourceLocation: sourceLocation)
        if let diagnostics {
            #expect(error?.diagnostics == diagnostics, sourceLocation: sourceLocation)
        }
    }

    @Test func innerTLVLongerThanItsParent() {
        // BindRequest claims 0x35 bytes but the message holds fewer.
        var pdu = bytes(Captured.whoamiBind)
        pdu[6] = 0x7f
        expectError(pdu, .truncated, .noticeOfDisconnection(.protocolError),
                    diagnostics: "element at offset 5 claims 127 content bytes but its parent has 53 left")
    }

    @Test func innerLengthsClaimingHugeSizes() {
        for length in ["84ffffffff", "8480000000", "887fffffffffffffff", "80"] {
            let pdu = tlv(0x30, tlv(0x02, [1]) + bytes("60" + length) + bytes("020103"))
            let error = decodingError(pdu)
            #expect(error != nil)
            #expect(error?.disposition == .noticeOfDisconnection(.protocolError), "\(length): \(String(describing: error))")
        }
        expectError(tlv(0x30, tlv(0x02, [1]) + bytes("6080") + bytes("0201030000")), .indefiniteLength,
                    .noticeOfDisconnection(.protocolError))
        expectError(tlv(0x30, tlv(0x02, [1]) + bytes("6085ffffffffff")), .lengthFieldTooLong,
                    .noticeOfDisconnection(.protocolError))
    }

    @Test func wholePDUChecksTheOuterElementToo() {
        expectError(bytes("30800201014200" + "0000"), .indefiniteLength, .noticeOfDisconnection(.protocolError))
        expectError(bytes("310502010142" + "00"), .wrongOuterTag, .closeConnection)
        var limits = LDAPLimits()
        limits.maximumPDUSize = 10
        #expect(decodingError(bytes(Captured.whoamiBind), limits: limits)?.kind == .pduTooLarge)
    }

    @Test func constructedOctetStringIsRefused() {
        // name LDAPDN as a constructed OCTET STRING (0x24) of two primitive pieces.
        let name = tlv(0x24, octets("cn=") + octets("x"))
        let pdu = message(tlv(0x60, tlv(0x02, [3]) + name + octets("pw", tag: 0x80)))
        let error = decodingError(pdu)
        // The tag 0x24 is [UNIVERSAL 4] constructed: BindRequest.name must be a primitive string.
        #expect(error?.kind == .constructedString)
        #expect(error?.disposition == .noticeOfDisconnection(.protocolError))
        // A constructed simple password ([0] constructed, 0xa0).
        let password = tlv(0xa0, octets("pw"))
        #expect(decodingError(message(tlv(0x60, tlv(0x02, [3]) + octets("cn=x") + password)))?.kind == .constructedString)
    }

    @Test func trailingGarbage() {
        expectError(bytes(Captured.unbind3) + [0x00], .trailingBytes, .noticeOfDisconnection(.protocolError),
                    diagnostics: "1 bytes after the LDAPMessage at offset 7")
        // Bytes inside the SEQUENCE that are no TLV.
        expectError(message(bytes("4200") + [0x05]), .truncated, .noticeOfDisconnection(.protocolError))
        // A trailing component with a tag LDAPMessage uses (a second protocolOp) is out of place...
        expectError(message(bytes("4200") + bytes("4200")), .unexpectedElement, .noticeOfDisconnection(.protocolError))
        // ...while unknown trailing components are ignored (RFC 4511 §4).
        #expect((try? LDAPMessage.decode(bytes: message(bytes("4200") + bytes("8100")))) != nil)
    }

    @Test(arguments: [
        ([UInt8]([0x00]), "0"),
        ([0xff], "-1"),
        ([0x80, 0x00, 0x00, 0x00], "-2147483648"),
        ([0x00, 0x80, 0x00, 0x00, 0x00], "2147483648"),
        ([0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], "9223372036854775807"),
    ])
    func messageIDOutsideItsRange(id: [UInt8], shown: String) {
        expectError(message(bytes("4200"), id: tlv(0x02, id)), .messageIDOutOfRange,
                    .noticeOfDisconnection(.protocolError), diagnostics: "messageID \(shown) is outside 1...2147483647")
    }

    @Test func messageIDExtremes() throws {
        #expect(try LDAPMessage.decode(bytes: message(bytes("4200"), id: tlv(0x02, [0x7f, 0xff, 0xff, 0xff]))).messageID == .max)
        let max = LDAPMessage(messageID: .max, protocolOp: .unbindRequest)
        #expect(try LDAPMessage.decode(bytes: max.encodedBytes()) == max)
        // More than 8 octets, and non-minimal encodings.
        #expect(decodingError(message(bytes("4200"), id: tlv(0x02, Array(repeating: 1, count: 9))))?.kind == .invalidInteger)
        #expect(decodingError(message(bytes("4200"), id: tlv(0x02, [0x00, 0x01])))?.kind == .invalidInteger)
        #expect(decodingError(message(bytes("4200"), id: tlv(0x02, [])))?.kind == .invalidInteger)
        #expect(decodingError(message(bytes("4200"), id: tlv(0x04, [1])))?.kind == .unexpectedElement)
    }

    @Test func unknownOperationAndUnsupportedTags() {
        expectError(message(bytes("7f2000")), .unsupportedTag, .noticeOfDisconnection(.protocolError))
        expectError(message(bytes("5100")), .unknownOperation, .noticeOfDisconnection(.protocolError),
                    diagnostics: "protocolOp [APPLICATION 17] is no LDAP operation")
        expectError(message(bytes("0000")), .unsupportedTag, .noticeOfDisconnection(.protocolError))
        expectError(message([]), .missingElement, .noticeOfDisconnection(.protocolError))
    }

    @Test func invalidUTF8InTheBindDN() {
        let pdu = message(tlv(0x60, tlv(0x02, [3]) + tlv(0x04, [0x63, 0x6e, 0x3d, 0xff, 0xfe]) + octets("pw", tag: 0x80)))
        expectError(pdu, .invalidUTF8, .noticeOfDisconnection(.protocolError),
                    diagnostics: "BindRequest.name is not valid UTF-8")
    }

    @Test func primitiveWhereASequenceBelongs() {
        expectError(message(bytes("2000")), .unsupportedTag, .noticeOfDisconnection(.protocolError))
        expectError(message(bytes("2100")), .unknownOperation, .noticeOfDisconnection(.protocolError))
        expectError(message(tlv(0x40, [0x02, 0x01, 0x03])), .primitiveSequence, .noticeOfDisconnection(.protocolError))
    }

    @Test func booleanOfWrongLength() {
        let search = message(tlv(0x63, octets("") + tlv(0x0a, [2]) + tlv(0x0a, [0]) + tlv(0x02, [0]) + tlv(0x02, [0])
            + tlv(0x01, [0, 0]) + octets("cn", tag: 0x87) + tlv(0x30, [])))
        expectError(search, .invalidBoolean, .noticeOfDisconnection(.protocolError))
    }

    @Test func nestingBeyondTheCallersDepth() {
        var nested = octets("x")
        for _ in 0..<60 { nested = tlv(0x30, nested) }
        let pdu = message(tlv(0x77, octets("1.2.3", tag: 0x80) + tlv(0xa1, nested)))
        var limits = LDAPLimits()
        limits.maximumDepth = 10
        let error = decodingError(pdu, limits: limits)
        #expect(error?.kind == .tooDeep)
        #expect(error?.diagnostics.hasSuffix("is nested deeper than 10 levels") == true)
        // 60 levels also exceed the parser's own cap of 50 when the caller asks for more.
        limits.maximumDepth = 1000
        #expect(decodingError(pdu, limits: limits)?.kind == .tooDeep)
    }

    @Test func errorDescriptionsNameTheMessage() throws {
        var pdu = bytes(Captured.whoamiBind)
        pdu[9] = 0x05
        let error = try #require(decodingError(pdu))
        #expect(error.description == "LDAPDecodingError.unsupportedVersion: BindRequest version 5 is not 3 (messageID 1, BindRequest)")
    }
}
