import RADIUSWire
import TestSupport
import Testing

/// RADIUSWire as a client of a real FreeRADIUS server: what it encodes (hidden password, CHAP,
/// Message-Authenticator, Status-Server) is accepted, and FreeRADIUS's replies decode and verify.
@Suite struct FreeRADIUSServerInteropTests {
    static let secret = "freeradius-interop-secret"
    static let users: [FreeRADIUSPeer.User] = [
        .init("alice", password: "correct horse", reply: [
            .init("Reply-Message", "Hello alice"), .init("Class", "staff"),
            .init("Session-Timeout", "3600"), .init("Juniper-Local-User-Name", "ops"),
        ]),
        .init("bob", password: "chap-secret"),
    ]

    static func accessRequest(user: String, password: String, secret: [UInt8]) throws -> RADIUSPacket {
        let authenticator = RADIUSAuthenticator.random()
        return RADIUSPacket(code: .accessRequest, identifier: UInt8.random(in: 0...255), authenticator: authenticator, attributes: [
            RADIUSAttribute(.userName, text: user),
            RADIUSAttribute(.userPassword, try RADIUSUserPassword.hide(Array(password.utf8), secret: secret, authenticator: authenticator)),
            RADIUSAttribute(.nasIdentifier, text: "twofold-test"),
        ])
    }

    @Test(.enabled(if: Peers.shouldRun("freeradius")), .timeLimit(.minutes(1)))
    func papLoginsAreAcceptedAndRejectedAndRepliesVerify() async throws {
        let server = try await FreeRADIUSPeer.start(secret: Self.secret, users: Self.users, requireMessageAuthenticator: true)
        defer { Task { await server.stop() } }
        let secret = Array(Self.secret.utf8)

        let request = try Self.accessRequest(user: "alice", password: "correct horse", secret: secret)
        let answer = try await UDPExchange.send(try request.encodeRequest(secret: secret), to: server.port)
        let reply = try RADIUSPacket(decoding: answer)
        #expect(reply.code == .accessAccept, "\(server.transcript)")
        #expect(reply.identifier == request.identifier)
        #expect(try RADIUSPacket.verifyResponseAuthenticator(in: answer, requestAuthenticator: request.authenticator, secret: secret))
        // FreeRADIUS 3.2.1 sends no Message-Authenticator in replies (see FreeRADIUSPeer).
        #expect(try RADIUSPacket.checkMessageAuthenticator(in: answer, secret: secret, requestAuthenticator: request.authenticator) == .absent)
        #expect(reply[.replyMessage]?.text == "Hello alice")
        #expect(reply[.class]?.value == Array("staff".utf8))
        #expect(reply[.sessionTimeout]?.integer == 3600)
        #expect(reply.vendorAttributes(RADIUSVendorSpecific.juniper).first?.value == Array("ops".utf8))
        let shown = reply.attributes.flatMap { RADIUSDictionary.standard.present($0) }.map(\.description)
        #expect(shown.contains(#"Juniper-Local-User-Name = "ops""#))

        let wrong = try Self.accessRequest(user: "alice", password: "battery staple", secret: secret)
        let rejected = try await UDPExchange.send(try wrong.encodeRequest(secret: secret), to: server.port)
        #expect(try RADIUSPacket(decoding: rejected).code == .accessReject)
        #expect(try RADIUSPacket.verifyResponseAuthenticator(in: rejected, requestAuthenticator: wrong.authenticator, secret: secret))
    }

    @Test(.enabled(if: Peers.shouldRun("freeradius")), .timeLimit(.minutes(1)))
    func longPasswordsAndCHAPAreAccepted() async throws {
        let long = String(repeating: "p4ss-", count: 20)  // 100 octets: seven 16-octet blocks
        let server = try await FreeRADIUSPeer.start(
            secret: Self.secret, users: Self.users + [.init("carol", password: long)])
        defer { Task { await server.stop() } }
        let secret = Array(Self.secret.utf8)

        let request = try Self.accessRequest(user: "carol", password: long, secret: secret)
        let answer = try await UDPExchange.send(try request.encodeRequest(secret: secret), to: server.port)
        #expect(try RADIUSPacket(decoding: answer).code == .accessAccept, "\(server.transcript)")

        let authenticator = RADIUSAuthenticator.random()
        let chap = RADIUSPacket(code: .accessRequest, identifier: 9, authenticator: authenticator, attributes: [
            RADIUSAttribute(.userName, text: "bob"),
            RADIUSAttribute(.chapPassword, RADIUSCHAP.chapPassword(
                identifier: 33, password: Array("chap-secret".utf8), challenge: authenticator.bytes)),
        ])
        let chapAnswer = try await UDPExchange.send(try chap.encodeRequest(secret: secret), to: server.port)
        #expect(try RADIUSPacket(decoding: chapAnswer).code == .accessAccept, "\(server.transcript)")
    }

    @Test(.enabled(if: Peers.shouldRun("freeradius")), .timeLimit(.minutes(1)))
    func statusServerIsAnswered() async throws {
        let server = try await FreeRADIUSPeer.start(secret: Self.secret, users: Self.users)
        defer { Task { await server.stop() } }
        let secret = Array(Self.secret.utf8)
        let status = RADIUSPacket(code: .statusServer, identifier: 1, authenticator: .random())
        let answer = try await UDPExchange.send(try status.encodeRequest(secret: secret), to: server.port)
        #expect(try RADIUSPacket(decoding: answer).code == .accessAccept)
        #expect(try RADIUSPacket.verifyResponseAuthenticator(in: answer, requestAuthenticator: status.authenticator, secret: secret))
    }

    @Test(.enabled(if: Peers.shouldRun("freeradius")), .timeLimit(.minutes(1)))
    func aForgedMessageAuthenticatorIsDropped() async throws {
        let server = try await FreeRADIUSPeer.start(secret: Self.secret, users: Self.users, requireMessageAuthenticator: true)
        defer { Task { await server.stop() } }
        let secret = Array(Self.secret.utf8)
        let request = try Self.accessRequest(user: "alice", password: "correct horse", secret: secret)
        var bytes = try request.encodeRequest(secret: secret)
        bytes[22] ^= 0x01  // the first octet of the Message-Authenticator value, placed first
        await #expect(throws: UDPExchange.NoAnswer.self) {
            _ = try await UDPExchange.send(bytes, to: server.port, timeout: .seconds(2))
        }
        try await server.waitForLog(containing: "invalid Message-Authenticator")
    }
}
