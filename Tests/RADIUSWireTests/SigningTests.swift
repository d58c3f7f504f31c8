import RADIUSWire
import Testing

/// Message-Authenticator (RFC 3579 §3.2), Request and Response Authenticators (RFC 2865 §3,
/// RFC 2866 §3, RFC 5176 §2.3), and Proxy-State echoing (RFC 2865 §5.33).
@Suite struct SigningTests {
    static let secret = Array("a shared secret of some length".utf8)

    static func accessRequest(_ extra: [RADIUSAttribute] = []) throws -> RADIUSPacket {
        let authenticator = RADIUSAuthenticator.random()
        let hidden = try RADIUSUserPassword.hide(Array("correct horse".utf8), secret: secret, authenticator: authenticator)
        return RADIUSPacket(
            code: .accessRequest, identifier: 42, authenticator: authenticator,
            attributes: [RADIUSAttribute(.userName, text: "alice"), RADIUSAttribute(.userPassword, hidden)] + extra)
    }

    @Test func requestsGetAMessageAuthenticatorFirstThatVerifies() throws {
        let request = try Self.accessRequest()
        let bytes = try request.encodeRequest(secret: Self.secret)
        let decoded = try RADIUSPacket(decoding: bytes)
        #expect(decoded.attributes.first?.type == .messageAuthenticator)
        #expect(decoded.count(of: .messageAuthenticator) == 1)
        #expect(decoded.authenticator == request.authenticator)
        #expect(Array(decoded.attributes.dropFirst()) == request.attributes)
        #expect(try RADIUSPacket.checkMessageAuthenticator(in: bytes, secret: Self.secret) == .valid)
        #expect(try RADIUSPacket.checkMessageAuthenticator(in: bytes, secret: Array("other".utf8)) == .invalid)
    }

    @Test func anExistingMessageAuthenticatorIsReplacedNotDuplicated() throws {
        let request = try Self.accessRequest([RADIUSAttribute(.messageAuthenticator, [UInt8](repeating: 7, count: 16))])
        let decoded = try RADIUSPacket(decoding: try request.encodeRequest(secret: Self.secret))
        #expect(decoded.count(of: .messageAuthenticator) == 1)
        #expect(decoded.attributes.first?.type == .messageAuthenticator)
    }

    @Test func everyFlippedBitIsDetected() throws {
        let bytes = try Self.accessRequest().encodeRequest(secret: Self.secret)
        for index in bytes.indices where !(2...3).contains(index) {  // Length changes are caught by decoding
            for bit in 0..<8 {
                var tampered = bytes
                tampered[index] ^= 1 << bit
                let status = try? RADIUSPacket.checkMessageAuthenticator(in: tampered, secret: Self.secret)
                // Flipping the MA's own type octet makes it absent (or malformed); otherwise invalid.
                #expect(status != .valid, "bit \(bit) of octet \(index)")
            }
        }
    }

    @Test func packetsWithoutOneReportAbsent() throws {
        let bytes = try Self.accessRequest().encodeRequest(secret: Self.secret, messageAuthenticator: false)
        #expect(try RADIUSPacket(decoding: bytes)[.messageAuthenticator] == nil)
        #expect(try RADIUSPacket.checkMessageAuthenticator(in: bytes, secret: Self.secret) == .absent)
    }

    @Test(arguments: [RADIUSCode.accessAccept, .accessReject, .accessChallenge])
    func repliesCarryMessageAuthenticatorFirstAndBothAuthenticatorsVerify(_ code: RADIUSCode) throws {
        let request = try Self.accessRequest([
            RADIUSAttribute(.proxyState, [1, 2, 3]), RADIUSAttribute(.nasIdentifier, text: "vpn"),
            RADIUSAttribute(.proxyState, [4]),
        ])
        let reply = RADIUSPacket.response(code, to: request, attributes: RADIUSAttribute.replyMessages("Welcome"))
        let bytes = try reply.encodeResponse(to: request.authenticator, secret: Self.secret)
        let decoded = try RADIUSPacket(decoding: bytes)
        #expect(decoded.code == code)
        #expect(decoded.identifier == 42)
        #expect(decoded.attributes.map(\.type) == [.messageAuthenticator, .replyMessage, .proxyState, .proxyState])
        #expect(decoded.proxyStates == [[1, 2, 3], [4]])
        #expect(try RADIUSPacket.checkMessageAuthenticator(
            in: bytes, secret: Self.secret, requestAuthenticator: request.authenticator) == .valid)
        #expect(try RADIUSPacket.checkMessageAuthenticator(
            in: bytes, secret: Self.secret, requestAuthenticator: .random()) == .invalid)
        #expect(try RADIUSPacket.verifyResponseAuthenticator(
            in: bytes, requestAuthenticator: request.authenticator, secret: Self.secret))
        #expect(try !RADIUSPacket.verifyResponseAuthenticator(
            in: bytes, requestAuthenticator: .random(), secret: Self.secret))
    }

    @Test func accessRejectsCarryOnlyWhatRFC5080Allows() throws {
        let request = try Self.accessRequest([RADIUSAttribute(.proxyState, [9])])
        let attributes = [
            RADIUSAttribute(.class, Array("staff".utf8)), RADIUSAttribute(.replyMessage, text: "Denied"),
            RADIUSAttribute(.filterID, text: "full-access"), RADIUSAttribute(.errorCause, integer: 404),
            try RADIUSDictionary.standard.attribute(named: "Juniper-Local-User-Name", value: "admin"),
        ]
        let reject = RADIUSPacket.response(.accessReject, to: request, attributes: attributes)
        #expect(reject.attributes.map(\.type) == [.replyMessage, .errorCause, .proxyState])
        let accept = RADIUSPacket.response(.accessAccept, to: request, attributes: attributes)
        #expect(accept.attributes.count == attributes.count + 1)
    }

    @Test func proxyStateGivenInReplyAttributesIsNotDuplicated() throws {
        let request = try Self.accessRequest([RADIUSAttribute(.proxyState, [9])])
        let reply = RADIUSPacket.response(.accessAccept, to: request, attributes: [RADIUSAttribute(.proxyState, [8])])
        #expect(reply.proxyStates == [[9]])
    }

    @Test(arguments: [RADIUSCode.accountingRequest, .coaRequest, .disconnectRequest])
    func computedRequestAuthenticatorsAndTheirMessageAuthenticatorVerify(_ code: RADIUSCode) throws {
        let request = RADIUSPacket(
            code: code, identifier: 3, authenticator: .random(),
            attributes: [RADIUSAttribute(.userName, text: "bob"), RADIUSAttribute(.acctSessionID, text: "s-1")])
        let bytes = try request.encodeRequest(secret: Self.secret)
        #expect(try RADIUSPacket.verifyRequestAuthenticator(in: bytes, secret: Self.secret))
        #expect(try !RADIUSPacket.verifyRequestAuthenticator(in: bytes, secret: Array("wrong".utf8)))
        #expect(try RADIUSPacket.checkMessageAuthenticator(in: bytes, secret: Self.secret) == .valid)
    }

    @Test func statusServerKeepsItsRandomAuthenticator() throws {
        let authenticator = RADIUSAuthenticator.random()
        let request = RADIUSPacket(code: .statusServer, identifier: 1, authenticator: authenticator)
        let bytes = try request.encodeRequest(secret: Self.secret)
        #expect(try RADIUSPacket(decoding: bytes).authenticator == authenticator)
        #expect(try RADIUSPacket.checkMessageAuthenticator(in: bytes, secret: Self.secret) == .valid)
    }

    @Test func randomAuthenticatorsDiffer() {
        let authenticators = Set((0..<1000).map { _ in RADIUSAuthenticator.random() })
        #expect(authenticators.count == 1000)
    }

    @Test func authenticatorsMustBeSixteenOctets() throws {
        #expect(throws: RADIUSWireError.self) { try RADIUSAuthenticator([UInt8](repeating: 0, count: 15)) }
        let bytes = (0..<16).map { UInt8($0) }
        #expect(try RADIUSAuthenticator(bytes).bytes == bytes)
        #expect(try RADIUSAuthenticator(bytes).description == "0x000102030405060708090a0b0c0d0e0f")
    }
}
