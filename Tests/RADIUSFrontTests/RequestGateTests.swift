import RADIUSFront
import RADIUSWire
import Testing

/// SECURITY.md's RADIUS list at the gate: what is dropped, before any login work, and why.
@Suite struct RequestGateTests {
    let now = ContinuousClock.now
    let device = IPAddress("192.0.2.10")!

    func gate(requireMessageAuthenticator: Bool = true, limits: RADIUSRequestGate.Limits = .init()) -> RADIUSRequestGate {
        RADIUSRequestGate(sections: [Fixtures.section(requireMessageAuthenticator: requireMessageAuthenticator)], limits: limits)
    }

    func dropKind(_ action: RADIUSRequestGate.Action) -> RADIUSRequestGate.DropReason.Kind? {
        if case .drop(let reason) = action { return reason.kind }
        return nil
    }

    @Test func anAuthenticRequestBecomesALogin() {
        var gate = gate()
        guard case .login(let login) = gate.receive(Fixtures.accessRequest("alice", "secret"), from: device, port: 5000, now: now) else {
            Issue.record("expected a login")
            return
        }
        #expect(login.sectionIndex == 0)
        #expect(gate.loginsInFlight == 1)
    }

    @Test func unknownClientsAreDropped() {
        var gate = gate()
        #expect(dropKind(gate.receive(Fixtures.accessRequest("alice", "secret"), from: IPAddress("198.51.100.1")!, port: 5000, now: now)) == .unknownClient)
    }

    @Test(arguments: [[UInt8](), [1, 1, 0], Array(repeating: 0, count: 19), [1, 1, 0x10, 0x01] + Array(repeating: 0, count: 16)])
    func malformedDatagramsAreDropped(_ datagram: [UInt8]) {
        var gate = gate()
        #expect(dropKind(gate.receive(datagram, from: device, port: 5000, now: now)) == .malformed)
    }

    @Test func repliesSentToTheServerAreDropped() throws {
        var gate = gate()
        let accept = try RADIUSPacket(code: .accessAccept, identifier: 1, authenticator: .random(), attributes: []).encoded()
        #expect(dropKind(gate.receive(accept, from: device, port: 5000, now: now)) == .notARequest)
    }

    @Test func messageAuthenticatorRules() {
        var strict = gate()
        #expect(dropKind(strict.receive(Fixtures.accessRequest("alice", "secret", messageAuthenticator: false), from: device, port: 1, now: now)) == .missingMessageAuthenticator)
        #expect(dropKind(strict.receive(Fixtures.accessRequest("alice", "secret", secret: Array("another-secret".utf8)), from: device, port: 1, now: now)) == .invalidMessageAuthenticator)
        var legacy = gate(requireMessageAuthenticator: false)
        guard case .login = legacy.receive(Fixtures.accessRequest("alice", "secret", messageAuthenticator: false), from: device, port: 1, now: now) else {
            Issue.record("a legacy client without Message-Authenticator is served when the section allows it")
            return
        }
        let proxied = Fixtures.accessRequest("alice", "secret", identifier: 2, messageAuthenticator: false, extra: [RADIUSAttribute(.proxyState, [1, 2])])
        #expect(dropKind(legacy.receive(proxied, from: device, port: 1, now: now)) == .proxyStateWithoutMessageAuthenticator)
    }

    @Test func retransmitsAreAbsorbedThenAnsweredWithTheSameBytes() {
        var gate = gate()
        let request = Fixtures.accessRequest("alice", "secret")
        guard case .login(let login) = gate.receive(request, from: device, port: 5000, now: now) else {
            Issue.record("expected a login")
            return
        }
        #expect(dropKind(gate.receive(request, from: device, port: 5000, now: now)) == .inFlight)
        gate.complete(login.key, reply: [2, 1, 0, 20], now: now)
        guard case .resend(let bytes) = gate.receive(request, from: device, port: 5000, now: now + .seconds(5)) else {
            Issue.record("expected the cached reply")
            return
        }
        #expect(bytes == [2, 1, 0, 20])
        #expect(gate.loginsInFlight == 0)
    }

    @Test func statusServerIsAnsweredAtOnce() throws {
        var gate = gate()
        let status = try RADIUSPacket(code: .statusServer, identifier: 9, authenticator: .random(), attributes: [])
        let bytes = try status.encodeRequest(secret: Fixtures.secret)
        guard case .reply(let reply) = gate.receive(bytes, from: device, port: 5000, now: now) else {
            Issue.record("expected an answer")
            return
        }
        let decoded = try RADIUSPacket(decoding: reply)
        #expect(decoded.code == .accessAccept)
        #expect(decoded.attributes.first?.type == .messageAuthenticator)
        #expect(try RADIUSPacket.checkMessageAuthenticator(in: reply, secret: Fixtures.secret, requestAuthenticator: status.authenticator) == .valid)
        #expect(try RADIUSPacket.verifyResponseAuthenticator(in: reply, requestAuthenticator: status.authenticator, secret: Fixtures.secret))
        // Without Message-Authenticator, Status-Server is dropped (RFC 5997 §3), even for a legacy client.
        var legacy = self.gate(requireMessageAuthenticator: false)
        #expect(dropKind(legacy.receive(try status.encodeRequest(secret: Fixtures.secret, messageAuthenticator: false), from: device, port: 1, now: now)) == .missingMessageAuthenticator)
    }

    @Test func theMostSpecificNetworkChoosesTheSection() {
        let wide = Fixtures.section(name: "wide", networks: ["192.0.2.0/24"], secret: Array("wide-secret".utf8))
        let narrow = Fixtures.section(name: "narrow", networks: ["192.0.2.8-192.0.2.15"], secret: Array("narrow-secret".utf8))
        var gate = RADIUSRequestGate(sections: [wide, narrow])
        guard case .login(let login) = gate.receive(Fixtures.accessRequest("alice", "secret", secret: Array("narrow-secret".utf8)), from: device, port: 1, now: now) else {
            Issue.record("expected the narrow section")
            return
        }
        #expect(login.sectionIndex == 1)
        guard case .login(let other) = gate.receive(Fixtures.accessRequest("alice", "secret", secret: Array("wide-secret".utf8)), from: IPAddress("192.0.2.200")!, port: 1, now: now) else {
            Issue.record("expected the wide section")
            return
        }
        #expect(other.sectionIndex == 0)
    }

    @Test func workIsBoundedPerClientAndWhileShuttingDown() {
        var gate = gate(limits: .init(inFlight: 10, inFlightPerClient: 2))
        for identifier: UInt8 in 1...2 {
            guard case .login = gate.receive(Fixtures.accessRequest("alice", "secret", identifier: identifier), from: device, port: 1, now: now) else {
                Issue.record("expected a login")
                return
            }
        }
        #expect(dropKind(gate.receive(Fixtures.accessRequest("alice", "secret", identifier: 3), from: device, port: 1, now: now)) == .busy)
        guard case .login = gate.receive(Fixtures.accessRequest("alice", "secret", identifier: 3), from: IPAddress("192.0.2.11")!, port: 1, now: now) else {
            Issue.record("another client is not held up")
            return
        }
        gate.accepting = false
        #expect(dropKind(gate.receive(Fixtures.accessRequest("alice", "secret", identifier: 4), from: IPAddress("192.0.2.12")!, port: 1, now: now)) == .shuttingDown)
    }
}
