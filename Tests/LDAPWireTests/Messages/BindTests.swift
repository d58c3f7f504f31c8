import NIOCore
import Testing

@testable import LDAPWire

@Suite("LDAP Bind")
struct BindTests {
    let alice = "uid=alice,ou=people,dc=example,dc=com"

    @Test func ldapwhoamiSimpleBindDecodes() throws {
        let message = try decode(Captured.whoamiBind)
        #expect(message.messageID == 1)
        #expect(message.controls.isEmpty)
        guard case .bindRequest(let bind) = message.protocolOp else {
            Issue.record("not a bind: \(message)")
            return
        }
        #expect(bind.name == alice)
        #expect(bind.authentication == .simple(Array("alicepass".utf8)))
        #expect(!bind.isAnonymous && !bind.isUnauthenticated)
        #expect(try bind.parsedName() == LDAPDN(parsing: "UID=Alice, OU=People, DC=Example, DC=Com"))
    }

    @Test func simpleBindEncodesLikeLdapwhoami() {
        let message = LDAPMessage(
            messageID: 1, protocolOp: .bindRequest(.simple(name: alice, password: Array("alicepass".utf8))))
        #expect(hexString(message.encodedBytes()) == Captured.whoamiBind)
        #expect(hexString(Array(message.encode().readableBytesView)) == Captured.whoamiBind)
    }

    @Test func anonymousBindFromLdapsearch() throws {
        let message = try decode(Captured.anonymousBind)
        guard case .bindRequest(let bind) = message.protocolOp else {
            Issue.record("not a bind")
            return
        }
        #expect(bind.isAnonymous)
        #expect(!bind.isUnauthenticated)
        #expect(hexString(message.encodedBytes()) == Captured.anonymousBind)
    }

    @Test func unauthenticatedBindIsFlagged() throws {
        let message = LDAPMessage(messageID: 7, protocolOp: .bindRequest(.simple(name: alice, password: [])))
        guard case .bindRequest(let bind) = try LDAPMessage.decode(bytes: message.encodedBytes()).protocolOp else {
            Issue.record("not a bind")
            return
        }
        #expect(bind.isUnauthenticated)
    }

    @Test func slapdBindResponses() throws {
        let success = try decode(Captured.bindSuccess)
        #expect(success == LDAPMessage(messageID: 1, protocolOp: .bindResponse(.init(result: .init(resultCode: .success)))))
        #expect(hexString(success.encodedBytes()) == Captured.bindSuccess)

        let refused = try decode(Captured.bindInvalidCredentials)
        guard case .bindResponse(let response) = refused.protocolOp else {
            Issue.record("not a BindResponse")
            return
        }
        #expect(response.result.resultCode == .invalidCredentials)
        #expect(response.result.resultCode.rawValue == 49)
        #expect(hexString(refused.encodedBytes()) == Captured.bindInvalidCredentials)
    }

    @Test func saslBindRoundTrips() throws {
        for credentials in [nil, Array("\u{0}user\u{0}pass".utf8)] {
            let message = LDAPMessage(
                messageID: 2,
                protocolOp: .bindRequest(
                    .init(name: "", authentication: .sasl(.init(mechanism: "PLAIN", credentials: credentials)))))
            let encoded = message.encodedBytes()
            #expect(encoded[12] == 0xa3, "sasl is [3] constructed")
            #expect(try LDAPMessage.decode(bytes: encoded) == message)
        }
        let response = LDAPMessage(
            messageID: 2,
            protocolOp: .bindResponse(
                .init(result: .init(resultCode: .saslBindInProgress), serverSaslCreds: [1, 2, 3])))
        #expect(try LDAPMessage.decode(bytes: response.encodedBytes()) == response)
    }

    @Test func bindVersion2IsAnswerableProtocolError() throws {
        var pdu = bytes(Captured.whoamiBind)
        #expect(pdu[9] == 0x03)
        pdu[9] = 0x02
        let error = try #require(decodingError(pdu))
        #expect(error.kind == .unsupportedVersion)
        #expect(error.diagnostics == "BindRequest version 2 is not 3")
        #expect(error.disposition == .respond(messageID: 1, operation: .bindRequest, resultCode: .protocolError))
        #expect(error.operation?.responseKind == .bindResponse)
    }

    @Test func unknownAuthenticationChoiceIsAnswerable() throws {
        var pdu = bytes(Captured.whoamiBind)
        let index = try #require(pdu.lastIndex(of: 0x80))
        pdu[index] = 0x81  // [1] is reserved ("1 and 2 reserved")
        let error = try #require(decodingError(pdu))
        #expect(error.kind == .invalidValue)
        #expect(error.disposition == .respond(messageID: 1, operation: .bindRequest, resultCode: .protocolError))
    }

    @Test func abandonAndUnbind() throws {
        #expect(try decode(Captured.unbind3) == LDAPMessage(messageID: 3, protocolOp: .unbindRequest))
        let abandon = LDAPMessage(messageID: 4, protocolOp: .abandonRequest(.init(messageID: 2)))
        #expect(hexString(abandon.encodedBytes()) == "3006020104500102")
        #expect(try LDAPMessage.decode(bytes: abandon.encodedBytes()) == abandon)
        // UnbindRequest ::= [APPLICATION 2] NULL: contents are refused.
        #expect(decodingError(bytes("3006020103420100"))?.kind == .invalidNull)
    }
}
