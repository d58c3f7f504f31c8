import Foundation
import RADIUSWire
import TestSupport
import Testing

/// Real RADIUS clients against RADIUSWire: what `radclient` and `pyrad` send decodes, and the
/// replies RADIUSWire builds (Message-Authenticator first, Response Authenticator) are accepted.
@Suite(.serialized) struct RADIUSClientInteropTests {
    static let secret = "interop-secret-0123456789"

    /// What a test listener saw, and how it answers: Access-Accept with a Reply-Message naming
    /// the password it recovered, or a reply with a broken authenticator when asked.
    struct Capture: Sendable {
        var packet: RADIUSPacket
        var password: [UInt8]?
        var chapValid: Bool?
        var messageAuthenticator: RADIUSMessageAuthenticatorCheck
    }

    static func startListener(
        corruptReply: Bool = false,
        captures: Locked<[Capture]>
    ) async throws -> UDPResponder {
        let secret = Array(Self.secret.utf8)
        return try await UDPResponder.start { datagram in
            guard let request = try? RADIUSPacket(decoding: datagram) else { return nil }
            var password: [UInt8]?
            if let hidden = request[.userPassword] {
                password = try? RADIUSUserPassword.unhide(hidden.value, secret: secret, authenticator: request.authenticator)
            }
            var chapValid: Bool?
            if let chap = request[.chapPassword] {
                chapValid = RADIUSCHAP.verify(chapPassword: chap.value, challenge: request.chapChallenge, password: Array("chap-pass".utf8))
            }
            let check = (try? RADIUSPacket.checkMessageAuthenticator(in: datagram, secret: secret)) ?? .invalid
            captures.withLock {
                $0.append(Capture(packet: request, password: password, chapValid: chapValid, messageAuthenticator: check))
            }
            let reply = RADIUSPacket.response(.accessAccept, to: request, attributes: [
                RADIUSAttribute(.class, Array("twofold-class".utf8)),
                RADIUSAttribute(.sessionTimeout, integer: 3600),
            ] + RADIUSAttribute.replyMessages("Welcome \(String(decoding: password ?? [], as: UTF8.self))"))
            guard var bytes = try? reply.encodeResponse(to: request.authenticator, secret: secret) else { return nil }
            if corruptReply { bytes[4] ^= 0xff }
            return bytes
        }
    }

    @Test(.enabled(if: Peers.shouldRun("radclient")), .timeLimit(.minutes(1)))
    func radclientAccessRequestDecodesAndOurAcceptIsAccepted() async throws {
        let captures = Locked<[Capture]>([])
        let listener = try await Self.startListener(captures: captures)
        defer { Task { await listener.stop() } }
        let radclient = try Peers.tool("radclient")
        let input = """
            User-Name = "alice@example.com", User-Password = "correct horse battery", NAS-Identifier = "vpn-1", \
            Calling-Station-Id = "192.0.2.7", Proxy-State = 0x0102, Proxy-State = 0x03
            """
        let result = try await PeerProcess.run(
            radclient, ["-x", "-r", "1", "-t", "5", "127.0.0.1:\(listener.port)", "auth", Self.secret],
            stdin: Data(input.utf8))
        #expect(result.status == 0, "radclient: \(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("Received Access-Accept"))
        #expect(result.stdout.contains("Welcome correct horse battery"))
        #expect(result.stdout.contains("Session-Timeout = 3600"))

        let capture = try #require(captures.withLock { $0.first })
        #expect(capture.packet.code == .accessRequest)
        #expect(try capture.packet.userName() == "alice@example.com")
        #expect(capture.password == Array("correct horse battery".utf8))
        #expect(capture.packet[.nasIdentifier]?.text == "vpn-1")
        #expect(capture.packet[.callingStationID]?.text == "192.0.2.7")
        #expect(capture.packet.proxyStates == [[1, 2], [3]])
        // radclient 3.2.1 adds Message-Authenticator to Access-Requests; if it does, it is valid.
        #expect(capture.messageAuthenticator != .invalid)
        // The captured bytes re-encode exactly.
        let datagram = try #require(listener.datagrams.first)
        #expect(try capture.packet.encoded() == datagram)
    }

    @Test(.enabled(if: Peers.shouldRun("radclient")), .timeLimit(.minutes(1)))
    func radclientCHAPRequestVerifies() async throws {
        let captures = Locked<[Capture]>([])
        let listener = try await Self.startListener(captures: captures)
        defer { Task { await listener.stop() } }
        let result = try await PeerProcess.run(
            try Peers.tool("radclient"), ["-x", "-r", "1", "-t", "5", "127.0.0.1:\(listener.port)", "auth", Self.secret],
            stdin: Data(#"User-Name = "bob", CHAP-Password = "chap-pass""#.utf8))
        #expect(result.status == 0, "radclient: \(result.stdout)\n\(result.stderr)")
        let capture = try #require(captures.withLock { $0.first })
        #expect(capture.chapValid == true)
        #expect(capture.password == nil)
    }

    @Test(.enabled(if: Peers.shouldRun("radclient")), .timeLimit(.minutes(1)))
    func radclientRejectsAReplyWithABrokenAuthenticator() async throws {
        // The control for the test above: radclient does check what we send.
        let captures = Locked<[Capture]>([])
        let listener = try await Self.startListener(corruptReply: true, captures: captures)
        defer { Task { await listener.stop() } }
        let result = try await PeerProcess.run(
            try Peers.tool("radclient"), ["-x", "-r", "1", "-t", "10", "127.0.0.1:\(listener.port)", "auth", Self.secret],
            stdin: Data(#"User-Name = "alice", User-Password = "x""#.utf8))
        #expect(result.status != 0)
        #expect(!result.stdout.contains("Received Access-Accept"))
        // It got our reply and refused it (not a timeout: radclient waits 10 s, a loaded machine
        // answers well within that).
        #expect(result.stderr.contains("invalid Response Authenticator"), "\(result.stdout)\n\(result.stderr)")
        try await Wait.until("the listener saw the request", timeout: .seconds(30)) { captures.withLock { $0.count } >= 1 }
    }

    @Test(.enabled(if: Peers.shouldRunPython), .timeLimit(.minutes(1)))
    func pyradRequestDecodesAndOurReplyPassesItsChecks() async throws {
        let captures = Locked<[Capture]>([])
        let listener = try await Self.startListener(captures: captures)
        defer { Task { await listener.stop() } }
        let result = try await PyradScript.run(mode: "client", port: listener.port, secret: Self.secret)
        #expect(result.status == 0, "pyrad: \(result.stdout)\n\(result.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(report?["code"] as? Int == 2)
        #expect(report?["verified"] as? Bool == true)
        #expect(report?["reply_message"] as? String == "Welcome pyrad-pass")
        #expect(report?["first_attribute"] as? Int == 80)

        let capture = try #require(captures.withLock { $0.first })
        #expect(try capture.packet.userName() == "carol")
        #expect(capture.password == Array("pyrad-pass".utf8))
        #expect(capture.messageAuthenticator == .valid)
        #expect(capture.packet.vendorAttributes(RADIUSVendorSpecific.juniper).first?.value == Array("ops".utf8))
    }

    @Test(.enabled(if: Peers.shouldRunPython), .timeLimit(.minutes(1)))
    func pyradParsesAndVerifiesWhatWeEncode() async throws {
        // Our client side: an Access-Request with hidden password and Message-Authenticator, and a
        // reply to it, both checked by pyrad's own parser.
        let secret = Array(Self.secret.utf8)
        let authenticator = RADIUSAuthenticator.random()
        let request = RADIUSPacket(code: .accessRequest, identifier: 77, authenticator: authenticator, attributes: [
            RADIUSAttribute(.userName, text: "dave"),
            RADIUSAttribute(.userPassword, try RADIUSUserPassword.hide(Array("swordfish".utf8), secret: secret, authenticator: authenticator)),
            try RADIUSDictionary.standard.attribute(named: "Juniper-Local-User-Name", value: "ops"),
        ])
        let requestBytes = try request.encodeRequest(secret: secret)
        let replyBytes = try RADIUSPacket.response(
            .accessReject, to: request, attributes: RADIUSAttribute.replyMessages("Denied")
        ).encodeResponse(to: authenticator, secret: secret)
        let result = try await PyradScript.run(
            mode: "parse", port: 0, secret: Self.secret, extra: [Self.hexString(requestBytes), Self.hexString(replyBytes)])
        #expect(result.status == 0, "pyrad: \(result.stdout)\n\(result.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(report?["user_name"] as? String == "dave")
        #expect(report?["password"] as? String == "swordfish")
        #expect(report?["request_ma_valid"] as? Bool == true)
        #expect(report?["juniper_user"] as? String == "ops")
        #expect(report?["reply_valid"] as? Bool == true)
        #expect(report?["reply_code"] as? Int == 3)
    }

    static func hexString(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}

/// The pyrad side of the interop tests, as one Python script with two modes.
enum PyradScript {
    static let script = #"""
        import json, socket, sys
        from pyrad.dictionary import Dictionary
        from pyrad import packet

        mode, port, secret, dictionary = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode(), Dictionary(sys.argv[-1])

        if mode == "client":
            request = packet.AuthPacket(code=packet.AccessRequest, id=5, secret=secret, dict=dictionary)
            request["User-Name"] = "carol"
            request["User-Password"] = request.PwCrypt("pyrad-pass")
            request["NAS-Identifier"] = "vpn-2"
            request["Juniper-Local-User-Name"] = "ops"
            request.add_message_authenticator()
            raw_request = request.RequestPacket()
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.settimeout(10)
            sock.sendto(raw_request, ("127.0.0.1", port))
            raw = sock.recv(4096)
            reply = request.CreateReply(packet=raw)
            verified = request.VerifyReply(reply, raw, enforce_ma=True)
            print(json.dumps({
                "code": reply.code,
                "verified": bool(verified),
                "reply_message": reply["Reply-Message"][0],
                "first_attribute": raw[20],
            }))
        elif mode == "parse":
            raw_request, raw_reply = bytes.fromhex(sys.argv[4]), bytes.fromhex(sys.argv[5])
            request = packet.AuthPacket(packet=raw_request, secret=secret, dict=dictionary)
            reply = request.CreateReply(packet=raw_reply)
            print(json.dumps({
                "user_name": request["User-Name"][0],
                "password": request.PwDecrypt(request["User-Password"][0]),
                "request_ma_valid": request.verify_message_authenticator(),
                "juniper_user": request["Juniper-Local-User-Name"][0],
                "reply_valid": bool(request.VerifyReply(reply, raw_reply, enforce_ma=True)),
                "reply_code": reply.code,
            }))
        """#

    static func run(mode: String, port: Int, secret: String, extra: [String] = []) async throws
        -> (status: Int32, stdout: String, stderr: String)
    {
        try await Pyrad.run(script: script, arguments: [mode, String(port), secret] + extra)
    }
}
