import NIOCore
import Testing

@testable import LDAPWire

@Suite("LDAP messages, controls and result codes")
struct MessageTests {
    @Test func resultCodesOfRFC4511() {
        let expected: [(LDAPResultCode, Int)] = [
            (.success, 0), (.operationsError, 1), (.protocolError, 2), (.timeLimitExceeded, 3), (.sizeLimitExceeded, 4),
            (.compareFalse, 5), (.compareTrue, 6), (.authMethodNotSupported, 7), (.strongerAuthRequired, 8),
            (.referral, 10), (.adminLimitExceeded, 11), (.unavailableCriticalExtension, 12),
            (.confidentialityRequired, 13), (.saslBindInProgress, 14), (.noSuchAttribute, 16),
            (.undefinedAttributeType, 17), (.inappropriateMatching, 18), (.constraintViolation, 19),
            (.attributeOrValueExists, 20), (.invalidAttributeSyntax, 21), (.noSuchObject, 32), (.aliasProblem, 33),
            (.invalidDNSyntax, 34), (.aliasDereferencingProblem, 36), (.inappropriateAuthentication, 48),
            (.invalidCredentials, 49), (.insufficientAccessRights, 50), (.busy, 51), (.unavailable, 52),
            (.unwillingToPerform, 53), (.loopDetect, 54), (.namingViolation, 64), (.objectClassViolation, 65),
            (.notAllowedOnNonLeaf, 66), (.notAllowedOnRDN, 67), (.entryAlreadyExists, 68),
            (.objectClassModsProhibited, 69), (.affectsMultipleDSAs, 71), (.other, 80),
        ]
        for (code, value) in expected { #expect(code.rawValue == value) }
        #expect(LDAPResultCode.invalidCredentials.description == "invalidCredentials (49)")
        #expect(LDAPResultCode(4711).description == "resultCode (4711)")
        #expect(Set(LDAPResultCode.allKnown).count == LDAPResultCode.allKnown.count)
        #expect(LDAPResultCode.allKnown.allSatisfy { $0.name != nil })
    }

    @Test func unknownResultCodesSurvive() throws {
        let message = LDAPMessage(messageID: 1, protocolOp: .bindResponse(.init(result: .init(resultCode: LDAPResultCode(4711)))))
        #expect(try LDAPMessage.decode(bytes: message.encodedBytes()) == message)
    }

    @Test func controlsRoundTrip() throws {
        let message = LDAPMessage(
            messageID: 12,
            protocolOp: .searchRequest(.init(baseObject: "dc=example,dc=com", filter: .present("objectClass"))),
            controls: [
                LDAPControl(controlType: "1.2.840.113556.1.4.319", criticality: true, controlValue: [0x30, 0x00]),
                LDAPControl(controlType: "2.16.840.1.113730.3.4.2"),
            ])
        let decoded = try LDAPMessage.decode(bytes: message.encodedBytes())
        #expect(decoded == message)
        // An explicit FALSE criticality is accepted and means the default.
        let explicitFalse = tlv(0x30, tlv(0x02, [1]) + bytes("4200") + tlv(0xa0, tlv(0x30, octets("1.2.3") + tlv(0x01, [0]))))
        #expect(try LDAPMessage.decode(bytes: explicitFalse).controls == [LDAPControl(controlType: "1.2.3")])
    }

    @Test func operationKinds() {
        #expect(LDAPOperationKind.allCases.count == 21)
        #expect(LDAPOperationKind.allCases.filter(\.isRequest).count == 10)
        #expect(LDAPOperationKind.extendedRequest.responseKind == .extendedResponse)
        #expect(LDAPOperationKind.unbindRequest.responseKind == nil)
        #expect(LDAPOperationKind.abandonRequest.responseKind == nil)
    }

    @Test func encodeIntoAppends() throws {
        var buffer = ByteBuffer(bytes: [0xee])
        LDAPMessage(messageID: 3, protocolOp: .unbindRequest).encode(into: &buffer)
        #expect(Array(buffer.readableBytesView) == [0xee] + bytes(Captured.unbind3))
    }

    @Test func longLengthsAreEncodedDefinitely() throws {
        let value = [UInt8](repeating: 0x61, count: 70_000)
        let message = LDAPMessage(
            messageID: 1,
            protocolOp: .searchResultEntry(.init(objectName: "cn=big", attributes: [.init(type: "description", values: [value])])))
        let encoded = message.encodedBytes()
        #expect(Array(encoded.prefix(2)) == [0x30, 0x83])
        #expect(try LDAPMessage.decode(bytes: encoded) == message)
    }
}
