import InMemoryLogging
import Logging
import Policy
import RADIUSWire
import TestSupport
import Testing

@testable import Upstream

/// The RADIUS client against a real FreeRADIUS 3.2 server (`FreeRADIUSPeer`): PAP logins, rejects,
/// an Access-Challenge answered with its State, and pass-through attributes.
///
/// FreeRADIUS 3.2.1 sends no Message-Authenticator in its replies, so these clients run with
/// `require_message_authenticator=false` (one test shows the default refusing it). The server
/// itself requires Message-Authenticator in requests, which proves ours are valid.
@Suite(.timeLimit(.minutes(2))) struct RADIUSClientFreeRADIUSTests {
    static let secret = "freeradius-upstream-secret"
    static let challengeState: [UInt8] = Array("twofold-state-01".utf8)
    static let users: [FreeRADIUSPeer.User] = [
        .init("alice", password: "correct horse", reply: [
            .init("Reply-Message", "Hello alice"), .init("Class", "staff"), .init("Filter-Id", "std.vpn"),
        ]),
        .init("bob", password: "bob-pass"),
    ]
    static let challengeUsers: [FreeRADIUSPeer.ChallengeUser] = [
        .init(
            "carol", password: "carol-pass", state: challengeState, message: "Enter the code from your token",
            answer: "123456", acceptReply: [.init("Class", "carol-class"), .init("Reply-Message", "Code accepted")])
    ]

    static func startServer() async throws -> FreeRADIUSPeer {
        try await FreeRADIUSPeer.start(
            secret: secret, users: users, requireMessageAuthenticator: true, challengeUsers: challengeUsers,
            rejectReply: [.init("Reply-Message", "Access denied")])
    }

    static func startClient(
        _ server: FreeRADIUSPeer, names: [String] = [], all: Bool = false, requireMA: Bool = false,
        retries: Int = 3, retryWait: Duration = .seconds(2), logs: InMemoryLogHandler = InMemoryLogHandler()
    ) async throws -> RADIUSClient {
        let configuration = try RADIUSClientConfiguration(
            servers: [.init(host: server.host, port: server.port)], secret: RADIUSSharedSecret(secret),
            retries: retries, retryWait: retryWait, nasIP: "127.0.0.1",
            passThroughAttributeNames: names, passThroughAll: all, requireMessageAuthenticator: requireMA)
        return try await RADIUSClient.start(configuration: configuration, logger: Logger(label: "test.radius_client") { _ in logs })
    }

    static func login(
        _ client: RADIUSClient, _ user: String, _ password: String, state: [UInt8]? = nil
    ) async -> PrimaryOutcome {
        await client.authenticate(
            PrimaryRequest(
                username: user, password: Password(password),
                forwardedAttributes: [RADIUSAttribute(.nasIdentifier, text: "twofold-test")], upstreamState: state))
    }

    @Test(.enabled(if: Peers.shouldRun("freeradius")))
    func rightPasswordIsAcceptedWrongAndUnknownRejected() async throws {
        let server = try await Self.startServer()
        defer { Task { await server.stop() } }
        let logs = InMemoryLogHandler()
        let client = try await Self.startClient(server, names: ["Class", "Reply-Message"], logs: logs)
        defer { Task { await client.shutdown() } }
        // require_message_authenticator=false is said to be dangerous, once, at start.
        #expect(logs.entries.filter { $0.level == .warning && "\($0.message)".contains("CVE-2024-3596") }.count == 1)

        let outcome = await Self.login(client, "alice", "correct horse")
        guard case .accepted(let accept) = outcome else {
            Issue.record("expected accepted, got \(outcome)\n\(server.transcript)")
            return
        }
        // Named attributes only: Filter-Id stays behind.
        #expect(Set(accept.passThroughAttributes) == [
            RADIUSAttribute(.replyMessage, text: "Hello alice"), RADIUSAttribute(.class, Array("staff".utf8)),
        ])

        for (user, password) in [("alice", "battery staple"), ("mallory", "correct horse")] {
            let refused = await Self.login(client, user, password)
            guard case .rejected(let rejection) = refused else {
                Issue.record("expected \(user) rejected, got \(refused)\n\(server.transcript)")
                continue
            }
            #expect(rejection.kind == .refusedByServer)
            #expect(rejection.diagnostic.contains("127.0.0.1:\(server.port)"))
            #expect(rejection.passThroughAttributes == [RADIUSAttribute(.replyMessage, text: "Access denied")])
        }
        #expect(client.statistics.replies == 3)
        #expect(client.statistics.retransmissions == 0)
        // The server saw our NAS-IP-Address and the front's NAS-Identifier.
        #expect(server.transcript.contains("NAS-IP-Address = 127.0.0.1"))
        #expect(server.transcript.contains("NAS-Identifier = \"twofold-test\""))
    }

    @Test(.enabled(if: Peers.shouldRun("freeradius")))
    func passThroughAllKeepsEveryReplyAttribute() async throws {
        let server = try await Self.startServer()
        defer { Task { await server.stop() } }
        let client = try await Self.startClient(server, all: true)
        defer { Task { await client.shutdown() } }

        let outcome = await Self.login(client, "alice", "correct horse")
        guard case .accepted(let accept) = outcome else {
            Issue.record("expected accepted, got \(outcome)\n\(server.transcript)")
            return
        }
        #expect(Set(accept.passThroughAttributes) == [
            RADIUSAttribute(.replyMessage, text: "Hello alice"), RADIUSAttribute(.class, Array("staff".utf8)),
            RADIUSAttribute(.filterID, text: "std.vpn"),
        ])

        let none = try await Self.startClient(server)
        defer { Task { await none.shutdown() } }
        guard case .accepted(let bare) = await Self.login(none, "bob", "bob-pass") else {
            Issue.record("expected bob accepted\n\(server.transcript)")
            return
        }
        #expect(bare.passThroughAttributes.isEmpty)
    }

    @Test(.enabled(if: Peers.shouldRun("freeradius")))
    func aChallengeIsSurfacedAndItsAnswerWithStateAccepted() async throws {
        let server = try await Self.startServer()
        defer { Task { await server.stop() } }
        let client = try await Self.startClient(server, names: ["Class"])
        defer { Task { await client.shutdown() } }

        let first = await Self.login(client, "carol", "carol-pass")
        guard case .challenged(let challenge) = first else {
            Issue.record("expected challenged, got \(first)\n\(server.transcript)")
            return
        }
        #expect(challenge.state == Self.challengeState)
        #expect(challenge.message == "Enter the code from your token")
        #expect(challenge.passThroughAttributes.isEmpty)

        let wrong = await Self.login(client, "carol", "654321", state: challenge.state)
        guard case .rejected = wrong else {
            Issue.record("expected a wrong answer rejected, got \(wrong)\n\(server.transcript)")
            return
        }
        let answered = await Self.login(client, "carol", "123456", state: challenge.state)
        guard case .accepted(let accept) = answered else {
            Issue.record("expected the answer accepted, got \(answered)\n\(server.transcript)")
            return
        }
        #expect(accept.passThroughAttributes == [RADIUSAttribute(.class, Array("carol-class".utf8))])

        // The answer without the State is not an answer.
        guard case .rejected = await Self.login(client, "carol", "123456") else {
            Issue.record("expected the answer without State rejected\n\(server.transcript)")
            return
        }
    }

    @Test(.enabled(if: Peers.shouldRun("freeradius")))
    func theDefaultClientRefusesRepliesWithoutMessageAuthenticator() async throws {
        // FreeRADIUS 3.2.1 signs replies with the Response Authenticator only: a BlastRADIUS-safe
        // client must not believe them.
        let server = try await Self.startServer()
        defer { Task { await server.stop() } }
        let client = try await Self.startClient(server, requireMA: true, retries: 0, retryWait: .milliseconds(500))
        defer { Task { await client.shutdown() } }

        let outcome = await Self.login(client, "alice", "correct horse")
        guard case .unavailable(let diagnostic) = outcome else {
            Issue.record("expected unavailable, got \(outcome)")
            return
        }
        #expect(diagnostic.contains("127.0.0.1:\(server.port)"))
        #expect(client.statistics.dropped(.missingMessageAuthenticator) == 1)
        #expect(client.statistics.replies == 0)
    }
}
