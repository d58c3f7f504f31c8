import Policy
import RADIUSFront
import RADIUSWire
import Testing

/// From an authentic Access-Request to the reply: SECURITY.md's request-level refusals, and what
/// a reply carries.
@Suite struct LoginProcessorTests {
    static let device = IPAddress("192.0.2.10")!

    static func process(_ datagram: [UInt8], section: RADIUSServerSection = Fixtures.section()) async throws -> (RADIUSPacket, RADIUSLoginProcessor.Outcome) {
        var gate = RADIUSRequestGate(sections: [section])
        guard case .login(let login) = gate.receive(datagram, from: device, port: 1812, now: .now) else {
            throw GateRefused()
        }
        let outcome = await RADIUSLoginProcessor(sections: [section]).process(login)
        return (try RADIUSPacket(decoding: outcome.reply), outcome)
    }

    struct GateRefused: Error {}

    static func request(_ attributes: [RADIUSAttribute], authenticator: RADIUSAuthenticator = .random()) throws -> [UInt8] {
        try RADIUSPacket(code: .accessRequest, identifier: 3, authenticator: authenticator, attributes: attributes)
            .encodeRequest(secret: Fixtures.secret)
    }

    @Test func anAcceptCarriesMessageAuthenticatorFirstThePassThroughAndTheMessage() async throws {
        let datagram = Fixtures.accessRequest("alice", "secret,123456", extra: [RADIUSAttribute(.proxyState, [7]), RADIUSAttribute(.proxyState, [8])])
        let (reply, outcome) = try await Self.process(datagram)
        #expect(reply.code == .accessAccept)
        #expect(outcome.refusal == nil)
        #expect(reply.attributes.map(\.type) == [.messageAuthenticator, .class, .replyMessage, .proxyState, .proxyState])
        #expect(reply.all(.proxyState).map(\.value) == [[7], [8]])
        let request = try RADIUSPacket(decoding: datagram)
        #expect(try RADIUSPacket.verifyResponseAuthenticator(in: outcome.reply, requestAuthenticator: request.authenticator, secret: Fixtures.secret))
        #expect(try RADIUSPacket.checkMessageAuthenticator(in: outcome.reply, secret: Fixtures.secret, requestAuthenticator: request.authenticator) == .valid)
    }

    @Test func aRejectCarriesNoAuthorization() async throws {
        let (reply, _) = try await Self.process(Fixtures.accessRequest("alice", "secret,654321"))
        #expect(reply.code == .accessReject)
        #expect(reply.attributes.map(\.type) == [.messageAuthenticator, .replyMessage])
        #expect(reply[.replyMessage]?.text == "Incorrect passcode")
    }

    @Test(arguments: [
        ("no User-Name", [RADIUSAttribute(.userPassword, Array(repeating: 1, count: 16))], "the request has no User-Name"),
        ("NUL in User-Name", [RADIUSAttribute(.userName, Array("ali\u{0}ce".utf8)), RADIUSAttribute(.userPassword, Array(repeating: 1, count: 16))], "User-Name refused: the username contains the control character U+0000"),
        ("CR LF in User-Name", [RADIUSAttribute(.userName, Array("alice\r\nadmin".utf8)), RADIUSAttribute(.userPassword, Array(repeating: 1, count: 16))], "User-Name refused: the username contains the control character U+000D"),
        ("invalid UTF-8", [RADIUSAttribute(.userName, [0x61, 0xC3, 0x28]), RADIUSAttribute(.userPassword, Array(repeating: 1, count: 16))], "User-Name refused: the username is not valid UTF-8"),
        ("no password", [RADIUSAttribute(.userName, text: "alice")], "the request has no User-Password"),
        ("two passwords", [RADIUSAttribute(.userName, text: "alice"), RADIUSAttribute(.userPassword, Array(repeating: 1, count: 16)), RADIUSAttribute(.userPassword, Array(repeating: 1, count: 16))], "the request has 2 User-Password attributes"),
        ("password of 15 octets", [RADIUSAttribute(.userName, text: "alice"), RADIUSAttribute(.userPassword, Array(repeating: 1, count: 15))], nil),
        ("password of 144 octets", [RADIUSAttribute(.userName, text: "alice"), RADIUSAttribute(.userPassword, Array(repeating: 1, count: 144))], nil),
        ("CHAP", [RADIUSAttribute(.userName, text: "alice"), RADIUSAttribute(.chapPassword, Array(repeating: 1, count: 17))], nil),
        ("CHAP and PAP", [RADIUSAttribute(.userName, text: "alice"), RADIUSAttribute(.userPassword, Array(repeating: 1, count: 16)), RADIUSAttribute(.chapPassword, Array(repeating: 1, count: 17))], nil),
    ] as [(String, [RADIUSAttribute], String?)])
    func refusedBeforePolicy(_ label: String, _ attributes: [RADIUSAttribute], _ reason: String?) async throws {
        let (reply, outcome) = try await Self.process(try Self.request(attributes))
        #expect(reply.code == .accessReject, "\(label)")
        #expect(outcome.refusal != nil, "\(label)")
        if let reason { #expect(outcome.refusal == reason) }
        #expect(reply.attributes.first?.type == .messageAuthenticator)
    }

    @Test(arguments: [
        (RADIUSAttribute(.callingStationID, text: "198.51.100.7"), "198.51.100.7"),
        (RADIUSAttribute(.callingStationID, text: " 2001:db8::7 "), "2001:db8::7"),
        (RADIUSAttribute(.callingStationID, text: "00-11-22-33-44-55"), nil),
        (RADIUSAttribute(.framedIPAddress, integer: 0xC633_6407), nil),
    ] as [(RADIUSAttribute, String?)])
    func theClientAddressComesFromClientIPAttr(_ attribute: RADIUSAttribute, _ expected: String?) throws {
        let packet = RADIUSPacket(code: .accessRequest, identifier: 1, authenticator: .random(), attributes: [attribute])
        #expect(RADIUSLoginProcessor.clientAddress(packet, attribute: .callingStationID) == expected)
        #expect(RADIUSLoginProcessor.clientAddress(packet, attribute: .framedIPAddress) == (attribute.type == .framedIPAddress ? "198.51.100.7" : nil))
    }
}
