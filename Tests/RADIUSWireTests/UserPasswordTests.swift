import RADIUSWire
import Testing

/// User-Password hiding (RFC 2865 §5.2) and CHAP-Password (RFC 2865 §5.3).
@Suite struct UserPasswordTests {
    static let secret = Array("xyzzy5461".utf8)

    @Test(arguments: [0, 1, 15, 16, 17, 31, 32, 100, 127, 128])
    func passwordsOfEveryLengthRoundTrip(_ length: Int) throws {
        let password = (0..<length).map { UInt8(0x21 + $0 % 90) }
        let authenticator = RADIUSAuthenticator.random()
        let hidden = try RADIUSUserPassword.hide(password, secret: Self.secret, authenticator: authenticator)
        #expect(hidden.count == max(16, (length + 15) / 16 * 16))
        #expect(hidden != password + [UInt8](repeating: 0, count: hidden.count - length))
        let plain = try RADIUSUserPassword.unhide(hidden, secret: Self.secret, authenticator: authenticator)
        #expect(plain == password)
    }

    @Test func passwordsOver128OctetsAreRefused() {
        #expect {
            try RADIUSUserPassword.hide([UInt8](repeating: 0x61, count: 129), secret: Self.secret, authenticator: .zero)
        } throws: { ($0 as? RADIUSWireError)?.kind == .invalidPassword }
    }

    @Test(arguments: [0, 1, 15, 17, 33, 144, 253])
    func hiddenValuesOfInvalidLengthAreRefused(_ length: Int) {
        #expect {
            try RADIUSUserPassword.unhide([UInt8](repeating: 1, count: length), secret: Self.secret, authenticator: .zero)
        } throws: {
            ($0 as? RADIUSWireError)?.diagnostic
                == "User-Password has \(length) octets; RFC 2865 §5.2 requires a multiple of 16 between 16 and 128"
        }
    }

    @Test func aWrongSecretGivesAnotherPassword() throws {
        let authenticator = RADIUSAuthenticator.random()
        let hidden = try RADIUSUserPassword.hide(Array("arctangent".utf8), secret: Self.secret, authenticator: authenticator)
        let other = try RADIUSUserPassword.unhide(hidden, secret: Array("wrong".utf8), authenticator: authenticator)
        #expect(other != Array("arctangent".utf8))
    }

    @Test func chapPasswordsVerify() throws {
        let challenge = (0..<16).map { UInt8($0 * 7) }
        let value = RADIUSCHAP.chapPassword(identifier: 9, password: Array("flopsy".utf8), challenge: challenge)
        #expect(value.count == 17)
        #expect(value[0] == 9)
        #expect(RADIUSCHAP.verify(chapPassword: value, challenge: challenge, password: Array("flopsy".utf8)))
        #expect(!RADIUSCHAP.verify(chapPassword: value, challenge: challenge, password: Array("mopsy".utf8)))
        #expect(!RADIUSCHAP.verify(chapPassword: value, challenge: Array(challenge.reversed()), password: Array("flopsy".utf8)))
        #expect(!RADIUSCHAP.verify(chapPassword: Array(value.prefix(16)), challenge: challenge, password: Array("flopsy".utf8)))
    }

    @Test func chapChallengeAttributeWinsOverTheAuthenticator() {
        var packet = RADIUSPacket(code: .accessRequest, identifier: 1, authenticator: .random())
        #expect(packet.chapChallenge == packet.authenticator.bytes)
        packet.attributes.append(RADIUSAttribute(.chapChallenge, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]))
        #expect(packet.chapChallenge == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    }
}
