import LDAPWire
@testable import Policy
import Testing

@testable import LDAPFront

/// The session state machine with `[ldap_server_auto]` sections: what is relayed, what is refused,
/// and which binds go to Duo, without sockets.
struct AutoSessionStateMachineTests {
    typealias Base = SessionStateMachineTests
    static let service = "cn=admin,dc=example,dc=com"
    static let alice = "uid=alice,ou=people,dc=example,dc=com"

    static func machine(_ options: LDAPAutoRealms.Options = .init(), duoOnly: Bool = false) -> LDAPSessionStateMachine {
        let realms = LDAPAutoRealms([
            .init(section: "ldap_server_auto", rules: .init(bindDNSuffix: try! LDAPDN(parsing: "dc=example,dc=com")), options: options),
            .init(section: "ldap_server_auto2", rules: .init(usernameSuffix: "@partners.example.com"), options: options),
        ])
        return LDAPSessionStateMachine(
            configuration: LDAPSessionConfiguration(transport: .clear),
            directory: duoOnly ? Base.directory : LDAPDuoOnlyDirectory(integrations: []), realms: realms)
    }

    static func add(_ id: Int32) -> LDAPMessage {
        LDAPMessage(messageID: id, protocolOp: .addRequest(.init(entry: "cn=new,dc=example,dc=com", attributes: [
            PartialAttribute(type: "objectClass", stringValues: ["device"]),
        ])))
    }

    static func bindDone(_ code: LDAPResultCode) -> LDAPMessage {
        LDAPMessage(messageID: 99, protocolOp: .bindResponse(.init(result: LDAPResult(resultCode: code))))
    }

    /// Relays the service bind (exempt) and answers it with success.
    static func serviceBound(_ machine: inout LDAPSessionStateMachine) {
        guard case .relay(1, 0, let message) = machine.received(Base.bind(1, service, "admin-secret"), pipelinedBytes: 0) else {
            Issue.record("the first bind is relayed as it came")
            return
        }
        #expect(message.protocolOp == .bindRequest(.simple(name: service, password: Array("admin-secret".utf8))))
        #expect(!machine.acceptsRequests && !machine.readsSocket, "one operation at a time")
        #expect(Base.resultCode(machine.relayed(messageID: 1, responses: [bindDone(.success)])) == .success)
        #expect(machine.identity == .directory(realm: 0, name: service))
    }

    /// A user bind to Policy, decided as `decision`.
    static func userBind(_ machine: inout LDAPSessionStateMachine, _ id: Int32, _ decision: Decision) -> LDAPSessionStateMachine.Action {
        guard case .authenticateOnDirectory(id, 0, alice, let request) = machine.received(Base.bind(id, alice, "alice-secret,push"), pipelinedBytes: 0)
        else {
            Issue.record("a bind after the primary bind goes to Policy")
            return .none
        }
        #expect(request.identity.duoUsername == "alice")
        #expect(request.password.text == "alice-secret,push", "Policy splits the factor off")
        return machine.bindDecided(messageID: id, decision)
    }

    static let accept = Decision.accept(.init(message: "Success. Logging you in...", attributes: [], withoutSecondFactor: false))

    @Test func nothingIsRelayedBeforeABind() throws {
        var machine = Self.machine()
        #expect(Base.resultCode(machine.received(try Base.search(1, base: "dc=example,dc=com", "(uid=*)"), pipelinedBytes: 0)) == .insufficientAccessRights)
        #expect(Base.resultCode(machine.received(Self.add(2), pipelinedBytes: 0)) == .insufficientAccessRights)
        // The root DSE and WhoAmI are the session's own.
        let root = Base.sent(machine.received(try Base.search(3, base: "", scope: .baseObject, "(objectClass=*)"), pipelinedBytes: 0))
        #expect(root.count == 2)
    }

    @Test func refusalsBeforeAnyUpstreamCall() {
        var machine = Self.machine()
        #expect(Base.resultCode(machine.received(Base.bind(1, Self.alice, ""), pipelinedBytes: 0)) == .unwillingToPerform)
        #expect(Base.resultCode(machine.received(Base.bind(2, "", ""), pipelinedBytes: 0)) == .inappropriateAuthentication)
        let sasl = LDAPMessage(messageID: 3, protocolOp: .bindRequest(.init(name: "", authentication: .sasl(.init(mechanism: "GSSAPI")))))
        #expect(Base.resultCode(machine.received(sasl, pipelinedBytes: 0)) == .authMethodNotSupported)
        let unmatched = machine.received(Base.bind(4, "uid=alice,dc=elsewhere", "secret"), pipelinedBytes: 0)
        #expect(Base.resultCode(unmatched) == .invalidCredentials)
        if case .bindResponse(let response) = Base.sent(unmatched).first?.protocolOp {
            #expect(response.result.diagnosticMessage == "no realm matched")
        }
        // None of these counted as the primary bind: the next one is still exempt.
        guard case .relay = machine.received(Base.bind(5, Self.service, "admin-secret"), pipelinedBytes: 0) else {
            Issue.record("the first bind that reaches a directory is the exempt one")
            return
        }
    }

    @Test func afterTheServiceBindOperationsAreRelayedUnderTheClientsMessageID() throws {
        var machine = Self.machine()
        Self.serviceBound(&machine)
        let search = try Base.search(7, base: "dc=example,dc=com", "(uid=alice)")
        guard case .relay(7, 0, let relayed) = machine.received(search, pipelinedBytes: 0) else {
            Issue.record("a search after the bind is relayed")
            return
        }
        #expect(relayed == search)
        let entry = LDAPMessage(messageID: 42, protocolOp: .searchResultEntry(.init(objectName: Self.alice, attributes: [])))
        let reference = LDAPMessage(messageID: 42, protocolOp: .searchResultReference(.init(uris: ["ldap://other/dc=example,dc=com"])))
        let done = LDAPMessage(messageID: 42, protocolOp: .searchResultDone(LDAPResult(resultCode: .success)))
        let answer = Base.sent(machine.relayed(messageID: 7, responses: [entry, entry, reference, done]))
        #expect(answer.map(\.messageID) == [7, 7, 7, 7])
        #expect(answer.map(\.protocolOp.kind) == [.searchResultEntry, .searchResultEntry, .searchResultReference, .searchResultDone])
        #expect(machine.acceptsRequests)

        // Writes too, with their controls (critical ones are the directory's to judge).
        var write = Self.add(8)
        write.controls = [LDAPControl(controlType: "1.2.3.4", criticality: true)]
        guard case .relay(8, 0, let relayedWrite) = machine.received(write, pipelinedBytes: 0) else {
            Issue.record("a write after the bind is relayed")
            return
        }
        #expect(relayedWrite.controls == write.controls)
        #expect(Base.resultCode(machine.relayFailed(messageID: 8, diagnostic: "127.0.0.1:389: connection closed")) == .unavailable)
        #expect(machine.identity == .directory(realm: 0, name: Self.service))
    }

    @Test func aRefusedPrimaryBindIs49WhateverTheDirectorySaid() {
        for code in [LDAPResultCode.invalidCredentials, .noSuchObject, .unwillingToPerform] {
            var machine = Self.machine()
            guard case .relay = machine.received(Base.bind(1, Self.service, "wrong"), pipelinedBytes: 0) else {
                Issue.record("relayed")
                return
            }
            let answer = machine.relayed(messageID: 1, responses: [Self.bindDone(code)])
            #expect(Base.resultCode(answer) == .invalidCredentials)
            #expect(machine.identity == .anonymous)
        }
    }

    @Test func theUserBindGoesToDuoAndAFurtherBindClosesTheConnection() throws {
        var machine = Self.machine()
        Self.serviceBound(&machine)
        #expect(Base.resultCode(Self.userBind(&machine, 2, Self.accept)) == .success)
        #expect(machine.identity == .directory(realm: 0, name: Self.alice))
        guard case .relay = machine.received(try Base.search(3, base: "dc=example,dc=com", "(uid=alice)"), pipelinedBytes: 0) else {
            Issue.record("searches after the user bind are relayed by default")
            return
        }
        _ = machine.relayed(messageID: 3, responses: [LDAPMessage(messageID: 1, protocolOp: .searchResultDone(LDAPResult(resultCode: .success)))])
        guard case .sendAndClose([], let log) = machine.received(Base.bind(4, Self.service, "admin-secret"), pipelinedBytes: 0) else {
            Issue.record("allow_unlimited_binds=false closes the connection on a further bind")
            return
        }
        #expect(log?.contains("allow_unlimited_binds") == true)
        #expect(machine.isClosed)
    }

    @Test func withUnlimitedBindsEveryFurtherBindGoesToDuo() {
        var machine = Self.machine(.init(allowUnlimitedBinds: true))
        Self.serviceBound(&machine)
        #expect(Base.resultCode(Self.userBind(&machine, 2, Self.accept)) == .success)
        #expect(Base.resultCode(Self.userBind(&machine, 3, Self.accept)) == .success)
    }

    @Test func aBindDuoRefusedIs49WithDuosMessageAndDropsTheUpstream() {
        var machine = Self.machine()
        Self.serviceBound(&machine)
        let refused = Self.userBind(&machine, 2, .reject(.init(message: "Login request denied.", attributes: [])))
        guard case .sendAndCloseUpstream(let messages, 0, _) = refused,
            case .bindResponse(let response) = messages.first?.protocolOp
        else {
            Issue.record("expected 49 and the upstream closed, got \(refused)")
            return
        }
        #expect(response.result.resultCode == .invalidCredentials)
        #expect(response.result.diagnosticMessage == "Login request denied.")
        #expect(machine.identity == .anonymous, "the second bind reset the service account's identity")
        #expect(Base.resultCode(machine.received(Self.add(3), pipelinedBytes: 0)) == .insufficientAccessRights)
    }

    @Test func searchesAfterTheUserBindCanBeRefused() throws {
        var machine = Self.machine(.init(allowSearchesAfterBind: false))
        Self.serviceBound(&machine)
        guard case .relay = machine.received(try Base.search(2, base: "dc=example,dc=com", "(uid=alice)"), pipelinedBytes: 0) else {
            Issue.record("the service account searches")
            return
        }
        _ = machine.relayed(messageID: 2, responses: [LDAPMessage(messageID: 1, protocolOp: .searchResultDone(LDAPResult(resultCode: .success)))])
        #expect(Base.resultCode(Self.userBind(&machine, 3, Self.accept)) == .success)
        #expect(Base.resultCode(machine.received(try Base.search(4, base: "dc=example,dc=com", "(uid=*)"), pipelinedBytes: 0)) == .insufficientAccessRights)
    }

    @Test func withoutTheExemptPrimaryBindTheFirstBindGoesToDuo() {
        var machine = Self.machine(.init(exemptPrimaryBind: false))
        #expect(Base.resultCode(Self.userBind(&machine, 1, Self.accept)) == .success)
    }

    @Test func aSharedListenerSendsDuoOnlyDNsToTheirSectionAndTheRestToTheRealms() {
        var machine = Self.machine(duoOnly: true)
        #expect(Base.resultCode(machine.received(Base.bind(1, Base.base, Base.skey), pipelinedBytes: 0)) == .success)
        #expect(machine.identity == .integration(index: 0, dn: Base.base))
        guard case .relay(2, 0, _) = machine.received(Base.bind(2, Self.service, "admin-secret"), pipelinedBytes: 0) else {
            Issue.record("a DN outside dc=duosecurity,dc=com goes to the auto sections")
            return
        }
        #expect(machine.identity == .anonymous)
        _ = machine.relayed(messageID: 2, responses: [Self.bindDone(.success)])
        guard case .authenticateOnDirectory(3, 1, "bob@partners.example.com", let request) =
            machine.received(Base.bind(3, "bob@partners.example.com", "pw"), pipelinedBytes: 0)
        else {
            Issue.record("the username suffix chooses the second realm")
            return
        }
        #expect(request.identity.duoUsername == "bob")
    }
}
