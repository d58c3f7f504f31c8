import RADIUSWire
import Testing

/// The example exchanges of RFC 2865 §7 (shared secret `xyzzy5461`).
@Suite struct RFC2865ExampleTests {
    static let secret = Array("xyzzy5461".utf8)

    // §7.1 User Telnet to Specified Host.
    static let telnetRequest = hex("""
        01 00 00 38 0f 40 3f 94 73 97 80 57 bd 83 d5 cb 98 f4 22 7a 01 06 6e 65 6d 6f 02 12 0d be 70 8d
        93 d4 13 ce 31 96 e4 3f 78 2a 0a ee 04 06 c0 a8 01 10 05 06 00 00 00 03
        """)
    static let telnetAccept = hex("""
        02 00 00 26 86 fe 22 0e 76 24 ba 2a 10 05 f6 bf 9b 55 e0 b2 06 06 00 00 00 01 0f 06 00 00 00 00
        0e 06 c0 a8 01 03
        """)
    // §7.2 Framed User Authenticating with CHAP.
    static let chapRequest = hex("""
        01 01 00 47 2a ee 86 f0 8d 0d 55 96 9c a5 97 8e 0d 33 67 a2 01 08 66 6c 6f 70 73 79 03 13 16 e9
        75 57 c3 16 18 58 95 f2 93 ff 63 44 07 72 75 04 06 c0 a8 01 10 05 06 00 00 00 14 06 06 00 00 00
        02 07 06 00 00 00 01
        """)
    // §7.3 User with Challenge-Response card: the Access-Challenge.
    static let challenge = hex("""
        0b 02 00 4e 36 f3 c8 76 4a e8 c7 11 57 40 3c 0c 71 ff 9c 45 12 30 43 68 61 6c 6c 65 6e 67 65 20
        33 32 37 36 39 34 33 30 2e 20 20 45 6e 74 65 72 20 72 65 73 70 6f 6e 73 65 20 61 74 20 70 72 6f
        6d 70 74 2e 18 0a 33 32 37 36 39 34 33 30
        """)

    @Test func telnetRequestDecodesAndItsPasswordIsArctangent() throws {
        let packet = try RADIUSPacket(decoding: Self.telnetRequest)
        #expect(packet.code == .accessRequest)
        #expect(packet.identifier == 0)
        #expect(packet.attributes.map(\.type) == [.userName, .userPassword, .nasIPAddress, .nasPort])
        #expect(try packet.userName() == "nemo")
        #expect(packet[.nasIPAddress]?.value == [192, 168, 1, 16])
        #expect(packet[.nasPort]?.integer == 3)
        let hidden = try #require(packet[.userPassword]).value
        let password = try RADIUSUserPassword.unhide(hidden, secret: Self.secret, authenticator: packet.authenticator)
        #expect(password == Array("arctangent".utf8))
        #expect(try RADIUSPassword.hideMatches(packet: packet, secret: Self.secret))
        #expect(try packet.encoded() == Self.telnetRequest)
    }

    @Test func telnetAcceptIsRebuiltByteForByte() throws {
        let request = try RADIUSPacket(decoding: Self.telnetRequest)
        let reply = RADIUSPacket.response(.accessAccept, to: request, attributes: [
            RADIUSAttribute(.serviceType, integer: 1),  // Login-User
            RADIUSAttribute(RADIUSAttributeType(15), integer: 0),  // Login-Service = Telnet
            RADIUSAttribute(RADIUSAttributeType(14), [192, 168, 1, 3]),  // Login-IP-Host
        ])
        // RFC 2865's example predates Message-Authenticator; without it the bytes must match exactly.
        let bytes = try reply.encodeResponse(
            to: request.authenticator, secret: Self.secret, messageAuthenticator: false)
        #expect(bytes == Self.telnetAccept)
        #expect(try RADIUSPacket.verifyResponseAuthenticator(
            in: Self.telnetAccept, requestAuthenticator: request.authenticator, secret: Self.secret))
        #expect(try !RADIUSPacket.verifyResponseAuthenticator(
            in: Self.telnetAccept, requestAuthenticator: request.authenticator, secret: Array("xyzzy5462".utf8)))
        #expect(try !RADIUSPacket.verifyResponseAuthenticator(
            in: Self.telnetAccept, requestAuthenticator: .zero, secret: Self.secret))
    }

    @Test func chapRequestDecodes() throws {
        let packet = try RADIUSPacket(decoding: Self.chapRequest)
        #expect(packet.identifier == 1)
        #expect(try packet.userName() == "flopsy")
        let chap = try #require(packet[.chapPassword]).value
        #expect(chap.count == 17)
        #expect(chap[0] == 22)
        #expect(packet.chapChallenge == packet.authenticator.bytes)
        #expect(packet[.nasPort]?.integer == 20)
        #expect(packet[.serviceType]?.integer == 2)
        #expect(packet[.framedProtocol]?.integer == 1)
        #expect(try packet.encoded() == Self.chapRequest)
    }

    @Test func challengeDecodesWithReplyMessageAndState() throws {
        let packet = try RADIUSPacket(decoding: Self.challenge)
        #expect(packet.code == .accessChallenge)
        #expect(packet[.replyMessage]?.text == "Challenge 32769430.  Enter response at prompt.")
        #expect(packet[.state]?.value == Array("32769430".utf8))
        #expect(try packet.encoded() == Self.challenge)
    }
}

/// Hides the decoded password again and compares with what was on the wire.
enum RADIUSPassword {
    static func hideMatches(packet: RADIUSPacket, secret: [UInt8]) throws -> Bool {
        let hidden = try #require(packet[.userPassword]).value
        let plain = try RADIUSUserPassword.unhide(hidden, secret: secret, authenticator: packet.authenticator)
        return try RADIUSUserPassword.hide(plain, secret: secret, authenticator: packet.authenticator) == hidden
    }
}
