import SwiftASN1

extension LDAPMessage {
    /// RFC 4511 §4.5.1.
    ///
    ///     SearchRequest ::= [APPLICATION 3] SEQUENCE {
    ///          baseObject      LDAPDN,
    ///          scope           ENUMERATED {
    ///               baseObject              (0),
    ///               singleLevel             (1),
    ///               wholeSubtree            (2),
    ///               ...  },
    ///          derefAliases    ENUMERATED {
    ///               neverDerefAliases       (0),
    ///               derefInSearching        (1),
    ///               derefFindingBaseObj     (2),
    ///               derefAlways             (3) },
    ///          sizeLimit       INTEGER (0 ..  maxInt),
    ///          timeLimit       INTEGER (0 ..  maxInt),
    ///          typesOnly       BOOLEAN,
    ///          filter          Filter,
    ///          attributes      AttributeSelection }
    ///
    ///     AttributeSelection ::= SEQUENCE OF selector LDAPString
    public struct SearchRequest: Hashable, Sendable {
        public var baseObject: String
        public var scope: Scope
        public var derefAliases: DerefAliases
        public var sizeLimit: Int32
        public var timeLimit: Int32
        public var typesOnly: Bool
        public var filter: LDAPFilter
        public var attributes: [String]

        public init(
            baseObject: String,
            scope: Scope = .wholeSubtree,
            derefAliases: DerefAliases = .neverDerefAliases,
            sizeLimit: Int32 = 0,
            timeLimit: Int32 = 0,
            typesOnly: Bool = false,
            filter: LDAPFilter,
            attributes: [String] = []
        ) {
            self.baseObject = baseObject
            self.scope = scope
            self.derefAliases = derefAliases
            self.sizeLimit = sizeLimit
            self.timeLimit = timeLimit
            self.typesOnly = typesOnly
            self.filter = filter
            self.attributes = attributes
        }

        public enum Scope: Int, Hashable, Sendable, CaseIterable {
            case baseObject = 0
            case singleLevel = 1
            case wholeSubtree = 2
        }

        public enum DerefAliases: Int, Hashable, Sendable, CaseIterable {
            case neverDerefAliases = 0
            case derefInSearching = 1
            case derefFindingBaseObj = 2
            case derefAlways = 3
        }

        static let identifier = ASN1Identifier.application(3)

        init(node: ASN1Node, limits: LDAPLimits) throws(LDAPDecodingError) {
            var reader = try ComponentReader(node, "SearchRequest", limits: limits)
            baseObject = try reader.read(.octetString, "baseObject").utf8String("SearchRequest.baseObject")
            let rawScope = try reader.read(.enumerated, "scope").integer("SearchRequest.scope")
            let rawDeref = try reader.read(.enumerated, "derefAliases").integer("SearchRequest.derefAliases")
            let rawSize = try reader.read(.integer, "sizeLimit").integer("SearchRequest.sizeLimit")
            let rawTime = try reader.read(.integer, "timeLimit").integer("SearchRequest.timeLimit")
            typesOnly = try reader.read(.boolean, "typesOnly").boolean("SearchRequest.typesOnly")
            filter = try LDAPFilter(node: reader.readAny("filter"), limits: limits)
            let what = "SearchRequest.attributes"
            attributes = try reader.read(.sequence, "attributes").elements(what, limits: limits) {
                (node) throws(LDAPDecodingError) in try node.expect(.octetString, what).utf8String(what)
            }
            try reader.finish(recognizing: [.octetString, .enumerated, .integer, .boolean, .sequence])
            // Values are checked after the structure, so that they are answerable with SearchResultDone.
            guard let scope = Int(exactly: rawScope).flatMap(Scope.init(rawValue:)) else {
                throw .invalidValue("SearchRequest.scope", "\(rawScope) is not 0, 1 or 2")
            }
            guard let deref = Int(exactly: rawDeref).flatMap(DerefAliases.init(rawValue:)) else {
                throw .invalidValue("SearchRequest.derefAliases", "\(rawDeref) is not 0...3")
            }
            guard let size = Int32(exactly: rawSize), size >= 0 else {
                throw .invalidValue("SearchRequest.sizeLimit", "\(rawSize) is outside 0...2147483647")
            }
            guard let time = Int32(exactly: rawTime), time >= 0 else {
                throw .invalidValue("SearchRequest.timeLimit", "\(rawTime) is outside 0...2147483647")
            }
            self.scope = scope
            self.derefAliases = deref
            self.sizeLimit = size
            self.timeLimit = time
        }

        func encode(into serializer: inout DER.Serializer) {
            serializer.writeConstructed(Self.identifier) { serializer in
                serializer.writeString(baseObject)
                serializer.writeInteger(Int64(scope.rawValue), .enumerated)
                serializer.writeInteger(Int64(derefAliases.rawValue), .enumerated)
                serializer.writeInteger(Int64(sizeLimit))
                serializer.writeInteger(Int64(timeLimit))
                serializer.writeBoolean(typesOnly)
                filter.encode(into: &serializer)
                serializer.writeConstructed(.sequence) { serializer in
                    for attribute in attributes { serializer.writeString(attribute) }
                }
            }
        }
    }

    /// RFC 4511 §4.5.2.
    ///
    ///     SearchResultEntry ::= [APPLICATION 4] SEQUENCE {
    ///          objectName      LDAPDN,
    ///          attributes      PartialAttributeList }
    ///
    ///     PartialAttributeList ::= SEQUENCE OF partialAttribute PartialAttribute
    public struct SearchResultEntry: Hashable, Sendable {
        public var objectName: String
        public var attributes: [PartialAttribute]

        public init(objectName: String, attributes: [PartialAttribute]) {
            self.objectName = objectName
            self.attributes = attributes
        }

        /// The values of the first attribute named `type` (compared case-insensitively).
        public func values(of type: String) -> [[UInt8]]? {
            let wanted = type.lowercasedASCII
            return attributes.first { $0.type.lowercasedASCII == wanted }?.values
        }

        static let identifier = ASN1Identifier.application(4)

        init(node: ASN1Node, limits: LDAPLimits) throws(LDAPDecodingError) {
            var reader = try ComponentReader(node, "SearchResultEntry", limits: limits)
            objectName = try reader.read(.octetString, "objectName").utf8String("SearchResultEntry.objectName")
            attributes = try reader.read(.sequence, "attributes").elements(
                "SearchResultEntry.attributes", limits: limits
            ) { (node) throws(LDAPDecodingError) in
                try PartialAttribute(node: node, "SearchResultEntry.attributes", limits: limits)
            }
            try reader.finish(recognizing: [.octetString, .sequence])
        }

        func encode(into serializer: inout DER.Serializer) {
            serializer.writeConstructed(Self.identifier) { serializer in
                serializer.writeString(objectName)
                serializer.writeConstructed(.sequence) { serializer in
                    for attribute in attributes { attribute.encode(into: &serializer) }
                }
            }
        }
    }

    /// RFC 4511 §4.5.3.
    ///
    ///     SearchResultReference ::= [APPLICATION 19] SEQUENCE SIZE (1..MAX) OF uri URI
    public struct SearchResultReference: Hashable, Sendable {
        public var uris: [String]

        public init(uris: [String]) { self.uris = uris }

        static let identifier = ASN1Identifier.application(19)

        init(node: ASN1Node, limits: LDAPLimits) throws(LDAPDecodingError) {
            let what = "SearchResultReference"
            uris = try node.elements(what, limits: limits) { (node) throws(LDAPDecodingError) in
                try node.expect(.octetString, what).utf8String(what)
            }
            guard !uris.isEmpty else { throw .invalidValue(what, "has no URI (SIZE (1..MAX))") }
        }

        func encode(into serializer: inout DER.Serializer) {
            serializer.writeConstructed(Self.identifier) { serializer in
                for uri in uris { serializer.writeString(uri) }
            }
        }
    }
}

/// An attribute with its values (RFC 4511 §4.1.7).
///
///     PartialAttribute ::= SEQUENCE {
///          type       AttributeDescription,
///          vals       SET OF value AttributeValue }
///
///     Attribute ::= PartialAttribute(WITH COMPONENTS {
///          ...,
///          vals (SIZE(1..MAX))})
///
/// The values keep the order they had on the wire and are written in that order (BER does not sort a
/// SET OF).
public struct PartialAttribute: Hashable, Sendable {
    public var type: String
    public var values: [[UInt8]]

    public init(type: String, values: [[UInt8]]) {
        self.type = type
        self.values = values
    }

    /// String values, written as UTF-8.
    public init(type: String, stringValues: [String]) {
        self.type = type
        self.values = stringValues.map { Array($0.utf8) }
    }

    init(node: ASN1Node, _ what: String, limits: LDAPLimits, requireValues: Bool = false) throws(LDAPDecodingError) {
        var reader = try ComponentReader(node.expect(.sequence, what), "\(what).PartialAttribute", limits: limits)
        type = try reader.read(.octetString, "type").utf8String("\(what).type")
        values = try reader.read(.set, "vals").elements("\(what).vals", limits: limits) {
            (node) throws(LDAPDecodingError) in try node.expect(.octetString, "\(what).vals").octets("\(what).vals")
        }
        try reader.finish(recognizing: [.octetString, .set])
        if requireValues, values.isEmpty {
            throw .invalidValue("\(what) attribute \(type)", "has no values (Attribute requires SIZE(1..MAX))")
        }
    }

    func encode(into serializer: inout DER.Serializer) {
        serializer.writeConstructed(.sequence) { serializer in
            serializer.writeString(type)
            serializer.writeConstructed(.set) { serializer in
                for value in values { serializer.writeOctets(value) }
            }
        }
    }
}

extension String {
    /// ASCII-only lower-casing, for attribute descriptions (RFC 4512 §2.5: case-insensitive, ASCII).
    var lowercasedASCII: String {
        guard utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5a }) else { return self }
        return String(decoding: utf8.map { $0 >= 0x41 && $0 <= 0x5a ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}
