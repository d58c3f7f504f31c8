import NIOCore
import SwiftASN1

/// One LDAP PDU (RFC 4511 §4.1.1).
///
///     LDAPMessage ::= SEQUENCE {
///          messageID       MessageID,
///          protocolOp      CHOICE { bindRequest BindRequest, ..., intermediateResponse IntermediateResponse },
///          controls       [0] Controls OPTIONAL }
///
///     MessageID ::= INTEGER (0 ..  maxInt)
///     maxInt INTEGER ::= 2147483647 -- (2^^31 - 1) --
///     Controls ::= SEQUENCE OF control Control
///
/// "The zero value is reserved for the unsolicited notification message" (§4.1.1.1): a decoded message
/// has a messageID in 1...2147483647 unless it is an unsolicited ExtendedResponse (the Notice of
/// Disconnection), and any messageID in 0...2147483647 can be encoded.
public struct LDAPMessage: Hashable, Sendable {
    public var messageID: Int32
    public var protocolOp: ProtocolOp
    public var controls: [LDAPControl]

    public init(messageID: Int32, protocolOp: ProtocolOp, controls: [LDAPControl] = []) {
        self.messageID = messageID
        self.protocolOp = protocolOp
        self.controls = controls
    }

    /// The protocolOp CHOICE.
    public enum ProtocolOp: Hashable, Sendable {
        case bindRequest(BindRequest)
        case bindResponse(BindResponse)
        case unbindRequest
        case searchRequest(SearchRequest)
        case searchResultEntry(SearchResultEntry)
        case searchResultDone(LDAPResult)
        case searchResultReference(SearchResultReference)
        case modifyRequest(ModifyRequest)
        case modifyResponse(LDAPResult)
        case addRequest(AddRequest)
        case addResponse(LDAPResult)
        case delRequest(DelRequest)
        case delResponse(LDAPResult)
        case modifyDNRequest(ModifyDNRequest)
        case modifyDNResponse(LDAPResult)
        case compareRequest(CompareRequest)
        case compareResponse(LDAPResult)
        case abandonRequest(AbandonRequest)
        case extendedRequest(ExtendedRequest)
        case extendedResponse(ExtendedResponse)
        case intermediateResponse(IntermediateResponse)

        public var kind: LDAPOperationKind {
            switch self {
            case .bindRequest: return .bindRequest
            case .bindResponse: return .bindResponse
            case .unbindRequest: return .unbindRequest
            case .searchRequest: return .searchRequest
            case .searchResultEntry: return .searchResultEntry
            case .searchResultDone: return .searchResultDone
            case .searchResultReference: return .searchResultReference
            case .modifyRequest: return .modifyRequest
            case .modifyResponse: return .modifyResponse
            case .addRequest: return .addRequest
            case .addResponse: return .addResponse
            case .delRequest: return .delRequest
            case .delResponse: return .delResponse
            case .modifyDNRequest: return .modifyDNRequest
            case .modifyDNResponse: return .modifyDNResponse
            case .compareRequest: return .compareRequest
            case .compareResponse: return .compareResponse
            case .abandonRequest: return .abandonRequest
            case .extendedRequest: return .extendedRequest
            case .extendedResponse: return .extendedResponse
            case .intermediateResponse: return .intermediateResponse
            }
        }
    }

    static let controlsTag = ASN1Identifier.context(0)
}

/// The operations of RFC 4511, by their `[APPLICATION n]` tag.
public enum LDAPOperationKind: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case bindRequest = 0
    case bindResponse = 1
    case unbindRequest = 2
    case searchRequest = 3
    case searchResultEntry = 4
    case searchResultDone = 5
    case modifyRequest = 6
    case modifyResponse = 7
    case addRequest = 8
    case addResponse = 9
    case delRequest = 10
    case delResponse = 11
    case modifyDNRequest = 12
    case modifyDNResponse = 13
    case compareRequest = 14
    case compareResponse = 15
    case abandonRequest = 16
    case searchResultReference = 19
    case extendedRequest = 23
    case extendedResponse = 24
    case intermediateResponse = 25

    /// The response a server sends to this request; nil for responses, Unbind and Abandon.
    public var responseKind: LDAPOperationKind? {
        switch self {
        case .bindRequest: return .bindResponse
        case .searchRequest: return .searchResultDone
        case .modifyRequest: return .modifyResponse
        case .addRequest: return .addResponse
        case .delRequest: return .delResponse
        case .modifyDNRequest: return .modifyDNResponse
        case .compareRequest: return .compareResponse
        case .extendedRequest: return .extendedResponse
        case .bindResponse, .unbindRequest, .searchResultEntry, .searchResultDone, .modifyResponse,
            .addResponse, .delResponse, .modifyDNResponse, .compareResponse, .abandonRequest,
            .searchResultReference, .extendedResponse, .intermediateResponse:
            return nil
        }
    }

    /// Whether a client sends this operation.
    public var isRequest: Bool {
        switch self {
        case .bindRequest, .unbindRequest, .searchRequest, .modifyRequest, .addRequest, .delRequest,
            .modifyDNRequest, .compareRequest, .abandonRequest, .extendedRequest:
            return true
        case .bindResponse, .searchResultEntry, .searchResultDone, .modifyResponse, .addResponse,
            .delResponse, .modifyDNResponse, .compareResponse, .searchResultReference,
            .extendedResponse, .intermediateResponse:
            return false
        }
    }

    public var description: String {
        switch self {
        case .bindRequest: return "BindRequest"
        case .bindResponse: return "BindResponse"
        case .unbindRequest: return "UnbindRequest"
        case .searchRequest: return "SearchRequest"
        case .searchResultEntry: return "SearchResultEntry"
        case .searchResultDone: return "SearchResultDone"
        case .modifyRequest: return "ModifyRequest"
        case .modifyResponse: return "ModifyResponse"
        case .addRequest: return "AddRequest"
        case .addResponse: return "AddResponse"
        case .delRequest: return "DelRequest"
        case .delResponse: return "DelResponse"
        case .modifyDNRequest: return "ModifyDNRequest"
        case .modifyDNResponse: return "ModifyDNResponse"
        case .compareRequest: return "CompareRequest"
        case .compareResponse: return "CompareResponse"
        case .abandonRequest: return "AbandonRequest"
        case .searchResultReference: return "SearchResultReference"
        case .extendedRequest: return "ExtendedRequest"
        case .extendedResponse: return "ExtendedResponse"
        case .intermediateResponse: return "IntermediateResponse"
        }
    }

    var identifier: ASN1Identifier { .application(UInt(rawValue)) }
}

// MARK: - Decoding

extension LDAPMessage {
    /// Decodes one framed PDU (as returned by ``LDAPFrameDecoder/next(from:)``).
    ///
    /// The whole frame must be exactly one LDAPMessage. Errors carry the messageID and operation once
    /// they were read, and say how to answer (``LDAPDecodingError/disposition``).
    public static func decode(frame: ByteBuffer, limits: LDAPLimits = .default) throws(LDAPDecodingError) -> LDAPMessage {
        try decode(bytes: Array(frame.readableBytesView), limits: limits)
    }

    /// Decodes one PDU from its bytes; the bytes must hold exactly one LDAPMessage.
    public static func decode(bytes: [UInt8], limits: LDAPLimits = .default) throws(LDAPDecodingError) -> LDAPMessage {
        guard let tag = bytes.first else { throw .truncated(at: 0, claimed: 1, available: 0) }
        guard tag == 0x30 else { throw LDAPDecodingError.wrongOuterTag(tag).inFraming }
        guard bytes.count <= limits.maximumPDUSize else {
            throw LDAPDecodingError.pduTooLarge(claimed: UInt64(bytes.count), maximum: limits.maximumPDUSize).inFraming
        }
        try BERValidator.validate(bytes, maximumDepth: limits.effectiveDepth)
        let root: ASN1Node
        do {
            root = try BER.parse(bytes)
        } catch {
            // The validator admits only what the parser accepts; keep a typed error regardless.
            throw .unexpectedElement("LDAPMessage", found: "BER the parser refused (\(error))", expected: "BER")
        }
        return try LDAPMessage(node: root, limits: limits)
    }

    init(node: ASN1Node, limits: LDAPLimits) throws(LDAPDecodingError) {
        var reader = try ComponentReader(node.expect(.sequence, "LDAPMessage"), "LDAPMessage", limits: limits)
        let rawID = try reader.read(.integer, "messageID").integer("LDAPMessage.messageID")
        let opNode = try reader.readAny("protocolOp")
        let tag = opNode.identifier
        guard tag.tagClass == .application, let number = UInt8(exactly: tag.tagNumber),
            let kind = LDAPOperationKind(rawValue: number)
        else {
            throw LDAPDecodingError.unknownOperation(tag.ldapDescription).with(
                messageID: Int32(exactly: rawID), operation: nil)
        }
        // Only the unsolicited notification may use messageID 0 (RFC 4511 §4.4).
        let lowest: Int64 = kind == .extendedResponse ? 0 : 1
        guard rawID >= lowest, rawID <= Int64(Int32.max) else {
            throw LDAPDecodingError.messageIDOutOfRange(rawID).with(messageID: nil, operation: kind)
        }
        messageID = Int32(rawID)
        do {
            protocolOp = try Self.decodeOperation(kind, opNode, limits: limits)
            if let controlsNode = reader.readIfPresent(Self.controlsTag) {
                controls = try controlsNode.elements("LDAPMessage.controls", limits: limits) {
                    (node) throws(LDAPDecodingError) in try LDAPControl(node: node, limits: limits)
                }
            } else {
                controls = []
            }
            try reader.finish(recognizing: [.integer, Self.controlsTag] + LDAPOperationKind.allCases.map(\.identifier))
        } catch {
            throw error.with(messageID: messageID, operation: kind)
        }
    }

    private static func decodeOperation(
        _ kind: LDAPOperationKind,
        _ node: ASN1Node,
        limits: LDAPLimits
    ) throws(LDAPDecodingError) -> ProtocolOp {
        switch kind {
        case .bindRequest: return .bindRequest(try BindRequest(node: node, limits: limits))
        case .bindResponse: return .bindResponse(try BindResponse(node: node, limits: limits))
        case .unbindRequest:
            try node.null("UnbindRequest")
            return .unbindRequest
        case .searchRequest: return .searchRequest(try SearchRequest(node: node, limits: limits))
        case .searchResultEntry: return .searchResultEntry(try SearchResultEntry(node: node, limits: limits))
        case .searchResultDone: return .searchResultDone(try LDAPResult(node: node, "SearchResultDone", limits: limits))
        case .searchResultReference:
            return .searchResultReference(try SearchResultReference(node: node, limits: limits))
        case .modifyRequest: return .modifyRequest(try ModifyRequest(node: node, limits: limits))
        case .modifyResponse: return .modifyResponse(try LDAPResult(node: node, "ModifyResponse", limits: limits))
        case .addRequest: return .addRequest(try AddRequest(node: node, limits: limits))
        case .addResponse: return .addResponse(try LDAPResult(node: node, "AddResponse", limits: limits))
        case .delRequest: return .delRequest(try DelRequest(node: node))
        case .delResponse: return .delResponse(try LDAPResult(node: node, "DelResponse", limits: limits))
        case .modifyDNRequest: return .modifyDNRequest(try ModifyDNRequest(node: node, limits: limits))
        case .modifyDNResponse:
            return .modifyDNResponse(try LDAPResult(node: node, "ModifyDNResponse", limits: limits))
        case .compareRequest: return .compareRequest(try CompareRequest(node: node, limits: limits))
        case .compareResponse: return .compareResponse(try LDAPResult(node: node, "CompareResponse", limits: limits))
        case .abandonRequest: return .abandonRequest(try AbandonRequest(node: node))
        case .extendedRequest: return .extendedRequest(try ExtendedRequest(node: node, limits: limits))
        case .extendedResponse: return .extendedResponse(try ExtendedResponse(node: node, limits: limits))
        case .intermediateResponse:
            return .intermediateResponse(try IntermediateResponse(node: node, limits: limits))
        }
    }
}

// MARK: - Encoding

extension LDAPMessage {
    /// The BER encoding of this message (definite, minimal lengths).
    public func encode() -> ByteBuffer {
        var buffer = ByteBuffer()
        encode(into: &buffer)
        return buffer
    }

    /// Appends the BER encoding of this message to `buffer`.
    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeBytes(encodedBytes())
    }

    /// The BER encoding of this message as bytes.
    public func encodedBytes() -> [UInt8] {
        var serializer = DER.Serializer()
        serializer.writeConstructed(.sequence) { serializer in
            serializer.writeInteger(Int64(messageID))
            encodeOperation(into: &serializer)
            if !controls.isEmpty {
                serializer.writeConstructed(Self.controlsTag) { serializer in
                    for control in controls { control.encode(into: &serializer) }
                }
            }
        }
        return serializer.serializedBytes
    }

    private func encodeOperation(into serializer: inout DER.Serializer) {
        let identifier = protocolOp.kind.identifier
        switch protocolOp {
        case .bindRequest(let op): op.encode(into: &serializer)
        case .bindResponse(let op): op.encode(into: &serializer)
        case .unbindRequest: serializer.writeNull(identifier)
        case .searchRequest(let op): op.encode(into: &serializer)
        case .searchResultEntry(let op): op.encode(into: &serializer)
        case .searchResultReference(let op): op.encode(into: &serializer)
        case .modifyRequest(let op): op.encode(into: &serializer)
        case .addRequest(let op): op.encode(into: &serializer)
        case .delRequest(let op): op.encode(into: &serializer)
        case .modifyDNRequest(let op): op.encode(into: &serializer)
        case .compareRequest(let op): op.encode(into: &serializer)
        case .abandonRequest(let op): op.encode(into: &serializer)
        case .extendedRequest(let op): op.encode(into: &serializer)
        case .extendedResponse(let op): op.encode(into: &serializer)
        case .intermediateResponse(let op): op.encode(into: &serializer)
        case .searchResultDone(let result), .modifyResponse(let result), .addResponse(let result),
            .delResponse(let result), .modifyDNResponse(let result), .compareResponse(let result):
            result.encode(into: &serializer, identifier)
        }
    }
}
