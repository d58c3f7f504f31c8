import Testing

@testable import LDAPWire

@Suite("LDAP Extended")
struct ExtendedTests {
    @Test func whoAmIRequestAndSlapdAnswer() throws {
        let request = try decode(Captured.whoamiRequest)
        #expect(request == LDAPMessage(messageID: 2, protocolOp: .extendedRequest(.whoAmI)))
        #expect(hexString(request.encodedBytes()) == Captured.whoamiRequest)

        let response = try decode(Captured.whoamiResponse)
        guard case .extendedResponse(let extended) = response.protocolOp else {
            Issue.record("not an ExtendedResponse")
            return
        }
        #expect(extended.result.resultCode == .success)
        #expect(extended.responseName == nil)
        #expect(extended.whoAmIAuthzID == "dn:uid=alice,ou=people,dc=example,dc=com")
        #expect(hexString(response.encodedBytes()) == Captured.whoamiResponse)
    }

    @Test func startTLSRoundTrips() throws {
        let request = LDAPMessage(messageID: 1, protocolOp: .extendedRequest(.startTLS))
        #expect(hexString(request.encodedBytes()) == "301d02010177188016312e332e362e312e342e312e313436362e3230303337")
        #expect(try LDAPMessage.decode(bytes: request.encodedBytes()) == request)
        let response = LDAPMessage(
            messageID: 1,
            protocolOp: .extendedResponse(.init(result: .init(resultCode: .success), responseName: LDAPOID.startTLS)))
        #expect(try LDAPMessage.decode(bytes: response.encodedBytes()) == response)
    }

    @Test func passwordModifyFromLdappasswd() throws {
        let message = try decode(Captured.passwordModify)
        guard case .extendedRequest(let request) = message.protocolOp else {
            Issue.record("not an ExtendedRequest")
            return
        }
        #expect(request.requestName == LDAPOID.passwordModify)
        let value = try LDAPMessage.PasswordModifyRequestValue(decoding: try #require(request.requestValue))
        #expect(value == .init(oldPassword: Array("bobpass".utf8), newPassword: Array("newbobpass".utf8)))
        #expect(hexString(LDAPMessage(messageID: 2, protocolOp: .extendedRequest(.passwordModify(value))).encodedBytes())
            == Captured.passwordModify)
        let refused = try decode(Captured.passwordModifyRefused)
        guard case .extendedResponse(let response) = refused.protocolOp else { return }
        #expect(response.result.resultCode == .insufficientAccessRights)

        let generated = LDAPMessage.PasswordModifyResponseValue(generatedPassword: Array("s3cret".utf8))
        #expect(try LDAPMessage.PasswordModifyResponseValue(decoding: generated.encodedBytes()) == generated)
        #expect(throws: LDAPDecodingError.self) { try LDAPMessage.PasswordModifyRequestValue(decoding: [0x30, 0x80, 0, 0]) }
    }

    @Test func noticeOfDisconnectionUsesMessageIDZero() throws {
        let notice = LDAPMessage.ExtendedResponse.noticeOfDisconnection(.protocolError, diagnosticMessage: "bad PDU")
        #expect(notice.messageID == 0)
        let encoded = notice.encodedBytes()
        #expect(Array(encoded.prefix(5)) == [0x30, UInt8(encoded.count - 2), 0x02, 0x01, 0x00])
        #expect(try LDAPMessage.decode(bytes: encoded) == notice)
        // messageID 0 on anything else is refused.
        #expect(decodingError(bytes("300c02010061070a010004000400"))?.kind == .messageIDOutOfRange)
    }

    @Test func intermediateResponseRoundTrips() throws {
        for op in [
            LDAPMessage.IntermediateResponse(),
            .init(responseName: "1.3.6.1.4.1.4203.1.9.1.4"),
            .init(responseName: "1.2.3", responseValue: [1, 2, 3]),
        ] {
            let message = LDAPMessage(messageID: 3, protocolOp: .intermediateResponse(op))
            #expect(try LDAPMessage.decode(bytes: message.encodedBytes()) == message)
        }
    }
}
