import LDAPWire
import Policy
import Testing

@testable import Upstream

/// The client connection's pure state: events in, actions out, no sockets.
@Suite struct LDAPClientStateMachineTests {
    static let endpoint = "dc1:389"
    static let request = LDAPMessage.SearchRequest(baseObject: "dc=example,dc=com", sizeLimit: 2, filter: .equal("uid", "alice"))

    static func entry(_ name: String) -> LDAPMessage {
        LDAPMessage(messageID: 2, protocolOp: .searchResultEntry(.init(objectName: name, attributes: [])))
    }

    @Test func bindGetsItsResponse() {
        var machine = LDAPClientStateMachine(endpoint: Self.endpoint, tlsFromStart: false)
        let (id, action) = machine.send(.bind(name: "cn=svc", password: Password("pw")))
        #expect(id == 1)
        #expect(action == .write(
            LDAPMessage(messageID: 1, protocolOp: .bindRequest(.simple(name: "cn=svc", password: Array("pw".utf8)))),
            expectsResponse: true))
        let result = LDAPResult(resultCode: .invalidCredentials)
        #expect(machine.received(LDAPMessage(messageID: 1, protocolOp: .bindResponse(.init(result: result))))
            == .succeed(messageID: 1, .bind(result)))
        #expect(machine.send(.bind(name: "", password: Password(""))).messageID == 2)
    }

    @Test func searchKeepsEntriesUpToTheCapAndCountsTheRest() {
        var machine = LDAPClientStateMachine(endpoint: Self.endpoint, tlsFromStart: false)
        _ = machine.send(.bind(name: "cn=svc", password: Password("pw")))
        _ = machine.received(LDAPMessage(messageID: 1, protocolOp: .bindResponse(.init(result: .init(resultCode: .success)))))
        let (id, _) = machine.send(.search(Self.request, maximumEntries: 2))
        #expect(id == 2)
        for name in ["uid=a", "uid=b", "uid=c"] { #expect(machine.received(Self.entry(name)) == .none) }
        #expect(machine.received(LDAPMessage(
            messageID: 2, protocolOp: .searchResultReference(.init(uris: ["ldap://other/dc=example,dc=com"])))) == .none)
        let done = LDAPResult(resultCode: .sizeLimitExceeded)
        guard case .succeed(2, .search(let outcome)) = machine.received(LDAPMessage(messageID: 2, protocolOp: .searchResultDone(done))) else {
            Issue.record("no search outcome")
            return
        }
        #expect(outcome.entries.map(\.objectName) == ["uid=a", "uid=b"])
        #expect(outcome.entryCount == 3)
        #expect(outcome.referenceCount == 1)
        #expect(outcome.referenceURIs == ["ldap://other/dc=example,dc=com"])
        #expect(outcome.result == done)
    }

    @Test func aResponseForNoOutstandingRequestClosesTheConnection() {
        var machine = LDAPClientStateMachine(endpoint: Self.endpoint, tlsFromStart: false)
        _ = machine.send(.bind(name: "cn=svc", password: Password("pw")))
        let action = machine.received(LDAPMessage(messageID: 7, protocolOp: .bindResponse(.init(result: .init(resultCode: .success)))))
        guard case .failAll([1], let error, closeChannel: true) = action else {
            Issue.record("expected failAll, got \(action)")
            return
        }
        #expect(error.kind == .protocolViolation)
        #expect(error.diagnostic.contains("dc1:389"))
        // Sticky: later operations fail with the same error.
        #expect(machine.send(.bind(name: "x", password: Password("y"))).action == .failOperation(error))
    }

    @Test func theWrongResponseTypeIsAProtocolViolation() {
        var machine = LDAPClientStateMachine(endpoint: Self.endpoint, tlsFromStart: false)
        _ = machine.send(.bind(name: "cn=svc", password: Password("pw")))
        let action = machine.received(Self.entry("uid=a").withID(1))
        guard case .failAll(_, let error, closeChannel: true) = action else {
            Issue.record("expected failAll, got \(action)")
            return
        }
        #expect(error.kind == .protocolViolation)
    }

    @Test func aNoticeOfDisconnectionFailsEverything() {
        var machine = LDAPClientStateMachine(endpoint: Self.endpoint, tlsFromStart: false)
        _ = machine.send(.bind(name: "cn=svc", password: Password("pw")))
        _ = machine.send(.search(Self.request, maximumEntries: 2))
        let notice = LDAPMessage.ExtendedResponse.noticeOfDisconnection(.unavailable, diagnosticMessage: "shutting down")
        guard case .failAll([1, 2], let error, closeChannel: true) = machine.received(notice) else {
            Issue.record("expected failAll")
            return
        }
        #expect(error.kind == .connectionClosed)
        #expect(error.diagnostic.contains("Notice of Disconnection"))
    }

    @Test func startTLSWaitsForTheHandshakeAndBlocksOtherOperations() {
        var machine = LDAPClientStateMachine(endpoint: Self.endpoint, tlsFromStart: false)
        let (id, action) = machine.send(.startTLS)
        #expect(action == .write(LDAPMessage(messageID: id, protocolOp: .extendedRequest(.startTLS)), expectsResponse: true))
        guard case .failOperation(let early) = machine.send(.bind(name: "cn=svc", password: Password("pw"))).action else {
            Issue.record("a bind during StartTLS was not refused")
            return
        }
        #expect(early.kind == .protocolViolation)
        let response = LDAPMessage(
            messageID: id, protocolOp: .extendedResponse(.init(result: .init(resultCode: .success), responseName: LDAPOID.startTLS)))
        #expect(machine.received(response) == .insertTLSHandler(messageID: id))
        #expect(machine.tlsHandshakeCompleted() == .tlsEstablished(startTLSMessageID: id))
        #expect(machine.isTLSEstablished)
        guard case .write = machine.send(.bind(name: "cn=svc", password: Password("pw"))).action else {
            Issue.record("a bind after StartTLS was refused")
            return
        }
        guard case .failOperation = machine.send(.startTLS).action else {
            Issue.record("a second StartTLS was sent")
            return
        }
    }

    @Test func aRefusedStartTLSIsATLSFailure() {
        var machine = LDAPClientStateMachine(endpoint: Self.endpoint, tlsFromStart: false)
        let (id, _) = machine.send(.startTLS)
        let response = LDAPMessage(messageID: id, protocolOp: .extendedResponse(.init(result: .init(resultCode: .protocolError))))
        guard case .failAll([1], let error, closeChannel: true) = machine.received(response) else {
            Issue.record("expected failAll")
            return
        }
        #expect(error.kind == .tlsFailed)
    }

    @Test func aMessageInTheClearAfterStartTLSIsRefused() {
        var machine = LDAPClientStateMachine(endpoint: Self.endpoint, tlsFromStart: false)
        let (id, _) = machine.send(.startTLS)
        _ = machine.received(LDAPMessage(
            messageID: id, protocolOp: .extendedResponse(.init(result: .init(resultCode: .success)))))
        guard case .failAll(_, let error, closeChannel: true) = machine.unencryptedBytesAfterStartTLS() else {
            Issue.record("expected failAll")
            return
        }
        #expect(error.kind == .protocolViolation)
    }

    @Test func aTimeoutClosesTheConnection() {
        var machine = LDAPClientStateMachine(endpoint: Self.endpoint, tlsFromStart: false)
        let (id, _) = machine.send(.search(Self.request, maximumEntries: 2))
        guard case .failAll([1], let error, closeChannel: true) = machine.timedOut(messageID: id, after: .seconds(10)) else {
            Issue.record("expected failAll")
            return
        }
        #expect(error.kind == .timedOut)
        #expect(error.diagnostic == "dc1:389: no answer to search within 10.0 seconds")
        // A late deadline of an answered operation does nothing.
        #expect(machine.timedOut(messageID: id, after: .seconds(10)) == .none)
    }

    @Test func anErrorDuringTheLDAPSHandshakeIsATLSFailure() {
        var machine = LDAPClientStateMachine(endpoint: Self.endpoint, tlsFromStart: true)
        guard case .failAll(_, let error, closeChannel: true) = machine.errorCaught("certificate verify failed", isTLSError: false) else {
            Issue.record("expected failAll")
            return
        }
        #expect(error.kind == .tlsFailed)
    }

    @Test func theChannelClosingFailsWhatIsPending() {
        var machine = LDAPClientStateMachine(endpoint: Self.endpoint, tlsFromStart: false)
        _ = machine.send(.bind(name: "cn=svc", password: Password("pw")))
        guard case .failAll([1], let error, closeChannel: false) = machine.channelInactive() else {
            Issue.record("expected failAll")
            return
        }
        #expect(error.kind == .connectionClosed)
        #expect(machine.channelInactive() == .none)
    }

    @Test func nothingFollowsAnUnbindAndPendingOperationsFailWhenTheChannelCloses() {
        var machine = LDAPClientStateMachine(endpoint: Self.endpoint, tlsFromStart: false)
        _ = machine.send(.search(Self.request, maximumEntries: 2))
        let (_, unbind) = machine.send(.unbind)
        #expect(unbind == .write(LDAPMessage(messageID: 2, protocolOp: .unbindRequest), expectsResponse: false))
        guard case .failOperation(let refused) = machine.send(.bind(name: "x", password: Password("y"))).action else {
            Issue.record("a bind after unbind was sent")
            return
        }
        #expect(refused.kind == .connectionClosed)
        guard case .failAll([1], _, closeChannel: false) = machine.channelInactive() else {
            Issue.record("the pending search was not failed")
            return
        }
    }

    @Test func theBindOperationNeverPrintsThePassword() {
        let operation = LDAPClientOperation.bind(name: "uid=alice", password: Password("hunter2"))
        #expect(!"\(operation)".contains("hunter2"))
    }
}

extension LDAPMessage {
    fileprivate func withID(_ id: Int32) -> LDAPMessage {
        LDAPMessage(messageID: id, protocolOp: protocolOp, controls: controls)
    }
}
