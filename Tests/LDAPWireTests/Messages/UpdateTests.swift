import Testing

@testable import LDAPWire

/// Write operations and Compare: parsed so that a proxy can refuse them.
@Suite("LDAP Update operations")
struct UpdateTests {
    @Test func modifyAddDeleteModifyDNCompareRoundTrip() throws {
        let operations: [LDAPMessage.ProtocolOp] = [
            .modifyRequest(
                .init(object: "uid=alice,ou=people,dc=example,dc=com", changes: [
                    .init(operation: .replace, modification: .init(type: "mail", stringValues: ["a@example.com"])),
                    .init(operation: .delete, modification: .init(type: "description", values: [])),
                    .init(operation: .add, modification: .init(type: "cn", stringValues: ["A", "B"])),
                ])),
            .addRequest(
                .init(entry: "uid=carol,ou=people,dc=example,dc=com", attributes: [
                    .init(type: "objectClass", stringValues: ["inetOrgPerson"]),
                    .init(type: "sn", stringValues: ["C"]),
                ])),
            .delRequest(.init(entry: "uid=carol,ou=people,dc=example,dc=com")),
            .modifyDNRequest(.init(entry: "uid=bob,ou=people,dc=example,dc=com", newRDN: "uid=robert", deleteOldRDN: true)),
            .modifyDNRequest(
                .init(entry: "uid=bob,ou=people,dc=example,dc=com", newRDN: "uid=bob", deleteOldRDN: false,
                      newSuperior: "ou=staff,dc=example,dc=com")),
            .compareRequest(.init(entry: "uid=bob,ou=people,dc=example,dc=com", ava: .init("uid", "bob"))),
            .modifyResponse(.init(resultCode: .insufficientAccessRights)),
            .addResponse(.init(resultCode: .unwillingToPerform, diagnosticMessage: "writes are not forwarded")),
            .delResponse(.init(resultCode: .referral, referral: ["ldap://a/", "ldap://b/"])),
            .modifyDNResponse(.init(resultCode: .other)),
            .compareResponse(.init(resultCode: .compareTrue)),
        ]
        for (index, op) in operations.enumerated() {
            let message = LDAPMessage(messageID: Int32(index + 1), protocolOp: op)
            let decoded = try LDAPMessage.decode(bytes: message.encodedBytes())
            #expect(decoded == message)
            #expect(decoded.protocolOp.kind == op.kind)
        }
    }

    @Test func delRequestIsPrimitiveApplication10() {
        let message = LDAPMessage(messageID: 1, protocolOp: .delRequest(.init(entry: "cn=x")))
        #expect(hexString(message.encodedBytes()) == "3009020101" + "4a04636e3d78")
    }

    @Test func addRequestAttributeWithoutValuesIsRefused() throws {
        let message = LDAPMessage(
            messageID: 4, protocolOp: .addRequest(.init(entry: "cn=x", attributes: [.init(type: "cn", values: [])])))
        let error = try #require(decodingError(message.encodedBytes()))
        #expect(error.kind == .invalidValue)
        #expect(error.disposition == .respond(messageID: 4, operation: .addRequest, resultCode: .protocolError))
    }

    @Test func unknownModifyOperationIsAnswerable() throws {
        let message = LDAPMessage(
            messageID: 6,
            protocolOp: .modifyRequest(.init(object: "cn=x", changes: [.init(operation: .add, modification: .init(type: "cn", stringValues: ["y"]))])))
        var pdu = message.encodedBytes()
        let index = try #require(pdu.firstIndex(of: 0x0a))
        pdu[index + 2] = 9
        let error = try #require(decodingError(pdu))
        #expect(error.disposition == .respond(messageID: 6, operation: .modifyRequest, resultCode: .protocolError))
    }
}
