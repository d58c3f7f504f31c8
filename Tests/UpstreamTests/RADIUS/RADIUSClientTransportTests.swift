import InMemoryLogging
import Logging
import Policy
import RADIUSWire
import TestSupport
import Testing

@testable import Upstream

/// The RADIUS client over real UDP sockets against fake upstream servers (`UDPResponder`) that
/// sign their replies with Message-Authenticator, stay silent, or misbehave on purpose.
///
/// Serialized: several tests measure retransmission intervals.
@Suite(.serialized, .timeLimit(.minutes(2))) struct RADIUSClientTransportTests {
    static let secretText = "transport-test-secret-0123"
    static let secret = Array(secretText.utf8)

    static func configuration(
        ports: [Int], retries: Int = 3, retryWait: Duration = .seconds(2), names: [String] = [],
        requireMA: Bool = true
    ) throws -> RADIUSClientConfiguration {
        try RADIUSClientConfiguration(
            servers: ports.map { .init(host: "127.0.0.1", port: $0) }, secret: RADIUSSharedSecret(secretText),
            retries: retries, retryWait: retryWait, passThroughAttributeNames: names,
            requireMessageAuthenticator: requireMA)
    }

    static func start(_ configuration: RADIUSClientConfiguration, logs: InMemoryLogHandler = InMemoryLogHandler()) async throws
        -> RADIUSClient
    {
        try await RADIUSClient.start(configuration: configuration, logger: Logger(label: "test.radius_client") { _ in logs })
    }

    /// A reply to a request datagram as a correct server signs it.
    static func reply(
        to datagram: [UInt8], _ code: RADIUSCode = .accessAccept, attributes: [RADIUSAttribute] = [],
        messageAuthenticator: Bool = true, secret: [UInt8] = RADIUSClientTransportTests.secret
    ) -> [UInt8]? {
        guard let request = try? RADIUSPacket(decoding: datagram) else { return nil }
        return try? RADIUSPacket(
            code: code, identifier: request.identifier, authenticator: request.authenticator, attributes: attributes
        ).encodeResponse(to: request.authenticator, secret: secret, messageAuthenticator: messageAuthenticator)
    }

    /// A server that accepts `password` for anyone and rejects the rest, with Message-Authenticator.
    static func fakeServer(password: String = "right") async throws -> UDPResponder {
        try await UDPResponder.start { datagram in
            guard let request = try? RADIUSPacket(decoding: datagram),
                (try? RADIUSPacket.checkMessageAuthenticator(in: datagram, secret: secret)) == .valid,
                let hidden = request[.userPassword],
                let plain = try? RADIUSUserPassword.unhide(hidden.value, secret: secret, authenticator: request.authenticator)
            else { return nil }
            if plain == Array(password.utf8) {
                return reply(to: datagram, .accessAccept, attributes: [
                    RADIUSAttribute(.class, Array("fake-class".utf8)), RADIUSAttribute(.filterID, text: "std"),
                ])
            }
            return reply(to: datagram, .accessReject, attributes: RADIUSAttribute.replyMessages("Denied"))
        }
    }

    /// A server that records requests and never answers: the test replies with `send(_:toPort:)`.
    static func silentServer() async throws -> UDPResponder {
        try await UDPResponder.start { _ in nil }
    }

    static func login(_ client: RADIUSClient, _ user: String = "alice", _ password: String = "right") async -> PrimaryOutcome {
        await client.authenticate(PrimaryRequest(username: user, password: Password(password)))
    }

    @Test func aSignedAcceptIsAcceptedWithTheNamedAttributes() async throws {
        let server = try await Self.fakeServer()
        defer { Task { await server.stop() } }
        let client = try await Self.start(try Self.configuration(ports: [server.port], names: ["Class"]))
        defer { Task { await client.shutdown() } }

        let outcome = await Self.login(client)
        guard case .accepted(let accept) = outcome else {
            Issue.record("expected accepted, got \(outcome)")
            return
        }
        #expect(accept.passThroughAttributes == [RADIUSAttribute(.class, Array("fake-class".utf8))])

        guard case .rejected(let rejection) = await Self.login(client, "alice", "wrong") else {
            Issue.record("expected rejected")
            return
        }
        #expect(rejection.kind == .refusedByServer)
        #expect(rejection.passThroughAttributes == RADIUSAttribute.replyMessages("Denied"))

        // What went on the wire: Message-Authenticator first and valid, fresh authenticators.
        let datagrams = server.datagrams
        #expect(datagrams.count == 2)
        for datagram in datagrams {
            #expect(datagram[20] == RADIUSAttributeType.messageAuthenticator.rawValue)
            #expect(try RADIUSPacket.checkMessageAuthenticator(in: datagram, secret: Self.secret) == .valid)
        }
        #expect(try RADIUSPacket(decoding: datagrams[0]).authenticator != RADIUSPacket(decoding: datagrams[1]).authenticator)
        #expect(client.statistics.requests == 2)
        #expect(client.statistics.replies == 2)
        #expect(client.statistics.totalDropped == 0)
    }

    @Test func anIPv6ServerIsReachedFromAnIPv6Socket() async throws {
        let server = try await UDPResponder.start(host: "::1") { datagram in
            Self.reply(to: datagram, .accessAccept, attributes: [RADIUSAttribute(.class, Array("v6".utf8))])
        }
        defer { Task { await server.stop() } }
        let client = try await Self.start(
            try RADIUSClientConfiguration(
                servers: [.init(host: "::1", port: server.port)], secret: RADIUSSharedSecret(Self.secretText),
                nasIP: "::1", passThroughAttributeNames: ["Class"]))
        defer { Task { await client.shutdown() } }

        let outcome = await Self.login(client)
        guard case .accepted(let accept) = outcome else {
            Issue.record("expected accepted, got \(outcome)")
            return
        }
        #expect(accept.passThroughAttributes == [RADIUSAttribute(.class, Array("v6".utf8))])
        let packet = try RADIUSPacket(decoding: try #require(server.datagrams.first))
        #expect(packet[.nasIPv6Address]?.value == [UInt8](repeating: 0, count: 15) + [1])
        #expect(packet[.nasIPAddress] == nil)
    }

    @Test func anEmptyPasswordIsNeverSent() async throws {
        let server = try await Self.fakeServer()
        defer { Task { await server.stop() } }
        let client = try await Self.start(try Self.configuration(ports: [server.port]))
        defer { Task { await client.shutdown() } }

        guard case .rejected(let rejection) = await Self.login(client, "alice", "") else {
            Issue.record("expected rejected")
            return
        }
        #expect(rejection.kind == .emptyPassword)
        // A login sent afterwards from the same socket is the first and only datagram the server saw.
        guard case .accepted = await Self.login(client) else {
            Issue.record("expected accepted")
            return
        }
        #expect(server.datagrams.count == 1)
        let packet = try RADIUSPacket(decoding: try #require(server.datagrams.first))
        let hidden = try #require(packet[.userPassword]).value
        #expect(try RADIUSUserPassword.unhide(hidden, secret: Self.secret, authenticator: packet.authenticator) == Array("right".utf8))
        #expect(client.statistics.requests == 1)
    }

    @Test func failsOverAfterRetriesWithRetryWaitBetweenTransmissions() async throws {
        let dead = try FreePort.udp()
        let silent = try await Self.silentServer()
        defer { Task { await silent.stop() } }
        let server = try await Self.fakeServer()
        defer { Task { await server.stop() } }
        let wait = Duration.milliseconds(300)
        let client = try await Self.start(try Self.configuration(ports: [dead, silent.port, server.port], retries: 2, retryWait: wait))
        defer { Task { await client.shutdown() } }

        let started = ContinuousClock.now
        let outcome = await Self.login(client)
        guard case .accepted = outcome else {
            Issue.record("expected accepted after failover, got \(outcome)")
            return
        }
        // The dead port took 3 transmissions (1 + retries), 300 ms apart, before the silent host got any.
        let arrivals = silent.arrivals
        #expect(arrivals.count == 3)
        let first = try #require(arrivals.first)
        #expect(first.instant - started >= wait * 3 - .milliseconds(20))
        for (earlier, later) in zip(arrivals, arrivals.dropFirst()) {
            let gap = later.instant - earlier.instant
            // Arrival times carry the receiver's scheduling delay: a late first arrival shortens the
            // gap seen here (135 ms of 300 was seen on a loaded machine). A quarter of retry_wait still
            // tells a timed retransmit from an immediate one (well under a millisecond).
            #expect(gap >= wait / 4, "retransmitted after \(gap), retry_wait is \(wait)")
            #expect(gap < wait + .seconds(2), "retransmitted after \(gap), retry_wait is \(wait)")
            // A retransmission is the identical packet (RFC 5080 §2.2.1), from the same port.
            #expect(later.bytes == earlier.bytes)
            #expect(later.sourcePort == earlier.sourcePort)
        }
        // The third host got that same packet, and answered it: once, or again when its answer
        // took longer than retry_wait (a loaded machine), and every retransmission is counted.
        let received = server.datagrams
        #expect(!received.isEmpty && received.allSatisfy { $0 == first.bytes })
        let statistics = client.statistics
        #expect(statistics.requests == 1)
        #expect(statistics.retransmissions == 4 + received.count - 1)
        #expect(statistics.failovers == 2)
        #expect(statistics.replies == 1)
    }

    @Test func everyHostSilentIsUnavailableNamingEachHost() async throws {
        let first = try FreePort.udp()
        let silent = try await Self.silentServer()
        defer { Task { await silent.stop() } }
        let client = try await Self.start(
            try Self.configuration(ports: [first, silent.port], retries: 1, retryWait: .milliseconds(100)))
        defer { Task { await client.shutdown() } }

        let outcome = await Self.login(client)
        guard case .unavailable(let diagnostic) = outcome else {
            Issue.record("expected unavailable, got \(outcome)")
            return
        }
        #expect(diagnostic.contains("127.0.0.1:\(first) (2 transmissions, retry_wait 0.1 s)"))
        #expect(diagnostic.contains("127.0.0.1:\(silent.port) (2 transmissions, retry_wait 0.1 s)"))
        #expect(!diagnostic.contains(Self.secretText))
        #expect(silent.datagrams.count == 2)
        #expect(client.statistics.unanswered == 1)
    }

    /// Starts a login against a silent server and returns its task and the request as it arrived.
    static func pendingLogin(
        _ client: RADIUSClient, server: UDPResponder, count: Int = 1
    ) async throws -> (Task<PrimaryOutcome, Never>, UDPResponder.Arrival) {
        let task = Task { await login(client) }
        try await Wait.until("the request arrived", timeout: .seconds(20)) { server.arrivals.count >= count }
        return (task, server.arrivals[count - 1])
    }

    @Test func aReplyFromAnotherPortIsDroppedAndTheRealOneMatched() async throws {
        let server = try await Self.silentServer()
        defer { Task { await server.stop() } }
        let impostor = try await Self.silentServer()
        defer { Task { await impostor.stop() } }
        let client = try await Self.start(try Self.configuration(ports: [server.port], retryWait: .seconds(30)))
        defer { Task { await client.shutdown() } }

        let (task, request) = try await Self.pendingLogin(client, server: server)
        let accept = try #require(Self.reply(to: request.bytes, .accessAccept))
        // Correctly signed, but from another port than the request went to.
        try await impostor.send(accept, toPort: request.sourcePort)
        try await Wait.until("the impostor's reply is dropped", timeout: .seconds(10)) {
            client.statistics.dropped(.wrongSource) == 1
        }
        let reject = try #require(Self.reply(to: request.bytes, .accessReject))
        try await server.send(reject, toPort: request.sourcePort)
        guard case .rejected(let rejection) = await task.value else {
            Issue.record("expected the real server's reject")
            return
        }
        #expect(rejection.kind == .refusedByServer)

        // The same reply again: its request is gone, so its identifier is unknown.
        try await server.send(reject, toPort: request.sourcePort)
        try await Wait.until("the late duplicate is dropped", timeout: .seconds(10)) {
            client.statistics.dropped(.unknownIdentifier) == 1
        }
        #expect(client.statistics.replies == 1)
    }

    @Test func aBadResponseAuthenticatorIsDroppedAndTheRequestKeepsWaiting() async throws {
        let server = try await Self.silentServer()
        defer { Task { await server.stop() } }
        let client = try await Self.start(try Self.configuration(ports: [server.port], retryWait: .seconds(30)))
        defer { Task { await client.shutdown() } }

        let (task, request) = try await Self.pendingLogin(client, server: server)
        var forged = try #require(Self.reply(to: request.bytes, .accessAccept))
        forged[4] ^= 0x80
        try await server.send(forged, toPort: request.sourcePort)
        let otherSecret = try #require(Self.reply(to: request.bytes, .accessAccept, secret: Array("guessed-secret".utf8)))
        try await server.send(otherSecret, toPort: request.sourcePort)
        try await Wait.until("both forgeries are dropped", timeout: .seconds(10)) {
            client.statistics.dropped(.badResponseAuthenticator) == 2
        }
        try await server.send(try #require(Self.reply(to: request.bytes, .accessReject)), toPort: request.sourcePort)
        guard case .rejected = await task.value else {
            Issue.record("expected the authentic reject, not a forged accept")
            return
        }
    }

    @Test func missingOrBadMessageAuthenticatorsAreDropped() async throws {
        let server = try await Self.silentServer()
        defer { Task { await server.stop() } }
        let client = try await Self.start(try Self.configuration(ports: [server.port], retryWait: .seconds(30)))
        defer { Task { await client.shutdown() } }

        let (task, request) = try await Self.pendingLogin(client, server: server)
        // Without Message-Authenticator (the BlastRADIUS attack strips it): dropped by default.
        try await server.send(
            try #require(Self.reply(to: request.bytes, .accessAccept, messageAuthenticator: false)), toPort: request.sourcePort)
        // With a wrong Message-Authenticator under a correct Response Authenticator.
        var bad = try #require(Self.reply(to: request.bytes, .accessAccept))
        bad[25] ^= 0x01
        RADIUSClientMessagesTests.resign(&bad, requestAuthenticator: try RADIUSPacket(decoding: request.bytes).authenticator, secret: Self.secret)
        try await server.send(bad, toPort: request.sourcePort)
        try await Wait.until("both are dropped", timeout: .seconds(10)) {
            client.statistics.dropped(.missingMessageAuthenticator) == 1
                && client.statistics.dropped(.badMessageAuthenticator) == 1
        }
        try await server.send(try #require(Self.reply(to: request.bytes, .accessAccept)), toPort: request.sourcePort)
        guard case .accepted = await task.value else {
            Issue.record("expected accepted")
            return
        }
    }

    @Test func dropsAreCountedEachButLoggedOncePerInterval() async throws {
        let server = try await Self.silentServer()
        defer { Task { await server.stop() } }
        let logs = InMemoryLogHandler()
        let client = try await Self.start(try Self.configuration(ports: [server.port], retryWait: .seconds(30)), logs: logs)
        defer { Task { await client.shutdown() } }

        let (task, request) = try await Self.pendingLogin(client, server: server)
        var forged = try #require(Self.reply(to: request.bytes, .accessAccept))
        forged[10] ^= 0x04
        for _ in 0..<5 { try await server.send(forged, toPort: request.sourcePort) }
        try await Wait.until("five forgeries are dropped", timeout: .seconds(10)) {
            client.statistics.dropped(.badResponseAuthenticator) == 5
        }
        let lines = logs.entries.filter { "\($0.message)".contains("RADIUS reply dropped") }
        #expect(lines.count == 1)
        #expect(lines.first?.level == .warning)
        #expect(lines.first.map { "\($0.message)" }?.contains("bad Response Authenticator") == true)
        #expect(lines.first.map { "\($0.message)" }?.contains("127.0.0.1:\(server.port)") == true)
        // Nothing logged carries the secret.
        #expect(!logs.entries.contains { "\($0.message)\($0.metadata)".contains(Self.secretText) })

        try await server.send(try #require(Self.reply(to: request.bytes, .accessReject)), toPort: request.sourcePort)
        guard case .rejected = await task.value else {
            Issue.record("expected rejected")
            return
        }
    }

    @Test func serversOfMixedFamiliesAreRefusedAtStart() async throws {
        do {
            let client = try await Self.start(
                try RADIUSClientConfiguration(
                    servers: [.init(host: "127.0.0.1", port: 1812), .init(host: "::1", port: 1812)],
                    secret: RADIUSSharedSecret(Self.secretText)))
            await client.shutdown()
            Issue.record("expected the start to fail")
        } catch let error as RADIUSClientStartError {
            #expect(error.key == "host")
            #expect(error.diagnostic.contains("IPv4 and IPv6"))
        }
    }

    @Test func aLegacyServerWithoutMessageAuthenticatorIsAcceptedOnlyWhenConfigured() async throws {
        let server = try await UDPResponder.start { datagram in
            Self.reply(to: datagram, .accessAccept, messageAuthenticator: false)
        }
        defer { Task { await server.stop() } }
        let strict = try await Self.start(try Self.configuration(ports: [server.port], retries: 0, retryWait: .milliseconds(300)))
        defer { Task { await strict.shutdown() } }
        guard case .unavailable = await Self.login(strict) else {
            Issue.record("expected unavailable: every reply lacks Message-Authenticator")
            return
        }
        #expect(strict.statistics.dropped(.missingMessageAuthenticator) == 1)

        let legacy = try await Self.start(try Self.configuration(ports: [server.port], requireMA: false))
        defer { Task { await legacy.shutdown() } }
        guard case .accepted = await Self.login(legacy) else {
            Issue.record("expected accepted with require_message_authenticator=false")
            return
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func moreThan256PendingRequestsUseASecondSourcePort() async throws {
        let server = try await Self.silentServer()
        defer { Task { await server.stop() } }
        let client = try await Self.start(try Self.configuration(ports: [server.port], retries: 0, retryWait: .seconds(60)))
        defer { Task { await client.shutdown() } }

        let count = 300
        let outcomes = Task {
            await withTaskGroup(of: PrimaryOutcome.self) { group in
                for index in 0..<count {
                    group.addTask {
                        await client.authenticate(PrimaryRequest(username: "user\(index)", password: Password("pw\(index)")))
                    }
                }
                var all: [PrimaryOutcome] = []
                for await outcome in group { all.append(outcome) }
                return all
            }
        }
        try await Wait.until("\(count) requests are pending at once", timeout: .seconds(60)) {
            server.arrivals.count >= count
        }
        let arrivals = server.arrivals
        let ports = Set(arrivals.map(\.sourcePort))
        #expect(ports.count == 2, "source ports: \(ports)")
        #expect(client.statistics.sourceSockets == 2)
        // No (port, identifier) pair is used twice while pending.
        let slots = Set(arrivals.map { "\($0.sourcePort)/\($0.bytes[1])" })
        #expect(slots.count == count)
        let perPort = Dictionary(grouping: arrivals, by: \.sourcePort).mapValues(\.count)
        #expect(perPort.values.sorted() == [count - 256, 256])

        // Answered in batches, so that no burst overflows a socket's receive buffer.
        for (index, arrival) in arrivals.enumerated() {
            try await server.send(try #require(Self.reply(to: arrival.bytes, .accessAccept)), toPort: arrival.sourcePort)
            if index % 50 == 49 {
                try await Wait.until("\(index + 1) replies are matched", timeout: .seconds(30)) {
                    client.statistics.replies >= index + 1
                }
            }
        }
        let all = await outcomes.value
        #expect(all.count == count)
        #expect(all.allSatisfy { if case .accepted = $0 { true } else { false } })
        #expect(client.statistics.replies == count)
        #expect(client.statistics.totalDropped == 0)
    }

    @Test func beyondTheSocketCapALoginIsRefusedAtOnce() async throws {
        let server = try await Self.silentServer()
        defer { Task { await server.stop() } }
        let client = try await RADIUSClient.start(
            configuration: try Self.configuration(ports: [server.port], retries: 0, retryWait: .seconds(60)),
            maximumSourceSockets: 1, logger: Logger(label: "test.radius_client") { _ in InMemoryLogHandler() })

        let pending = (0..<256).map { index in
            Task { await client.authenticate(PrimaryRequest(username: "user\(index)", password: Password("pw"))) }
        }
        try await Wait.until("256 requests are pending", timeout: .seconds(60)) { server.arrivals.count >= 256 }
        let refused = await Self.login(client)
        guard case .unavailable(let diagnostic) = refused else {
            Issue.record("expected unavailable, got \(refused)")
            return
        }
        #expect(diagnostic.contains("256 requests are already pending"))
        #expect(server.arrivals.count == 256)
        #expect(client.statistics.sourceSockets == 1)

        await client.shutdown()
        for task in pending {
            guard case .unavailable = await task.value else {
                Issue.record("expected the pending logins to end as unavailable at shutdown")
                return
            }
        }
    }

    @Test func shutdownEndsPendingLoginsAsUnavailable() async throws {
        let server = try await Self.silentServer()
        defer { Task { await server.stop() } }
        let client = try await Self.start(try Self.configuration(ports: [server.port], retryWait: .seconds(30)))

        let (task, _) = try await Self.pendingLogin(client, server: server)
        await client.shutdown()
        guard case .unavailable(let diagnostic) = await task.value else {
            Issue.record("expected unavailable")
            return
        }
        #expect(diagnostic.contains("shut down"))
        guard case .unavailable = await Self.login(client) else {
            Issue.record("expected unavailable after shutdown")
            return
        }
    }

    @Test func aCancelledLoginFreesItsSlot() async throws {
        let server = try await Self.silentServer()
        defer { Task { await server.stop() } }
        let client = try await Self.start(try Self.configuration(ports: [server.port], retryWait: .seconds(30)))
        defer { Task { await client.shutdown() } }

        let (task, request) = try await Self.pendingLogin(client, server: server)
        task.cancel()
        guard case .unavailable(let diagnostic) = await task.value else {
            Issue.record("expected unavailable")
            return
        }
        #expect(diagnostic.contains("abandoned"))
        // Its reply, arriving later, matches nothing.
        try await server.send(try #require(Self.reply(to: request.bytes, .accessAccept)), toPort: request.sourcePort)
        try await Wait.until("the reply to the abandoned request is dropped", timeout: .seconds(10)) {
            client.statistics.dropped(.unknownIdentifier) == 1
        }
    }
}
