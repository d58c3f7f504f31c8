import DuoAPI
import LDAPWire
import NIOCore
import Policy
import TestSupport
import Testing

@testable import LDAPFront

/// The listener on a real socket (clear LDAP, port 0) with Duo faked: what the handler does with
/// pipelined requests, a client that does not read, a bind pending at Policy, and the caps.
@Suite(.serialized) struct ListenerTests {
    static let ikey = "DILISTENER0000000000"
    static let skey = "listener-secret-key"
    static let base = "dc=\(ikey),dc=duosecurity,dc=com"

    /// Approves pushes after `pushDelay`; gates the answer on `release` when given.
    struct SlowDuo: SecondFactor {
        var pushDelay: Duration
        func preauth(username: String, ipAddress: String?) async throws(DuoFailure) -> DuoPreauthResult {
            .auth(devices: [DuoDevice(device: "D1", type: "phone", name: "phone", capabilities: ["auto", "push"])], message: "")
        }
        func auth(_ request: DuoAuthRequest) async throws(DuoFailure) -> DuoAuthResult {
            try? await Task.sleep(for: pushDelay)
            return .allow(message: "Success. Logging you in...")
        }
    }

    static func listener(pushDelay: Duration = .zero, limits: LDAPConnectionGate.Limits = .init()) async throws -> LDAPListener {
        let engine = PolicyEngine(
            section: SectionPolicy(name: "ldap_server_duo_only", mode: .duoOnly, integrationKey: ikey), primary: AcceptAll(),
            duo: SlowDuo(pushDelay: pushDelay))
        return try await LDAPListener.bind(
            host: "127.0.0.1", port: 0,
            sections: [LDAPServerSection(name: "ldap_server_duo_only", integrationKey: ikey, secretKey: skey, engine: engine)],
            tlsContext: nil, ldaps: false, options: .init(limits: limits, writeBufferHighWaterMark: 8 << 10))
    }

    struct AcceptAll: PrimaryAuthenticator {
        let name = "none"
        func authenticate(_ request: PrimaryRequest) async -> PrimaryOutcome { .accepted(PrimaryAccept()) }
    }

    /// Every complete LDAPMessage in `bytes`.
    static func messages(_ bytes: [UInt8]) throws -> [LDAPMessage] {
        var buffer = ByteBuffer(bytes: bytes)
        var decoder = LDAPFrameDecoder()
        var out: [LDAPMessage] = []
        while let frame = try decoder.next(from: &buffer) { out.append(try LDAPMessage.decode(frame: frame)) }
        return out
    }

    @Test(.timeLimit(.minutes(1)))
    func requestsQueuedBehindAPendingBindAreAnsweredInOrderAfterIt() async throws {
        let listener = try await Self.listener(pushDelay: .milliseconds(500))
        let port = listener.localAddress.port!
        let client = try await TCPExchange(to: port)
        var bytes = LDAPMessage(messageID: 1, protocolOp: .bindRequest(.simple(name: "cn=alice,\(Self.base)", password: Array("push".utf8)))).encodedBytes()
        bytes += LDAPMessage(messageID: 2, protocolOp: .extendedRequest(.whoAmI)).encodedBytes()
        try await client.send(bytes)
        try await Wait.until("the bind is with Policy", timeout: .seconds(10)) { listener.bindsInFlight == 1 }
        #expect(client.bytes.isEmpty, "the WhoAmI waits for the bind")
        _ = try await client.waitForBytes(2 * 20, timeout: .seconds(20))
        try await Wait.until("both answers arrived", timeout: .seconds(20)) { ((try? Self.messages(client.bytes)) ?? []).count == 2 }
        let answers = try Self.messages(client.bytes)
        #expect(answers.map(\.messageID) == [1, 2])
        if case .extendedResponse(let response) = answers[1].protocolOp {
            #expect(response.whoAmIAuthzID == "dn:cn=alice,\(Self.base)", "the WhoAmI saw the bind's outcome")
        }
        await client.close()
        await listener.shutdown(grace: .seconds(5))
    }

    @Test(.timeLimit(.minutes(1)))
    func pipelinedRequestsAreAllAnsweredInOrder() async throws {
        // 5,000 WhoAmI requests in one write: the handler takes them one at a time across many reads
        // (and, should the output pass the 8 KiB mark, pauses and resumes); none is lost or reordered.
        let listener = try await Self.listener()
        let client = try await TCPExchange(to: listener.localAddress.port!)
        let count = 5_000
        var bytes: [UInt8] = []
        for id in 1...count { bytes += LDAPMessage(messageID: Int32(id), protocolOp: .extendedRequest(.whoAmI)).encodedBytes() }
        try await client.send(bytes)
        try await Wait.until("every answer arrived", timeout: .seconds(40)) {
            ((try? Self.messages(client.bytes)) ?? []).count == count
        }
        #expect(try Self.messages(client.bytes).map(\.messageID) == (1...count).map { Int32($0) })
        await client.close()
        await listener.shutdown(grace: .seconds(5))
    }

    @Test(.timeLimit(.minutes(1)))
    func connectionsOverThePerAddressCapAreClosedAtOnce() async throws {
        let listener = try await Self.listener(limits: .init(connections: 100, connectionsPerAddress: 2))
        let port = listener.localAddress.port!
        let first = try await TCPExchange(to: port)
        let second = try await TCPExchange(to: port)
        try await Wait.until("two connections are open", timeout: .seconds(10)) { listener.openConnections == 2 }
        let third = try await TCPExchange(to: port)
        _ = try await third.waitForClose(timeout: .seconds(10))
        #expect(!first.isClosedByServer && !second.isClosedByServer)
        await first.close()
        try await Wait.until("the place is free again", timeout: .seconds(10)) { listener.openConnections == 1 }
        let fourth = try await TCPExchange(to: port)
        try await fourth.send(LDAPMessage(messageID: 1, protocolOp: .extendedRequest(.whoAmI)).encodedBytes())
        _ = try await fourth.waitForBytes(10)
        #expect(!fourth.isClosedByServer)
        await second.close()
        await fourth.close()
        await listener.shutdown(grace: .seconds(5))
    }
}
