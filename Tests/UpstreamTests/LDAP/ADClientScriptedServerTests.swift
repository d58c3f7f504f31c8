import LDAPWire
import NIOCore
import NIOPosix
import Policy
import Synchronization
import Testing
import TestSupport
import Upstream

/// A directory that answers from a script: for what slapd will not do on request (referrals,
/// ignoring the size limit, odd result codes, garbage). Every connection shares `respond`, and
/// every request it receives is recorded.
final class ScriptedLDAPServer: Sendable {
    private let channel: any Channel
    private let log: Locked<[LDAPMessage]>

    var port: Int { channel.localAddress?.port ?? 0 }
    var received: [LDAPMessage] { log.value }

    private init(channel: any Channel, log: Locked<[LDAPMessage]>) {
        self.channel = channel
        self.log = log
    }

    /// `respond` returns the bytes to send back for each request (encoded messages, or anything).
    static func start(respond: @escaping @Sendable (LDAPMessage) -> [ByteBuffer]) async throws -> ScriptedLDAPServer {
        let log = Locked<[LDAPMessage]>([])
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(ByteToMessageHandler(LDAPFrameDecoder()))
                    try child.pipeline.syncOperations.addHandler(Responder(log: log, respond: respond))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return ScriptedLDAPServer(channel: channel, log: log)
    }

    func stop() async {
        try? await channel.close()
    }

    private final class Responder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let log: Locked<[LDAPMessage]>
        let respond: @Sendable (LDAPMessage) -> [ByteBuffer]

        init(log: Locked<[LDAPMessage]>, respond: @escaping @Sendable (LDAPMessage) -> [ByteBuffer]) {
            self.log = log
            self.respond = respond
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard let message = try? LDAPMessage.decode(frame: unwrapInboundIn(data)) else {
                context.close(promise: nil)
                return
            }
            log.withLock { $0.append(message) }
            if case .unbindRequest = message.protocolOp {
                context.close(promise: nil)
                return
            }
            for bytes in respond(message) { context.write(wrapOutboundOut(bytes), promise: nil) }
            context.flush()
        }
    }

    /// Binds succeed (or answer `userBind` for the user's DN); searches answer `search`.
    static func directory(
        userDN: String = "cn=alice,dc=example,dc=com",
        userBind: LDAPResultCode = .success,
        search: @escaping @Sendable (Int32) -> [LDAPMessage]
    ) -> @Sendable (LDAPMessage) -> [ByteBuffer] {
        { message in
            switch message.protocolOp {
            case .bindRequest(let bind):
                let code: LDAPResultCode = bind.name == userDN ? userBind : .success
                return [LDAPMessage(messageID: message.messageID, protocolOp: .bindResponse(.init(result: .init(resultCode: code)))).encode()]
            case .searchRequest:
                return search(message.messageID).map { $0.encode() }
            default:
                return []
            }
        }
    }
}

extension LDAPMessage {
    static func entry(_ id: Int32, _ dn: String) -> LDAPMessage {
        LDAPMessage(messageID: id, protocolOp: .searchResultEntry(.init(objectName: dn, attributes: [])))
    }

    static func done(_ id: Int32, _ code: LDAPResultCode, referral: [String]? = nil) -> LDAPMessage {
        LDAPMessage(messageID: id, protocolOp: .searchResultDone(.init(resultCode: code, referral: referral)))
    }
}

@Suite("ADClient against a scripted directory", .serialized, .timeLimit(.minutes(3)))
struct ADClientScriptedServerTests {
    static func client(port: Int, timeout: Duration = .seconds(5)) throws -> ADClient {
        try ADClient(configuration: ADClientConfiguration(
            hosts: ["127.0.0.1"], port: port, authType: "plain", bindDN: "cn=svc,dc=example,dc=com",
            serviceAccountPassword: Password("svc-secret"), searchDN: "dc=example,dc=com", timeout: timeout))
    }

    static func withServer(
        _ respond: @escaping @Sendable (LDAPMessage) -> [ByteBuffer],
        _ body: (ScriptedLDAPServer, ADClient) async throws -> Void
    ) async throws {
        let server = try await ScriptedLDAPServer.start(respond: respond)
        let client = try client(port: server.port)
        do {
            try await body(server, client)
        } catch {
            await client.shutdown()
            await server.stop()
            throw error
        }
        await client.shutdown()
        await server.stop()
    }

    @Test func theSearchIsWhatWeClaim() async throws {
        try await Self.withServer(ScriptedLDAPServer.directory { id in
            [.entry(id, "cn=alice,dc=example,dc=com"), .done(id, .success)]
        }) { server, client in
            expectAccepted(await ADDirectory.login(client, "alice", "pw-1"), dn: "cn=alice,dc=example,dc=com")
            let requests = server.received
            // Service bind, search, then the user's bind (on its own connection).
            guard requests.count >= 3, case .bindRequest(let service) = requests[0].protocolOp,
                case .searchRequest(let search) = requests[1].protocolOp,
                case .bindRequest(let user) = requests[2].protocolOp
            else {
                Issue.record("unexpected requests: \(requests.map(\.protocolOp.kind))")
                return
            }
            #expect(service == .simple(name: "cn=svc,dc=example,dc=com", password: Array("svc-secret".utf8)))
            #expect(search == LDAPMessage.SearchRequest(
                baseObject: "dc=example,dc=com", scope: .wholeSubtree, derefAliases: .neverDerefAliases, sizeLimit: 2,
                timeLimit: 5, typesOnly: false, filter: .equal("sAMAccountName", "alice"), attributes: ["1.1"]))
            #expect(user == .simple(name: "cn=alice,dc=example,dc=com", password: Array("pw-1".utf8)))
        }
    }

    @Test func referencesAndReferralsAreNeverChased() async throws {
        try await Self.withServer(ScriptedLDAPServer.directory { id in
            [LDAPMessage(messageID: id, protocolOp: .searchResultReference(.init(uris: ["ldap://elsewhere.example/dc=example,dc=com"]))),
             .done(id, .success)]
        }) { server, client in
            let diagnostic = expectRejected(await ADDirectory.login(client, "alice", "pw-1"), .unknownUser)
            #expect(diagnostic.contains("ldap://elsewhere.example/dc=example,dc=com"))
            #expect(diagnostic.contains("not followed"))
            // The user's password went nowhere: the only binds are the service's and the anonymous one.
            let binds = server.received.compactMap { message -> LDAPMessage.BindRequest? in
                if case .bindRequest(let bind) = message.protocolOp { return bind }
                return nil
            }
            #expect(!binds.contains { $0.authentication == .simple(Array("pw-1".utf8)) })
        }
        try await Self.withServer(ScriptedLDAPServer.directory { id in
            [.done(id, .referral, referral: ["ldap://other.example/dc=example,dc=com"])]
        }) { _, client in
            let diagnostic = expectRejected(await ADDirectory.login(client, "alice", "pw-1"), .unknownUser)
            #expect(diagnostic.contains("referral"))
        }
    }

    @Test func aServerThatIgnoresTheSizeLimitIsStillAmbiguous() async throws {
        try await Self.withServer(ScriptedLDAPServer.directory { id in
            (1...50).map { LDAPMessage.entry(id, "cn=alice\($0),dc=example,dc=com") } + [.done(id, .success)]
        }) { _, client in
            expectRejected(await ADDirectory.login(client, "alice", "pw-1"), .ambiguousUser)
        }
    }

    @Test func otherBindAnswersAreRefusalsOrHostFailures() async throws {
        try await Self.withServer(ScriptedLDAPServer.directory(userBind: .unwillingToPerform) { id in
            [.entry(id, "cn=alice,dc=example,dc=com"), .done(id, .success)]
        }) { _, client in
            let diagnostic = expectRejected(await ADDirectory.login(client, "alice", "pw-1"), .refusedByServer)
            #expect(diagnostic.contains("unwillingToPerform (53)"))
        }
        try await Self.withServer(ScriptedLDAPServer.directory(userBind: .busy) { id in
            [.entry(id, "cn=alice,dc=example,dc=com"), .done(id, .success)]
        }) { _, client in
            let diagnostic = expectUnavailable(await ADDirectory.login(client, "alice", "pw-1"))
            #expect(diagnostic.contains("busy (51)"))
        }
    }

    @Test func garbageFromTheServerIsUnavailable() async throws {
        try await Self.withServer({ _ in [ByteBuffer(bytes: [0x04, 0x02, 0x41, 0x42])] }) { _, client in
            let diagnostic = expectUnavailable(await ADDirectory.login(client, "alice", "pw-1"))
            #expect(diagnostic.contains("protocol violation"), "\(diagnostic)")
        }
        // A length field that claims 2 GiB: refused from the header, nothing buffered.
        try await Self.withServer({ _ in [ByteBuffer(bytes: [0x30, 0x84, 0x7f, 0xff, 0xff, 0xff])] }) { _, client in
            let diagnostic = expectUnavailable(await ADDirectory.login(client, "alice", "pw-1"))
            #expect(diagnostic.contains("protocol violation"), "\(diagnostic)")
        }
        // A response to a request that was never sent.
        try await Self.withServer({ message in
            [LDAPMessage(messageID: message.messageID + 7, protocolOp: .bindResponse(.init(result: .init(resultCode: .success)))).encode()]
        }) { _, client in
            let diagnostic = expectUnavailable(await ADDirectory.login(client, "alice", "pw-1"))
            #expect(diagnostic.contains("not outstanding"), "\(diagnostic)")
        }
    }
}
