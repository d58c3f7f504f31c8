import LDAPWire
@testable import Policy
import Testing

@testable import LDAPFront

/// The session state machine, fed messages and events without sockets.
struct SessionStateMachineTests {
    static let ikey = "DIWJ8X6AEYOR5OMC6TQ1"
    static let skey = "Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep"
    static let base = "dc=\(ikey),dc=duosecurity,dc=com"
    static let directory = LDAPDuoOnlyDirectory(integrations: [
        ("ldap_server_duo_only", ikey, skey), ("ldap_server_duo_only2", "DIOTHER0000000000000", "other-secret"),
    ])

    static func machine(_ transport: LDAPSessionConfiguration.Transport = .clear) -> LDAPSessionStateMachine {
        LDAPSessionStateMachine(configuration: LDAPSessionConfiguration(transport: transport), directory: directory)
    }

    static func bind(_ id: Int32, _ name: String, _ password: String) -> LDAPMessage {
        LDAPMessage(messageID: id, protocolOp: .bindRequest(.simple(name: name, password: Array(password.utf8))))
    }

    static func search(_ id: Int32, base: String = base, scope: LDAPMessage.SearchRequest.Scope = .wholeSubtree, _ filter: String, attributes: [String] = []) throws -> LDAPMessage {
        LDAPMessage(messageID: id, protocolOp: .searchRequest(.init(baseObject: base, scope: scope, filter: try LDAPFilter(parsing: filter), attributes: attributes)))
    }

    /// The messages of a `.send`, or a failure naming what came instead.
    static func sent(_ action: LDAPSessionStateMachine.Action, sourceLocation: SourceLocation = #_sourceLocation) -> [LDAPMessage] {
        guard case .send(let messages, _) = action else {
            Issue.record("expected .send, got \(action)", sourceLocation: sourceLocation)
            return []
        }
        return messages
    }

    static func resultCode(_ action: LDAPSessionStateMachine.Action, sourceLocation: SourceLocation = #_sourceLocation) -> LDAPResultCode? {
        guard let last = sent(action, sourceLocation: sourceLocation).last else { return nil }
        switch last.protocolOp {
        case .bindResponse(let response): return response.result.resultCode
        case .searchResultDone(let result), .modifyResponse(let result), .addResponse(let result), .delResponse(let result),
            .compareResponse(let result), .modifyDNResponse(let result):
            return result.resultCode
        case .extendedResponse(let response): return response.result.resultCode
        default: return nil
        }
    }

    static func noticeCode(_ action: LDAPSessionStateMachine.Action) -> LDAPResultCode? {
        guard case .sendAndClose(let messages, _) = action, messages.count == 1, messages[0].messageID == 0,
            case .extendedResponse(let notice) = messages[0].protocolOp, notice.responseName == LDAPOID.noticeOfDisconnection
        else { return nil }
        return notice.result.resultCode
    }

    // MARK: - Binds

    @Test func integrationBindWithTheSecretKeySucceedsAndAnythingElseIs49() {
        var machine = Self.machine()
        #expect(Self.resultCode(machine.received(Self.bind(1, Self.base, Self.skey), pipelinedBytes: 0)) == .success)
        #expect(machine.identity == .integration(index: 0, dn: Self.base))
        // Case and spacing of the DN do not matter; the secret key does.
        #expect(Self.resultCode(machine.received(Self.bind(2, "DC=\(Self.ikey.lowercased()), dc=DuoSecurity,dc=com", Self.skey), pipelinedBytes: 0)) == .success)
        for (name, password) in [
            (Self.base, Self.skey + "x"), (Self.base, String(Self.skey.dropLast())), (Self.base, "other-secret"),
            ("dc=DIUNKNOWN0000000000,dc=duosecurity,dc=com", Self.skey), ("dc=duosecurity,dc=com", Self.skey), ("not a dn", Self.skey),
            ("cn=a,cn=b,\(Self.base)", "push"),
        ] {
            #expect(Self.resultCode(machine.received(Self.bind(3, name, password), pipelinedBytes: 0)) == .invalidCredentials, "\(name)")
            #expect(machine.identity == .anonymous, "a failed bind leaves the connection anonymous")
        }
    }

    @Test func eachIntegrationKeyHasItsOwnSecretKey() {
        var machine = Self.machine()
        let other = "dc=DIOTHER0000000000000,dc=duosecurity,dc=com"
        #expect(Self.resultCode(machine.received(Self.bind(1, other, Self.skey), pipelinedBytes: 0)) == .invalidCredentials)
        #expect(Self.resultCode(machine.received(Self.bind(2, other, "other-secret"), pipelinedBytes: 0)) == .success)
        #expect(machine.identity == .integration(index: 1, dn: other))
    }

    @Test func saslAnonymousAndEmptyPasswordsAreRefusedBeforePolicy() {
        var machine = Self.machine()
        let sasl = LDAPMessage(messageID: 1, protocolOp: .bindRequest(.init(name: "", authentication: .sasl(.init(mechanism: "EXTERNAL")))))
        #expect(Self.resultCode(machine.received(sasl, pipelinedBytes: 0)) == .authMethodNotSupported)
        #expect(Self.resultCode(machine.received(Self.bind(2, "", ""), pipelinedBytes: 0)) == .inappropriateAuthentication)
        #expect(Self.resultCode(machine.received(Self.bind(3, "cn=alice,\(Self.base)", ""), pipelinedBytes: 0)) == .unwillingToPerform)
        #expect(Self.resultCode(machine.received(Self.bind(4, Self.base, ""), pipelinedBytes: 0)) == .unwillingToPerform)
        #expect(machine.acceptsRequests)
    }

    @Test func aUserBindGoesToPolicyAndNothingIsReadMeanwhile() throws {
        var machine = Self.machine()
        guard case .authenticate(let id, let index, let request) = machine.received(Self.bind(7, "cn=alice,\(Self.base)", "push"), pipelinedBytes: 0)
        else {
            Issue.record("a user bind must go to Policy")
            return
        }
        #expect(id == 7 && index == 0)
        #expect(request.identity.raw == "alice")
        #expect(request.password.text == "push")
        #expect(!machine.acceptsRequests)
        #expect(machine.deadline == nil, "no idle deadline while a push is pending")
        // A PDU pipelined behind the bind breaks RFC 4511 §4.2.1: the session ends.
        var pipelined = machine
        #expect(Self.noticeCode(pipelined.received(Self.bind(8, Self.base, Self.skey), pipelinedBytes: 0)) == .protocolError)

        let accepted = machine.bindDecided(messageID: 7, .accept(.init(message: "Success. Logging you in...", attributes: [], withoutSecondFactor: false)))
        #expect(Self.resultCode(accepted) == .success)
        #expect(machine.identity == .user(index: 0, dn: "cn=alice,\(Self.base)"))
        #expect(machine.limits == LDAPSessionConfiguration.defaultLimitsAfterBind)

        // A second bind resets the identity, whatever it then decides.
        guard case .authenticate = machine.received(Self.bind(9, "cn=alice,\(Self.base)", "123456"), pipelinedBytes: 0) else {
            Issue.record("expected Policy")
            return
        }
        #expect(machine.identity == .anonymous)
        let rejected = machine.bindDecided(messageID: 9, .reject(.init(message: "Incorrect passcode", attributes: [])))
        #expect(Self.resultCode(rejected) == .invalidCredentials)
        if case .bindResponse(let response) = Self.sent(rejected).first?.protocolOp {
            #expect(response.result.diagnosticMessage == "Incorrect passcode")
        }
        #expect(machine.identity == .anonymous)
        #expect(machine.limits == LDAPSessionConfiguration.defaultLimitsBeforeBind)
        #expect(machine.acceptsRequests)
    }

    @Test func aUserDNNeedsACommonName() {
        var machine = Self.machine()
        #expect(Self.resultCode(machine.received(Self.bind(1, "uid=alice,\(Self.base)", "push"), pipelinedBytes: 0)) == .invalidCredentials)
        #expect(Self.resultCode(machine.received(Self.bind(2, "cn=alice+sn=x,\(Self.base)", "push"), pipelinedBytes: 0)) == .invalidCredentials)
    }

    @Test func clearBindsAreRefusedWhereStartTLSIsOffered() {
        var machine = Self.machine(.clearWithStartTLS)
        #expect(Self.resultCode(machine.received(Self.bind(1, Self.base, Self.skey), pipelinedBytes: 0)) == .confidentialityRequired)
        guard case .sendThenStartTLS = machine.received(LDAPMessage(messageID: 2, protocolOp: .extendedRequest(.startTLS)), pipelinedBytes: 0) else {
            Issue.record("StartTLS must be accepted")
            return
        }
        #expect(!machine.acceptsRequests)
        #expect(machine.deadline == .tlsHandshake)
        _ = machine.tlsEstablished()
        #expect(machine.acceptsRequests)
        #expect(Self.resultCode(machine.received(Self.bind(3, Self.base, Self.skey), pipelinedBytes: 0)) == .success)
        // StartTLS twice: operationsError.
        #expect(Self.resultCode(machine.received(LDAPMessage(messageID: 4, protocolOp: .extendedRequest(.startTLS)), pipelinedBytes: 0)) == .operationsError)
    }

    @Test func plaintextPipelinedAfterStartTLSClosesTheConnection() {
        var machine = Self.machine(.clearWithStartTLS)
        let action = machine.received(LDAPMessage(messageID: 1, protocolOp: .extendedRequest(.startTLS)), pipelinedBytes: 12)
        #expect(Self.noticeCode(action) == .protocolError)
        #expect(machine.isClosed)
    }

    @Test func startTLSOnLDAPSOrWithoutACertificate() {
        var ldaps = Self.machine(.ldaps)
        #expect(!ldaps.acceptsRequests, "LDAPS reads nothing before its handshake")
        #expect(ldaps.deadline == .tlsHandshake)
        _ = ldaps.tlsEstablished()
        #expect(ldaps.deadline == .firstPDU)
        #expect(Self.resultCode(ldaps.received(LDAPMessage(messageID: 1, protocolOp: .extendedRequest(.startTLS)), pipelinedBytes: 0)) == .operationsError)
        #expect(Self.resultCode(ldaps.received(Self.bind(2, Self.base, Self.skey), pipelinedBytes: 0)) == .success)
        var clear = Self.machine(.clear)
        #expect(Self.resultCode(clear.received(LDAPMessage(messageID: 1, protocolOp: .extendedRequest(.startTLS)), pipelinedBytes: 0)) == .unavailable)
    }

    // MARK: - Search

    @Test func searchFindsExactlyTheNamedUserOnlyAfterTheIntegrationBind() throws {
        var machine = Self.machine()
        #expect(Self.resultCode(machine.received(try Self.search(1, "(cn=alice)"), pipelinedBytes: 0)) == .insufficientAccessRights)
        _ = machine.received(Self.bind(2, Self.base, Self.skey), pipelinedBytes: 0)
        for filter in ["(cn=alice)", "(&(objectClass=*)(cn=alice))", "(&(cn=alice)(objectclass=person))", "(CN=alice)"] {
            let messages = Self.sent(machine.received(try Self.search(3, filter), pipelinedBytes: 0))
            #expect(messages.count == 2, "\(filter)")
            guard case .searchResultEntry(let entry) = messages.first?.protocolOp else { continue }
            #expect(entry.objectName == "cn=alice,\(Self.base)")
            #expect(entry.values(of: "cn") == [Array("alice".utf8)])
        }
        // No enumeration: wildcards, substrings, or, presence of cn, and the other integration's tree.
        for filter in ["(cn=*)", "(cn=a*)", "(|(cn=alice)(cn=bob))", "(objectClass=*)", "(!(cn=alice))", "(&(cn=alice)(cn=bob))"] {
            let messages = Self.sent(machine.received(try Self.search(4, filter), pipelinedBytes: 0))
            #expect(messages.count == 1, "\(filter) must find nobody")
            #expect(Self.resultCode(.send(messages, log: nil)) == .success)
        }
        let outside = machine.received(try Self.search(5, base: "dc=DIOTHER0000000000000,dc=duosecurity,dc=com", "(cn=alice)"), pipelinedBytes: 0)
        #expect(Self.resultCode(outside) == .noSuchObject)
        // The user's own entry read back by its DN.
        let own = Self.sent(machine.received(try Self.search(6, base: "cn=bob,\(Self.base)", scope: .baseObject, "(objectClass=*)", attributes: ["cn"]), pipelinedBytes: 0))
        #expect(own.count == 2)
        // `1.1` asks for no attributes.
        let none = Self.sent(machine.received(try Self.search(7, "(cn=alice)", attributes: ["1.1"]), pipelinedBytes: 0))
        if case .searchResultEntry(let entry) = none.first?.protocolOp { #expect(entry.attributes.isEmpty) }
    }

    @Test func aUserMayNotSearch() throws {
        var machine = Self.machine()
        _ = machine.received(Self.bind(1, "cn=alice,\(Self.base)", "push"), pipelinedBytes: 0)
        _ = machine.bindDecided(messageID: 1, .accept(.init(message: "", attributes: [], withoutSecondFactor: false)))
        #expect(Self.resultCode(machine.received(try Self.search(2, "(cn=bob)"), pipelinedBytes: 0)) == .insufficientAccessRights)
    }

    @Test func rootDSEIsReadableAnonymouslyAndOffersStartTLSOnlyBeforeTLS() throws {
        var machine = Self.machine(.clearWithStartTLS)
        let messages = Self.sent(machine.received(try Self.search(1, base: "", scope: .baseObject, "(objectClass=*)"), pipelinedBytes: 0))
        guard case .searchResultEntry(let entry) = messages.first?.protocolOp else {
            Issue.record("no root DSE")
            return
        }
        #expect(entry.values(of: "supportedLDAPVersion") == [Array("3".utf8)])
        #expect(entry.values(of: "supportedExtension")?.contains(Array(LDAPOID.startTLS.utf8)) == true)
        #expect(entry.values(of: "namingContexts") == nil, "the integration keys are not listed")
    }

    // MARK: - Other operations

    @Test func whoAmIReportsTheBoundDN() {
        var machine = Self.machine()
        let whoAmI = LDAPMessage(messageID: 1, protocolOp: .extendedRequest(.whoAmI))
        if case .extendedResponse(let response) = Self.sent(machine.received(whoAmI, pipelinedBytes: 0)).first?.protocolOp {
            #expect(response.whoAmIAuthzID == "")
        }
        _ = machine.received(Self.bind(2, Self.base, Self.skey), pipelinedBytes: 0)
        if case .extendedResponse(let response) = Self.sent(machine.received(whoAmI, pipelinedBytes: 0)).first?.protocolOp {
            #expect(response.whoAmIAuthzID == "dn:\(Self.base)")
        } else {
            Issue.record("no WhoAmI response")
        }
    }

    @Test func writesAbandonUnbindAndUnknownOperations() {
        var machine = Self.machine()
        let delete = LDAPMessage(messageID: 1, protocolOp: .delRequest(.init(entry: "cn=alice,\(Self.base)")))
        #expect(Self.resultCode(machine.received(delete, pipelinedBytes: 0)) == .insufficientAccessRights)
        _ = machine.received(Self.bind(2, Self.base, Self.skey), pipelinedBytes: 0)
        #expect(Self.resultCode(machine.received(delete, pipelinedBytes: 0)) == .unwillingToPerform)
        guard case .none = machine.received(LDAPMessage(messageID: 3, protocolOp: .abandonRequest(.init(messageID: 2))), pipelinedBytes: 0) else {
            Issue.record("Abandon has no response")
            return
        }
        let unknown = LDAPMessage(messageID: 4, protocolOp: .extendedRequest(.init(requestName: "1.2.3.4")))
        #expect(Self.resultCode(machine.received(unknown, pipelinedBytes: 0)) == .protocolError)
        let critical = LDAPMessage(messageID: 5, protocolOp: .extendedRequest(.whoAmI), controls: [.init(controlType: "1.2.3", criticality: true)])
        #expect(Self.resultCode(machine.received(critical, pipelinedBytes: 0)) == .unavailableCriticalExtension)
        guard case .sendAndClose(let messages, _) = machine.received(LDAPMessage(messageID: 6, protocolOp: .unbindRequest), pipelinedBytes: 0) else {
            Issue.record("Unbind closes")
            return
        }
        #expect(messages.isEmpty)
        #expect(machine.isClosed)
    }

    @Test func aClientSendingAResponseIsDisconnected() {
        var machine = Self.machine()
        let response = LDAPMessage(messageID: 1, protocolOp: .bindResponse(.init(result: .init(resultCode: .success))))
        #expect(Self.noticeCode(machine.received(response, pipelinedBytes: 0)) == .protocolError)
    }

    // MARK: - Decoding errors and deadlines

    @Test func decodingErrorsAnswerAsTheirDispositionSays() throws {
        // Framing: closed without a word.
        var framing = Self.machine()
        var bytes = ByteBufferLike.hugeLength
        var decoder = LDAPFrameDecoder(limits: framing.limits)
        do {
            _ = try decoder.next(from: &bytes)
            Issue.record("a PDU over the limit must not frame")
        } catch {
            guard case .sendAndClose(let messages, _) = framing.decodingFailed(error) else {
                Issue.record("expected close")
                return
            }
            #expect(messages.isEmpty)
        }
        // A structural error: Notice of Disconnection.
        var structural = Self.machine()
        do {
            _ = try LDAPMessage.decode(bytes: [0x30, 0x05, 0x02, 0x01, 0x00, 0x42, 0x00])  // messageID 0, unbind
            Issue.record("messageID 0 must not decode")
        } catch {
            #expect(Self.noticeCode(structural.decodingFailed(error)) == .protocolError)
        }
        // A bind with version 2: a BindResponse with protocolError, and the session goes on.
        var version = Self.machine()
        var bind = Self.bind(1, Self.base, Self.skey).encodedBytes()
        let versionOffset = bind.firstIndex(of: 0x03)!  // the INTEGER 3 inside the BindRequest
        bind[versionOffset] = 0x02
        do {
            _ = try LDAPMessage.decode(bytes: bind)
            Issue.record("version 2 must not decode")
        } catch {
            #expect(Self.resultCode(version.decodingFailed(error)) == .protocolError)
            #expect(version.acceptsRequests)
        }
    }

    @Test func deadlinesCloseTheConnection() {
        var machine = Self.machine()
        #expect(machine.deadline == .firstPDU)
        guard case .none = machine.deadlinePassed(.idle) else {
            Issue.record("a deadline not in force does nothing")
            return
        }
        _ = machine.received(Self.bind(1, Self.base, Self.skey), pipelinedBytes: 0)
        #expect(machine.deadline == .idle)
        guard case .sendAndClose = machine.deadlinePassed(.idle) else {
            Issue.record("idle closes")
            return
        }
        #expect(machine.isClosed)
    }
}

import NIOCore

enum ByteBufferLike {
    /// A PDU header claiming 16 MiB.
    static var hugeLength: ByteBuffer { ByteBuffer(bytes: [0x30, 0x84, 0x01, 0x00, 0x00, 0x00]) }
}
