import Foundation
import TestSupport
import Testing

/// `FreeRADIUSPeer` proven against FreeRADIUS's own client, radclient.
@Suite struct FreeRADIUSPeerTests {
    static let alice = FreeRADIUSPeer.User(
        "alice", password: "right",
        reply: [
            .init("Reply-Message", "Welcome, alice"),
            .init("Class", "grp-admins"),
            .init("Class", octets: [0x00, 0xff, 0x10]),
            .init("Filter-Id", "staff"),
            .init("Session-Timeout", "3600"),
            .init("Juniper-Local-User-Name", "super-user"),
        ])
    /// Quotes, a backslash, `%{...}` and non-ASCII, all taken literally.
    static let bob = FreeRADIUSPeer.User("bob o\"neil", password: #"p'w"\%{User-Name} ü"#)

    /// Runs `radclient -x 127.0.0.1:PORT <command> SECRET` with `attributes` on stdin.
    static func radclient(
        _ peer: FreeRADIUSPeer, _ attributes: String, command: String = "auth",
        retries: Int = 3, timeoutSeconds: Int = 3
    ) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await PeerProcess.run(
            try Peers.tool("radclient"),
            [
                "-x", "-r", String(retries), "-t", String(timeoutSeconds),
                "\(peer.host):\(peer.port)", command, peer.secret,
            ],
            stdin: Data((attributes + "\n").utf8),
            timeout: .seconds(30))
    }

    /// A single-quoted radclient value: literal (no %{...} expansion), `\'` and `\\` escaped.
    static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
            + "'"
    }

    @Test(.enabled(if: Peers.shouldRun("freeradius", "radclient")))
    func papAcceptCarriesTheReplyAttributes() async throws {
        let peer = try await FreeRADIUSPeer.start(secret: "s3cret-pap", users: [Self.alice, Self.bob])
        let result = try await Self.radclient(peer, #"User-Name = "alice", User-Password = "right""#)
        let bob = try await Self.radclient(
            peer, "User-Name = \(Self.quoted(Self.bob.name)), User-Password = \(Self.quoted(Self.bob.password))")
        let log = peer.transcript
        await peer.stop()
        let context = Comment(rawValue: "radclient:\n\(result.stdout)\n\(result.stderr)\n\(log)")

        #expect(result.status == 0, context)
        #expect(result.stdout.contains("Received Access-Accept"), context)
        let expected = [
            #"Reply-Message = "Welcome, alice""#,
            "Class = 0x" + "grp-admins".utf8.map { String(format: "%02x", $0) }.joined(),
            "Class = 0x00ff10",
            #"Filter-Id = "staff""#,
            "Session-Timeout = 3600",
            #"Juniper-Local-User-Name = "super-user""#,
        ]
        let received = result.stdout.components(separatedBy: "Received Access-Accept").last ?? ""
        let lines = received.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(Array(lines.dropFirst()) == expected, context)
        #expect(!result.stdout.contains("Message-Authenticator"), "FreeRADIUS 3.2.1 signs no replies: \(context)")

        #expect(bob.status == 0, "radclient:\n\(bob.stdout)\n\(bob.stderr)\n\(log)")
        #expect(bob.stdout.contains("Received Access-Accept"), "radclient:\n\(bob.stdout)\n\(log)")
    }

    @Test(.enabled(if: Peers.shouldRun("freeradius", "radclient")))
    func wrongPasswordAndUnknownUserAreRejected() async throws {
        let peer = try await FreeRADIUSPeer.start(
            secret: "s3cret-reject", users: [Self.alice], rejectReply: [.init("Reply-Message", "Denied")])
        let wrong = try await Self.radclient(peer, #"User-Name = "alice", User-Password = "wrong""#)
        let unknown = try await Self.radclient(peer, #"User-Name = "mallory", User-Password = "right""#)
        let log = peer.transcript
        await peer.stop()

        for result in [wrong, unknown] {
            let context = Comment(rawValue: "radclient:\n\(result.stdout)\n\(result.stderr)\n\(log)")
            #expect(result.status != 0, context)
            #expect(result.stdout.contains("Received Access-Reject"), context)
            #expect(result.stderr.contains("Expected Access-Accept got Access-Reject"), context)
            // Only the configured reject reply, none of alice's Accept attributes.
            #expect(result.stdout.contains(#"Reply-Message = "Denied""#), context)
            #expect(!result.stdout.contains("Welcome"), context)
            #expect(!result.stdout.contains("Filter-Id"), context)
            #expect(!result.stdout.contains("Class"), context)
        }
    }

    @Test(.enabled(if: Peers.shouldRun("freeradius", "radclient")))
    func chapLoginIsAccepted() async throws {
        let peer = try await FreeRADIUSPeer.start(secret: "s3cret-chap", users: [Self.alice])
        // radclient computes CHAP-Password (id, MD5, challenge in the Request Authenticator).
        let right = try await Self.radclient(peer, #"User-Name = "alice", CHAP-Password = "right""#)
        let wrong = try await Self.radclient(peer, #"User-Name = "alice", CHAP-Password = "wrong""#)
        let log = peer.transcript
        await peer.stop()

        let context = Comment(rawValue: "radclient:\n\(right.stdout)\n\(right.stderr)\n\(log)")
        #expect(right.status == 0, context)
        #expect(right.stdout.contains("CHAP-Password = 0x"), context)
        #expect(right.stdout.contains("Received Access-Accept"), context)
        #expect(right.stdout.contains(#"Juniper-Local-User-Name = "super-user""#), context)
        #expect(log.contains("Auth-Type = CHAP"), context)
        #expect(wrong.stdout.contains("Received Access-Reject"), "\(wrong.stdout)\n\(log)")
    }

    @Test(.enabled(if: Peers.shouldRun("freeradius", "radclient")))
    func requiredMessageAuthenticatorDropsRequestsWithoutIt() async throws {
        let peer = try await FreeRADIUSPeer.start(
            secret: "s3cret-ma", users: [Self.alice], requireMessageAuthenticator: true)
        // radclient fills in the HMAC-MD5 for `Message-Authenticator = 0x00`.
        let signed = try await Self.radclient(
            peer, #"User-Name = "alice", User-Password = "right", Message-Authenticator = 0x00"#)
        let unsigned = try await Self.radclient(
            peer, #"User-Name = "alice", User-Password = "right""#, retries: 1, timeoutSeconds: 1)
        try await peer.waitForLog(containing: "does not contain required Message-Authenticator")
        let log = peer.transcript
        await peer.stop()

        #expect(signed.status == 0, "radclient:\n\(signed.stdout)\n\(signed.stderr)\n\(log)")
        #expect(signed.stdout.contains("Received Access-Accept"), "\(signed.stdout)\n\(log)")
        #expect(unsigned.status != 0, "\(unsigned.stdout)\n\(unsigned.stderr)\n\(log)")
        #expect(!unsigned.stdout.contains("Received"), "\(unsigned.stdout)\n\(log)")
        // radclient -x prints "(0) No reply from server for ID ..." among its debug output.
        #expect(
            (unsigned.stdout + unsigned.stderr).contains("No reply from server"),
            "\(unsigned.stdout)\n\(unsigned.stderr)\n\(log)")
    }

    @Test(.enabled(if: Peers.shouldRun("freeradius", "radclient")))
    func statusServerIsAnsweredAndPeersAreIndependent() async throws {
        async let first = FreeRADIUSPeer.start(secret: "one", users: [Self.alice])
        async let second = FreeRADIUSPeer.start(secret: "two", users: [Self.alice])
        let peers = try await [first, second]
        let answers = try await [
            Self.radclient(peers[0], "Message-Authenticator = 0x00", command: "status"),
            Self.radclient(peers[1], "Message-Authenticator = 0x00", command: "status"),
        ]
        let stopped = peers.map(\.configDirectory)
        let logs = peers.map(\.transcript)
        for peer in peers { await peer.stop() }

        #expect(peers[0].port != peers[1].port)
        for (answer, log) in zip(answers, logs) {
            // Status-Server is answered with an Access-Accept without attributes.
            #expect(answer.status == 0, "\(answer.stdout)\n\(answer.stderr)\n\(log)")
            #expect(answer.stdout.contains("Received Access-Accept"), "\(answer.stdout)\n\(log)")
            #expect(answer.stdout.contains("length 20"), "\(answer.stdout)\n\(log)")
        }
        for peer in peers { #expect(!peer.isRunning) }
        for folder in stopped { #expect(!FileManager.default.fileExists(atPath: folder.path)) }
    }

    @Test(.enabled(if: Peers.shouldRun("freeradius")))
    func aBadUsersFileFailsTheStartWithTheLog() async throws {
        // FreeRADIUS refuses an invalid integer, but only warns about an unknown attribute name.
        let mistakes: [(FreeRADIUSPeer.Attribute, String)] = [
            (.init("Session-Timeout", "soon"), #"Unknown or invalid value "soon" for attribute Session-Timeout"#),
            (.init("No-Such-Attribute", "1"), #"Check item "No-Such-Attribute""#),
        ]
        for (attribute, complaint) in mistakes {
            let error = await #expect(throws: FreeRADIUSPeer.StartFailure.self) {
                let peer = try await FreeRADIUSPeer.start(
                    users: [.init("alice", password: "x", reply: [attribute])])
                await peer.stop()
            }
            #expect(error?.transcript.contains(complaint) == true, "\(String(describing: error))")
            #expect(error?.description.contains("\(attribute.name) += ") == true, "the configuration is shown")
        }
    }

    @Test func valuesTheConfigurationCannotExpressAreRefused() async throws {
        let refused: [(String, [FreeRADIUSPeer.User])] = [
            (#"back\slash"#, [Self.alice]),
            ("a${b}", [Self.alice]),
            ("ok", [.init("new\nline", password: "x")]),
            ("ok", [.init(#"a\b"#, password: "x")]),
            ("ok", [.init("DEFAULT", password: "x")]),
            ("ok", [.init("carol", password: "tab\there")]),
            ("ok", [.init("carol", password: "x", reply: [.init("Reply-Message = 1, Filter-Id", "x")])]),
            ("ok", [Self.alice, Self.alice]),
        ]
        for (secret, users) in refused {
            await #expect(throws: FreeRADIUSPeer.ConfigurationError.self, "\(secret) \(users)") {
                let peer = try await FreeRADIUSPeer.start(secret: secret, users: users)
                await peer.stop()
            }
        }
    }
}
