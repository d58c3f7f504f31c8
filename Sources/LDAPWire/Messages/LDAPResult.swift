import SwiftASN1

/// The result of an operation, in every response but SearchResultEntry / Reference.
///
///     LDAPResult ::= SEQUENCE {
///          resultCode         ENUMERATED { success (0), ... },
///          matchedDN          LDAPDN,
///          diagnosticMessage  LDAPString,
///          referral           [3] Referral OPTIONAL }
///
///     Referral ::= SEQUENCE SIZE (1..MAX) OF uri URI
public struct LDAPResult: Hashable, Sendable {
    public var resultCode: LDAPResultCode
    public var matchedDN: String
    public var diagnosticMessage: String
    /// The referral URIs; only with `resultCode == .referral` (RFC 4511 §4.1.10).
    public var referral: [String]?

    public init(
        resultCode: LDAPResultCode,
        matchedDN: String = "",
        diagnosticMessage: String = "",
        referral: [String]? = nil
    ) {
        self.resultCode = resultCode
        self.matchedDN = matchedDN
        self.diagnosticMessage = diagnosticMessage
        self.referral = referral
    }

    static let referralTag = ASN1Identifier.context(3)

    /// Reads the LDAPResult components at the start of `reader` (`COMPONENTS OF LDAPResult`).
    init(components reader: inout ComponentReader) throws(LDAPDecodingError) {
        let code = try reader.read(.enumerated, "resultCode").integer("\(reader.production).resultCode")
        guard let rawValue = Int(exactly: code), code >= 0 else {
            throw .invalidValue("\(reader.production).resultCode", "\(code) is negative")
        }
        resultCode = LDAPResultCode(rawValue)
        matchedDN = try reader.read(.octetString, "matchedDN").utf8String("\(reader.production).matchedDN")
        diagnosticMessage = try reader.read(.octetString, "diagnosticMessage")
            .utf8String("\(reader.production).diagnosticMessage")
        if let node = reader.readIfPresent(Self.referralTag) {
            let what = "\(reader.production).referral"
            referral = try node.elements(what, limits: reader.limits) { (uri) throws(LDAPDecodingError) in
                try uri.expect(.octetString, what).utf8String(what)
            }
        } else {
            referral = nil
        }
    }

    init(node: ASN1Node, _ production: String, limits: LDAPLimits) throws(LDAPDecodingError) {
        var reader = try ComponentReader(node, production, limits: limits)
        try self.init(components: &reader)
        try reader.finish(recognizing: Self.componentTags)
    }

    static let componentTags: [ASN1Identifier] = [.enumerated, .octetString, referralTag]

    func encodeComponents(into serializer: inout DER.Serializer) {
        serializer.writeInteger(Int64(resultCode.rawValue), .enumerated)
        serializer.writeString(matchedDN)
        serializer.writeString(diagnosticMessage)
        if let referral {
            serializer.writeConstructed(Self.referralTag) { serializer in
                for uri in referral { serializer.writeString(uri) }
            }
        }
    }

    func encode(into serializer: inout DER.Serializer, _ identifier: ASN1Identifier) {
        serializer.writeConstructed(identifier) { encodeComponents(into: &$0) }
    }
}

/// A control attached to a message (RFC 4511 §4.1.11).
///
///     Control ::= SEQUENCE {
///          controlType             LDAPOID,
///          criticality             BOOLEAN DEFAULT FALSE,
///          controlValue            OCTET STRING OPTIONAL }
public struct LDAPControl: Hashable, Sendable {
    public var controlType: String
    public var criticality: Bool
    public var controlValue: [UInt8]?

    public init(controlType: String, criticality: Bool = false, controlValue: [UInt8]? = nil) {
        self.controlType = controlType
        self.criticality = criticality
        self.controlValue = controlValue
    }

    init(node: ASN1Node, limits: LDAPLimits) throws(LDAPDecodingError) {
        var reader = try ComponentReader(node.expect(.sequence, "Control"), "Control", limits: limits)
        controlType = try reader.read(.octetString, "controlType").utf8String("Control.controlType")
        criticality = try reader.readIfPresent(.boolean)?.boolean("Control.criticality") ?? false
        controlValue = try reader.readIfPresent(.octetString)?.octets("Control.controlValue")
        try reader.finish(recognizing: [.octetString, .boolean])
    }

    func encode(into serializer: inout DER.Serializer) {
        serializer.writeConstructed(.sequence) { serializer in
            serializer.writeString(controlType)
            if criticality { serializer.writeBoolean(true) }
            if let controlValue { serializer.writeOctets(controlValue) }
        }
    }
}
