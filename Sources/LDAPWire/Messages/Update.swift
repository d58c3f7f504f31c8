import SwiftASN1

// Write operations and Compare: decoded so that a proxy can refuse them with a proper response
// (SECURITY.md: "writes are never forwarded"), and encoded for tests.

extension LDAPMessage {
    /// RFC 4511 §4.6.
    ///
    ///     ModifyRequest ::= [APPLICATION 6] SEQUENCE {
    ///          object          LDAPDN,
    ///          changes         SEQUENCE OF change SEQUENCE {
    ///               operation       ENUMERATED {
    ///                    add     (0),
    ///                    delete  (1),
    ///                    replace (2),
    ///                    ...  },
    ///               modification    PartialAttribute } }
    public struct ModifyRequest: Hashable, Sendable {
        public var object: String
        public var changes: [Change]

        public init(object: String, changes: [Change]) {
            self.object = object
            self.changes = changes
        }

        public struct Change: Hashable, Sendable {
            public enum Operation: Int, Hashable, Sendable, CaseIterable {
                case add = 0
                case delete = 1
                case replace = 2
            }

            public var operation: Operation
            public var modification: PartialAttribute

            public init(operation: Operation, modification: PartialAttribute) {
                self.operation = operation
                self.modification = modification
            }
        }

        static let identifier = ASN1Identifier.application(6)

        init(node: ASN1Node, limits: LDAPLimits) throws(LDAPDecodingError) {
            var reader = try ComponentReader(node, "ModifyRequest", limits: limits)
            object = try reader.read(.octetString, "object").utf8String("ModifyRequest.object")
            changes = try reader.read(.sequence, "changes").elements("ModifyRequest.changes", limits: limits) {
                (node) throws(LDAPDecodingError) in
                var change = try ComponentReader(
                    node.expect(.sequence, "ModifyRequest.change"), "ModifyRequest.change", limits: limits)
                let raw = try change.read(.enumerated, "operation").integer("ModifyRequest.change.operation")
                let modification = try PartialAttribute(
                    node: change.read(.sequence, "modification"), "ModifyRequest.change.modification", limits: limits)
                try change.finish(recognizing: [.enumerated, .sequence])
                guard let operation = Int(exactly: raw).flatMap(Change.Operation.init(rawValue:)) else {
                    throw .invalidValue("ModifyRequest.change.operation", "\(raw) is not 0, 1 or 2")
                }
                return Change(operation: operation, modification: modification)
            }
            try reader.finish(recognizing: [.octetString, .sequence])
        }

        func encode(into serializer: inout DER.Serializer) {
            serializer.writeConstructed(Self.identifier) { serializer in
                serializer.writeString(object)
                serializer.writeConstructed(.sequence) { serializer in
                    for change in changes {
                        serializer.writeConstructed(.sequence) { serializer in
                            serializer.writeInteger(Int64(change.operation.rawValue), .enumerated)
                            change.modification.encode(into: &serializer)
                        }
                    }
                }
            }
        }
    }

    /// RFC 4511 §4.7.
    ///
    ///     AddRequest ::= [APPLICATION 8] SEQUENCE {
    ///          entry           LDAPDN,
    ///          attributes      AttributeList }
    ///
    ///     AttributeList ::= SEQUENCE OF attribute Attribute
    public struct AddRequest: Hashable, Sendable {
        public var entry: String
        public var attributes: [PartialAttribute]

        public init(entry: String, attributes: [PartialAttribute]) {
            self.entry = entry
            self.attributes = attributes
        }

        static let identifier = ASN1Identifier.application(8)

        init(node: ASN1Node, limits: LDAPLimits) throws(LDAPDecodingError) {
            var reader = try ComponentReader(node, "AddRequest", limits: limits)
            entry = try reader.read(.octetString, "entry").utf8String("AddRequest.entry")
            attributes = try reader.read(.sequence, "attributes").elements("AddRequest.attributes", limits: limits) {
                (node) throws(LDAPDecodingError) in
                try PartialAttribute(node: node, "AddRequest.attributes", limits: limits, requireValues: true)
            }
            try reader.finish(recognizing: [.octetString, .sequence])
        }

        func encode(into serializer: inout DER.Serializer) {
            serializer.writeConstructed(Self.identifier) { serializer in
                serializer.writeString(entry)
                serializer.writeConstructed(.sequence) { serializer in
                    for attribute in attributes { attribute.encode(into: &serializer) }
                }
            }
        }
    }

    /// RFC 4511 §4.8.
    ///
    ///     DelRequest ::= [APPLICATION 10] LDAPDN
    public struct DelRequest: Hashable, Sendable {
        public var entry: String

        public init(entry: String) { self.entry = entry }

        static let identifier = ASN1Identifier.application(10)

        init(node: ASN1Node) throws(LDAPDecodingError) {
            entry = try node.utf8String("DelRequest")
        }

        func encode(into serializer: inout DER.Serializer) {
            serializer.writeString(entry, Self.identifier)
        }
    }

    /// RFC 4511 §4.9.
    ///
    ///     ModifyDNRequest ::= [APPLICATION 12] SEQUENCE {
    ///          entry           LDAPDN,
    ///          newrdn          RelativeLDAPDN,
    ///          deleteoldrdn    BOOLEAN,
    ///          newSuperior     [0] LDAPDN OPTIONAL }
    public struct ModifyDNRequest: Hashable, Sendable {
        public var entry: String
        public var newRDN: String
        public var deleteOldRDN: Bool
        public var newSuperior: String?

        public init(entry: String, newRDN: String, deleteOldRDN: Bool, newSuperior: String? = nil) {
            self.entry = entry
            self.newRDN = newRDN
            self.deleteOldRDN = deleteOldRDN
            self.newSuperior = newSuperior
        }

        static let identifier = ASN1Identifier.application(12)
        static let newSuperiorTag = ASN1Identifier.context(0)

        init(node: ASN1Node, limits: LDAPLimits) throws(LDAPDecodingError) {
            var reader = try ComponentReader(node, "ModifyDNRequest", limits: limits)
            entry = try reader.read(.octetString, "entry").utf8String("ModifyDNRequest.entry")
            newRDN = try reader.read(.octetString, "newrdn").utf8String("ModifyDNRequest.newrdn")
            deleteOldRDN = try reader.read(.boolean, "deleteoldrdn").boolean("ModifyDNRequest.deleteoldrdn")
            newSuperior = try reader.readIfPresent(Self.newSuperiorTag)?.utf8String("ModifyDNRequest.newSuperior")
            try reader.finish(recognizing: [.octetString, .boolean, Self.newSuperiorTag])
        }

        func encode(into serializer: inout DER.Serializer) {
            serializer.writeConstructed(Self.identifier) { serializer in
                serializer.writeString(entry)
                serializer.writeString(newRDN)
                serializer.writeBoolean(deleteOldRDN)
                if let newSuperior { serializer.writeString(newSuperior, Self.newSuperiorTag) }
            }
        }
    }

    /// RFC 4511 §4.10.
    ///
    ///     CompareRequest ::= [APPLICATION 14] SEQUENCE {
    ///          entry           LDAPDN,
    ///          ava             AttributeValueAssertion }
    public struct CompareRequest: Hashable, Sendable {
        public var entry: String
        public var ava: LDAPAttributeValueAssertion

        public init(entry: String, ava: LDAPAttributeValueAssertion) {
            self.entry = entry
            self.ava = ava
        }

        static let identifier = ASN1Identifier.application(14)

        init(node: ASN1Node, limits: LDAPLimits) throws(LDAPDecodingError) {
            var reader = try ComponentReader(node, "CompareRequest", limits: limits)
            entry = try reader.read(.octetString, "entry").utf8String("CompareRequest.entry")
            ava = try LDAPAttributeValueAssertion(
                node: reader.read(.sequence, "ava"), "CompareRequest.ava", limits: limits)
            try reader.finish(recognizing: [.octetString, .sequence])
        }

        func encode(into serializer: inout DER.Serializer) {
            serializer.writeConstructed(Self.identifier) { serializer in
                serializer.writeString(entry)
                ava.encode(into: &serializer, .sequence)
            }
        }
    }
}

/// RFC 4511 §4.1.8.
///
///     AttributeValueAssertion ::= SEQUENCE {
///          attributeDesc   AttributeDescription,
///          assertionValue  AssertionValue }
public struct LDAPAttributeValueAssertion: Hashable, Sendable {
    public var attributeDesc: String
    public var assertionValue: [UInt8]

    public init(attributeDesc: String, assertionValue: [UInt8]) {
        self.attributeDesc = attributeDesc
        self.assertionValue = assertionValue
    }

    public init(_ attributeDesc: String, _ value: String) {
        self.attributeDesc = attributeDesc
        self.assertionValue = Array(value.utf8)
    }

    init(node: ASN1Node, _ what: String, limits: LDAPLimits) throws(LDAPDecodingError) {
        var reader = try ComponentReader(node, what, limits: limits)
        attributeDesc = try reader.read(.octetString, "attributeDesc").utf8String("\(what).attributeDesc")
        assertionValue = try reader.read(.octetString, "assertionValue").octets("\(what).assertionValue")
        try reader.finish(recognizing: [.octetString])
    }

    func encode(into serializer: inout DER.Serializer, _ identifier: ASN1Identifier) {
        serializer.writeConstructed(identifier) { serializer in
            serializer.writeString(attributeDesc)
            serializer.writeOctets(assertionValue)
        }
    }
}
