import LDAPWire
import Policy
import Testing

@testable import Upstream

/// The relay operation of the client state machine (`[ldap_server_auto]`): a proxied request goes
/// out as it came, and every response to it comes back in order.
@Suite struct LDAPClientRelayTests {
    static let endpoint = "dc1:389"

    static let search = LDAPMessage.ProtocolOp.searchRequest(.init(baseObject: "dc=example,dc=com", filter: .present("objectClass")))

    @Test func aSearchComesBackWholeReferencesAndReferralsIncluded() {
        var machine = LDAPClientStateMachine(endpoint: Self.endpoint, tlsFromStart: false)
        let control = LDAPControl(controlType: "1.2.840.113556.1.4.319", criticality: true, controlValue: [0x30, 0x00])
        let (id, action) = machine.send(.relay(Self.search, controls: [control], limits: .init(maximumResponses: 10)))
        #expect(action == .write(LDAPMessage(messageID: id, protocolOp: Self.search, controls: [control]), expectsResponse: true))
        let entry = LDAPMessage(messageID: id, protocolOp: .searchResultEntry(.init(objectName: "uid=a,dc=example,dc=com", attributes: [])))
        let reference = LDAPMessage(messageID: id, protocolOp: .searchResultReference(.init(uris: ["ldap://other/dc=example,dc=com"])))
        var referral = LDAPResult(resultCode: .referral)
        referral.referral = ["ldap://elsewhere/dc=example,dc=com"]
        let done = LDAPMessage(messageID: id, protocolOp: .searchResultDone(referral))
        #expect(machine.received(entry) == .none)
        #expect(machine.received(reference) == .none)
        #expect(machine.received(done) == .succeed(messageID: id, .relayed([entry, reference, done])))
    }

    @Test func entriesBeyondTheCapEndInSizeLimitExceeded() {
        var machine = LDAPClientStateMachine(endpoint: Self.endpoint, tlsFromStart: false)
        let (id, _) = machine.send(.relay(Self.search, controls: [], limits: .init(maximumResponses: 2)))
        for name in ["uid=a", "uid=b", "uid=c"] {
            _ = machine.received(LDAPMessage(messageID: id, protocolOp: .searchResultEntry(.init(objectName: name, attributes: []))))
        }
        guard case .succeed(_, .relayed(let responses)) = machine.received(
            LDAPMessage(messageID: id, protocolOp: .searchResultDone(LDAPResult(resultCode: .success))))
        else {
            Issue.record("no relayed responses")
            return
        }
        #expect(responses.count == 3)
        guard case .searchResultDone(let result) = responses.last?.protocolOp else {
            Issue.record("the final response comes last")
            return
        }
        #expect(result.resultCode == .sizeLimitExceeded)
    }

    @Test func bytesBeyondTheCapEndInSizeLimitExceededToo() {
        var machine = LDAPClientStateMachine(endpoint: Self.endpoint, tlsFromStart: false)
        let (id, _) = machine.send(.relay(Self.search, controls: [], limits: .init(maximumResponses: 10, maximumBytes: 250)))
        for name in ["uid=a", "uid=b", "uid=c"] {
            _ = machine.received(LDAPMessage(messageID: id, protocolOp: .searchResultEntry(.init(objectName: name, attributes: []))), size: 100)
        }
        guard case .succeed(_, .relayed(let responses)) = machine.received(
            LDAPMessage(messageID: id, protocolOp: .searchResultDone(LDAPResult(resultCode: .success))))
        else {
            Issue.record("no relayed responses")
            return
        }
        #expect(responses.count == 3, "two entries of 100 bytes fit in 250, the third does not")
        if case .searchResultDone(let result) = responses.last?.protocolOp { #expect(result.resultCode == .sizeLimitExceeded) }
    }

    @Test func aWriteGetsItsOneResponseAndAWrongOneClosesTheConnection() {
        var machine = LDAPClientStateMachine(endpoint: Self.endpoint, tlsFromStart: false)
        let add = LDAPMessage.ProtocolOp.addRequest(.init(entry: "cn=x,dc=example,dc=com", attributes: []))
        let (id, _) = machine.send(.relay(add, controls: [], limits: .init(maximumResponses: 10)))
        let response = LDAPMessage(messageID: id, protocolOp: .addResponse(LDAPResult(resultCode: .insufficientAccessRights)))
        #expect(machine.received(response) == .succeed(messageID: id, .relayed([response])))

        let (second, _) = machine.send(.relay(add, controls: [], limits: .init(maximumResponses: 10)))
        let entry = LDAPMessage(messageID: second, protocolOp: .searchResultEntry(.init(objectName: "uid=a", attributes: [])))
        guard case .failAll([second], let error, closeChannel: true) = machine.received(entry) else {
            Issue.record("an entry is no answer to an add")
            return
        }
        #expect(error.kind == .protocolViolation)
    }

    @Test func requestsWithoutAResponseAreNotRelayed() {
        var machine = LDAPClientStateMachine(endpoint: Self.endpoint, tlsFromStart: false)
        guard case .failOperation(let error) = machine.send(.relay(.abandonRequest(.init(messageID: 3)), controls: [], limits: .init(maximumResponses: 1))).action
        else {
            Issue.record("Abandon has no response to wait for")
            return
        }
        #expect(error.kind == .protocolViolation)
    }
}
