import SwiftASN1

extension LDAPMessage {
    /// RFC 4511 §4.12.
    ///
    ///     ExtendedRequest ::= [APPLICATION 23] SEQUENCE {
    ///          requestName      [0] LDAPOID,
    ///          requestValue     [1] OCTET STRING OPTIONAL }
    public struct ExtendedRequest: Hashable, Sendable {
        public var requestName: String
        public var requestValue: [UInt8]?

        public init(requestName: String, requestValue: [UInt8]? = nil) {
            self.requestName = requestName
            self.requestValue = requestValue
        }

        /// StartTLS (RFC 4511 §4.14.1): "the requestValue field is absent".
        public static let startTLS = ExtendedRequest(requestName: LDAPOID.startTLS)

        /// "Who am I?" (RFC 4532 §2): "The requestValue field is absent."
        public static let whoAmI = ExtendedRequest(requestName: LDAPOID.whoAmI)

        /// Password Modify (RFC 3062).
        public static func passwordModify(_ value: PasswordModifyRequestValue) -> ExtendedRequest {
            ExtendedRequest(requestName: LDAPOID.passwordModify, requestValue: value.encodedBytes())
        }

        static let identifier = ASN1Identifier.application(23)
        static let nameTag = ASN1Identifier.context(0)
        static let valueTag = ASN1Identifier.context(1)

        init(node: ASN1Node, limits: LDAPLimits) throws(LDAPDecodingError) {
            var reader = try ComponentReader(node, "ExtendedRequest", limits: limits)
            requestName = try reader.read(Self.nameTag, "requestName").utf8String("ExtendedRequest.requestName")
            requestValue = try reader.readIfPresent(Self.valueTag)?.octets("ExtendedRequest.requestValue")
            try reader.finish(recognizing: [Self.nameTag, Self.valueTag])
        }

        func encode(into serializer: inout DER.Serializer) {
            serializer.writeConstructed(Self.identifier) { serializer in
                serializer.writeString(requestName, Self.nameTag)
                if let requestValue { serializer.writeOctets(requestValue, Self.valueTag) }
            }
        }
    }

    /// RFC 4511 §4.12.
    ///
    ///     ExtendedResponse ::= [APPLICATION 24] SEQUENCE {
    ///          COMPONENTS OF LDAPResult,
    ///          responseName     [10] LDAPOID OPTIONAL,
    ///          responseValue    [11] OCTET STRING OPTIONAL }
    public struct ExtendedResponse: Hashable, Sendable {
        public var result: LDAPResult
        public var responseName: String?
        public var responseValue: [UInt8]?

        public init(result: LDAPResult, responseName: String? = nil, responseValue: [UInt8]? = nil) {
            self.result = result
            self.responseName = responseName
            self.responseValue = responseValue
        }

        /// The Notice of Disconnection (RFC 4511 §4.4.1), sent with messageID 0 before closing:
        /// "the responseName is 1.3.6.1.4.1.1466.20036 ... the responseValue field is absent".
        public static func noticeOfDisconnection(
            _ resultCode: LDAPResultCode,
            diagnosticMessage: String = ""
        ) -> LDAPMessage {
            LDAPMessage(
                messageID: 0,
                protocolOp: .extendedResponse(
                    ExtendedResponse(
                        result: LDAPResult(resultCode: resultCode, diagnosticMessage: diagnosticMessage),
                        responseName: LDAPOID.noticeOfDisconnection
                    )
                )
            )
        }

        /// The authorization identity of a WhoAmI response (RFC 4532 §2.2: `dn:...`, `u:...`, or
        /// empty for anonymous), when it is UTF-8.
        public var whoAmIAuthzID: String? {
            guard let responseValue else { return result.resultCode == .success ? "" : nil }
            return String(validating: responseValue, as: UTF8.self)
        }

        static let identifier = ASN1Identifier.application(24)
        static let nameTag = ASN1Identifier.context(10)
        static let valueTag = ASN1Identifier.context(11)

        init(node: ASN1Node, limits: LDAPLimits) throws(LDAPDecodingError) {
            var reader = try ComponentReader(node, "ExtendedResponse", limits: limits)
            result = try LDAPResult(components: &reader)
            responseName = try reader.readIfPresent(Self.nameTag)?.utf8String("ExtendedResponse.responseName")
            responseValue = try reader.readIfPresent(Self.valueTag)?.octets("ExtendedResponse.responseValue")
            try reader.finish(recognizing: LDAPResult.componentTags + [Self.nameTag, Self.valueTag])
        }

        func encode(into serializer: inout DER.Serializer) {
            serializer.writeConstructed(Self.identifier) { serializer in
                result.encodeComponents(into: &serializer)
                if let responseName { serializer.writeString(responseName, Self.nameTag) }
                if let responseValue { serializer.writeOctets(responseValue, Self.valueTag) }
            }
        }
    }

    /// RFC 4511 §4.13.
    ///
    ///     IntermediateResponse ::= [APPLICATION 25] SEQUENCE {
    ///          responseName     [0] LDAPOID OPTIONAL,
    ///          responseValue    [1] OCTET STRING OPTIONAL }
    public struct IntermediateResponse: Hashable, Sendable {
        public var responseName: String?
        public var responseValue: [UInt8]?

        public init(responseName: String? = nil, responseValue: [UInt8]? = nil) {
            self.responseName = responseName
            self.responseValue = responseValue
        }

        static let identifier = ASN1Identifier.application(25)
        static let nameTag = ASN1Identifier.context(0)
        static let valueTag = ASN1Identifier.context(1)

        init(node: ASN1Node, limits: LDAPLimits) throws(LDAPDecodingError) {
            var reader = try ComponentReader(node, "IntermediateResponse", limits: limits)
            responseName = try reader.readIfPresent(Self.nameTag)?.utf8String("IntermediateResponse.responseName")
            responseValue = try reader.readIfPresent(Self.valueTag)?.octets("IntermediateResponse.responseValue")
            try reader.finish(recognizing: [Self.nameTag, Self.valueTag])
        }

        func encode(into serializer: inout DER.Serializer) {
            serializer.writeConstructed(Self.identifier) { serializer in
                if let responseName { serializer.writeString(responseName, Self.nameTag) }
                if let responseValue { serializer.writeOctets(responseValue, Self.valueTag) }
            }
        }
    }

    /// RFC 3062 §2.
    ///
    ///     PasswdModifyRequestValue ::= SEQUENCE {
    ///       userIdentity    [0]  OCTET STRING OPTIONAL
    ///       oldPasswd       [1]  OCTET STRING OPTIONAL
    ///       newPasswd       [2]  OCTET STRING OPTIONAL }
    public struct PasswordModifyRequestValue: Hashable, Sendable {
        public var userIdentity: [UInt8]?
        public var oldPassword: [UInt8]?
        public var newPassword: [UInt8]?

        public init(userIdentity: [UInt8]? = nil, oldPassword: [UInt8]? = nil, newPassword: [UInt8]? = nil) {
            self.userIdentity = userIdentity
            self.oldPassword = oldPassword
            self.newPassword = newPassword
        }

        /// Decodes an ExtendedRequest's requestValue.
        public init(decoding bytes: [UInt8], limits: LDAPLimits = .default) throws(LDAPDecodingError) {
            let node = try parseEmbedded(bytes, "PasswdModifyRequestValue", limits: limits)
            var reader = try ComponentReader(
                node.expect(.sequence, "PasswdModifyRequestValue"), "PasswdModifyRequestValue", limits: limits)
            userIdentity = try reader.readIfPresent(.context(0))?.octets("PasswdModifyRequestValue.userIdentity")
            oldPassword = try reader.readIfPresent(.context(1))?.octets("PasswdModifyRequestValue.oldPasswd")
            newPassword = try reader.readIfPresent(.context(2))?.octets("PasswdModifyRequestValue.newPasswd")
            try reader.finish(recognizing: [.context(0), .context(1), .context(2)])
        }

        public func encodedBytes() -> [UInt8] {
            var serializer = DER.Serializer()
            serializer.writeConstructed(.sequence) { serializer in
                if let userIdentity { serializer.writeOctets(userIdentity, .context(0)) }
                if let oldPassword { serializer.writeOctets(oldPassword, .context(1)) }
                if let newPassword { serializer.writeOctets(newPassword, .context(2)) }
            }
            return serializer.serializedBytes
        }
    }

    /// RFC 3062 §2.
    ///
    ///     PasswdModifyResponseValue ::= SEQUENCE {
    ///       genPasswd       [0]     OCTET STRING OPTIONAL }
    public struct PasswordModifyResponseValue: Hashable, Sendable {
        public var generatedPassword: [UInt8]?

        public init(generatedPassword: [UInt8]? = nil) { self.generatedPassword = generatedPassword }

        /// Decodes an ExtendedResponse's responseValue.
        public init(decoding bytes: [UInt8], limits: LDAPLimits = .default) throws(LDAPDecodingError) {
            let node = try parseEmbedded(bytes, "PasswdModifyResponseValue", limits: limits)
            var reader = try ComponentReader(
                node.expect(.sequence, "PasswdModifyResponseValue"), "PasswdModifyResponseValue", limits: limits)
            generatedPassword = try reader.readIfPresent(.context(0))?.octets("PasswdModifyResponseValue.genPasswd")
            try reader.finish(recognizing: [.context(0)])
        }

        public func encodedBytes() -> [UInt8] {
            var serializer = DER.Serializer()
            serializer.writeConstructed(.sequence) { serializer in
                if let generatedPassword { serializer.writeOctets(generatedPassword, .context(0)) }
            }
            return serializer.serializedBytes
        }
    }
}

/// Object identifiers of the operations a proxy meets.
public enum LDAPOID {
    /// StartTLS extended operation (RFC 4511 §4.14.1).
    public static let startTLS = "1.3.6.1.4.1.1466.20037"
    /// Notice of Disconnection unsolicited notification (RFC 4511 §4.4.1).
    public static let noticeOfDisconnection = "1.3.6.1.4.1.1466.20036"
    /// "Who am I?" extended operation (RFC 4532).
    public static let whoAmI = "1.3.6.1.4.1.4203.1.11.3"
    /// Password Modify extended operation (RFC 3062).
    public static let passwordModify = "1.3.6.1.4.1.4203.1.11.1"
}

/// Parses a BER value carried inside an OCTET STRING, with the same profile as a PDU.
func parseEmbedded(_ bytes: [UInt8], _ what: String, limits: LDAPLimits) throws(LDAPDecodingError) -> ASN1Node {
    guard !bytes.isEmpty else { throw .missingElement("value", in: what) }
    try BERValidator.validate(bytes, maximumDepth: limits.effectiveDepth)
    do {
        return try BER.parse(bytes)
    } catch {
        throw .unexpectedElement(what, found: "BER the parser refused (\(error))", expected: "BER")
    }
}
