import DuoAPI
import Foundation
import NIOCore
import Policy
import RADIUSFront
import RADIUSWire
import TestSupport
import Testing

/// The listener on a real socket: radclient logs in, a challenge is answered with its State,
/// a retransmit gets the same bytes without a second decision.
@Suite(.serialized) struct ListenerTests {
    /// Counts decisions, so a retransmit that reached Policy would show.
    final class CountingDuo: SecondFactor {
        let auths = Locked(0)
        func preauth(username: String, ipAddress: String?) async throws(DuoFailure) -> DuoPreauthResult {
            try await InstantDuo().preauth(username: username, ipAddress: ipAddress)
        }
        func auth(_ request: DuoAuthRequest) async throws(DuoFailure) -> DuoAuthResult {
            auths.withLock { $0 += 1 }
            return try await InstantDuo().auth(request)
        }
    }

    /// Holds every push until released.
    final class HeldDuo: SecondFactor {
        let auths = Locked(0)
        let pending = Locked(0)
        let gate = Locked<CheckedContinuation<Void, Never>?>(nil)
        let released = Locked(false)

        func release() {
            released.withLock { $0 = true }
            gate.withLock { $0?.resume(); $0 = nil }
        }

        func preauth(username: String, ipAddress: String?) async throws(DuoFailure) -> DuoPreauthResult {
            try await InstantDuo().preauth(username: username, ipAddress: ipAddress)
        }

        func auth(_ request: DuoAuthRequest) async throws(DuoFailure) -> DuoAuthResult {
            auths.withLock { $0 += 1 }
            if !released.value {
                await withCheckedContinuation { continuation in
                    gate.withLock { $0 = continuation }
                    pending.withLock { $0 += 1 }
                    if released.value { gate.withLock { $0?.resume(); $0 = nil } }
                }
            }
            return .allow(message: "Success. Logging you in...")
        }
    }

    static func withListener(
        _ sections: [RADIUSServerSection], _ body: (RADIUSListener, Int) async throws -> Void
    ) async throws {
        let listener = try await RADIUSListener.bind(host: "127.0.0.1", port: 0, sections: sections)
        let running = Task { try await listener.run() }
        do {
            try await body(listener, listener.localAddress.port!)
        } catch {
            await listener.close()
            _ = await running.result
            throw error
        }
        await listener.shutdown(grace: .seconds(5))
        try await running.value
    }

    @Test(.enabled(if: Peers.shouldRun("radclient")), .timeLimit(.minutes(1)))
    func radclientLogsInWithAPasscodeAndIsRefusedWithAWrongPassword() async throws {
        try await Self.withListener([Fixtures.section()]) { _, port in
            let radclient = try Peers.tool("radclient")
            let secret = String(decoding: Fixtures.secret, as: UTF8.self)
            let accepted = try await PeerProcess.run(
                radclient, ["-x", "-r", "1", "-t", "10", "127.0.0.1:\(port)", "auth", secret],
                stdin: Data(#"User-Name = "alice", User-Password = "secret,123456", Message-Authenticator = 0x00"#.utf8))
            #expect(accepted.status == 0, "\(accepted.stdout)\n\(accepted.stderr)")
            #expect(accepted.stdout.contains("Access-Accept"))
            #expect(accepted.stdout.contains("Class = 0x76706e2d7573657273"))  // "vpn-users"
            #expect(accepted.stdout.contains("Success. Logging you in..."))

            let rejected = try await PeerProcess.run(
                radclient, ["-x", "-r", "1", "-t", "10", "127.0.0.1:\(port)", "auth", secret],
                stdin: Data(#"User-Name = "alice", User-Password = "wrong,123456", Message-Authenticator = 0x00"#.utf8))
            #expect(rejected.stdout.contains("Access-Reject"), "\(rejected.stdout)\n\(rejected.stderr)")
            #expect(rejected.stdout.contains("Incorrect username or password"))
            #expect(!rejected.stdout.contains("Class"))
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aChallengeIsAnsweredWithItsStateOnce() async throws {
        try await Self.withListener([Fixtures.section(mode: .challenge)]) { _, port in
            let first = try RADIUSPacket(decoding: try await UDPExchange.send(Fixtures.accessRequest("alice", "secret", identifier: 1), to: port))
            #expect(first.code == .accessChallenge)
            #expect(first.attributes.first?.type == .messageAuthenticator)
            let prompt = first.all(.replyMessage).compactMap(\.text).joined()
            #expect(prompt.contains("1. Duo Push to XXX-XXX-1111"))
            let state = try #require(first[.state])
            #expect(state.value.count > 16 && state.value.count <= 253, "the continuation, sealed")

            let answer = Fixtures.accessRequest("alice", "123456", identifier: 2, extra: [state])
            let second = try RADIUSPacket(decoding: try await UDPExchange.send(answer, to: port))
            #expect(second.code == .accessAccept)

            // The same State again (a new request, not a retransmit) redeems nothing.
            let replay = Fixtures.accessRequest("alice", "123456", identifier: 3, extra: [state])
            let third = try RADIUSPacket(decoding: try await UDPExchange.send(replay, to: port))
            #expect(third.code == .accessReject)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func anAnsweredRetransmitGetsTheSameBytesWithoutASecondDecision() async throws {
        let duo = CountingDuo()
        try await Self.withListener([Fixtures.section(duo: duo)]) { _, port in
            let session = try await UDPExchange.Session(to: port)
            defer { Task { await session.close() } }
            let request = Fixtures.accessRequest("alice", "secret,push", identifier: 7)
            try await session.send(request)
            let first = try await session.receive()
            try await session.send(request)
            let again = try await session.receive()
            #expect(first == again)
            #expect(try RADIUSPacket(decoding: first).code == .accessAccept)
            #expect(duo.auths.value == 1)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aRetransmitWhileThePushIsPendingIsAbsorbed() async throws {
        let duo = HeldDuo()
        try await Self.withListener([Fixtures.section(duo: duo)]) { listener, port in
            let session = try await UDPExchange.Session(to: port)
            defer { Task { await session.close() } }
            let request = Fixtures.accessRequest("alice", "secret,push", identifier: 9)
            try await session.send(request)
            try await Wait.until("the push is pending", timeout: .seconds(10)) { duo.pending.value == 1 }
            try await session.send(request)
            try await session.send(request)
            try await Wait.until("both retransmits were seen", timeout: .seconds(10)) { listener.dropped[.inFlight] == 2 }
            duo.release()
            let reply = try await session.receive()
            #expect(try RADIUSPacket(decoding: reply).code == .accessAccept)
            try await Wait.until("the login is done", timeout: .seconds(10)) { listener.loginsInFlight == 0 }
            #expect(duo.auths.value == 1)
            // The two retransmits were dropped while in flight: one reply only.
            try await session.send(Fixtures.accessRequest("alice", "secret,push", identifier: 10))
            #expect(try RADIUSPacket(decoding: try await session.receive()).identifier == 10)
            #expect(session.pending == 0)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func aRequestOfTheFullRADIUSLengthIsRead() async throws {
        try await Self.withListener([Fixtures.section()]) { (_: RADIUSListener, port: Int) async throws in
            // Filler attributes up to 4,096 octets; the login itself is the usual one.
            var filler: [RADIUSAttribute] = []
            var length = 20 + 18 + 2 + 5 + 2 + 16
            while length + 255 <= RADIUSPacket.maximumLength {
                filler.append(RADIUSAttribute(.nasIdentifier, Array(repeating: UInt8(ascii: "x"), count: 253)))
                length += 255
            }
            filler.append(RADIUSAttribute(.calledStationID, Array(repeating: UInt8(ascii: "y"), count: RADIUSPacket.maximumLength - length - 2)))
            let request = Fixtures.accessRequest("alice", "secret,123456", extra: filler)
            #expect(request.count == RADIUSPacket.maximumLength)
            #expect(try RADIUSPacket(decoding: try await UDPExchange.send(request, to: port)).code == .accessAccept)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func anUnknownClientGetsNoAnswer() async throws {
        try await Self.withListener([Fixtures.section(networks: ["192.0.2.0/24"])]) { _, port in
            await #expect(throws: UDPExchange.NoAnswer.self) {
                _ = try await UDPExchange.send(Fixtures.accessRequest("alice", "secret,push"), to: port, timeout: .milliseconds(500))
            }
        }
    }
}
