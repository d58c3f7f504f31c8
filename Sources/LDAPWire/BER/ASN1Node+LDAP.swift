import SwiftASN1

extension ASN1Identifier {
    /// `[APPLICATION n]`, the tags of LDAP's protocolOps.
    static func application(_ number: UInt) -> ASN1Identifier {
        ASN1Identifier(tagWithNumber: number, tagClass: .application)
    }

    /// `[n]`, context-specific, as every bare tag in RFC 4511's IMPLICIT TAGS module.
    static func context(_ number: UInt) -> ASN1Identifier {
        ASN1Identifier(tagWithNumber: number, tagClass: .contextSpecific)
    }

    /// `[APPLICATION 3]`, `[0]`, `SEQUENCE`, for diagnostics.
    var ldapDescription: String {
        switch tagClass {
        case .universal:
            switch tagNumber {
            case 1: return "BOOLEAN"
            case 2: return "INTEGER"
            case 4: return "OCTET STRING"
            case 5: return "NULL"
            case 10: return "ENUMERATED"
            case 16: return "SEQUENCE"
            case 17: return "SET"
            default: return "[UNIVERSAL \(tagNumber)]"
            }
        case .application: return "[APPLICATION \(tagNumber)]"
        case .contextSpecific: return "[\(tagNumber)]"
        case .private: return "[PRIVATE \(tagNumber)]"
        }
    }
}

extension ASN1Node {
    /// The contents of a primitive element; LDAP forbids the constructed form of strings.
    func primitiveBytes(_ what: @autoclosure () -> String) throws(LDAPDecodingError) -> ArraySlice<UInt8> {
        switch content {
        case .primitive(let bytes): return bytes
        case .constructed: throw .constructedString(what())
        }
    }

    /// The children of a constructed element.
    func children(_ what: @autoclosure () -> String) throws(LDAPDecodingError) -> ASN1NodeCollection {
        switch content {
        case .constructed(let nodes): return nodes
        case .primitive: throw .primitiveSequence(what())
        }
    }

    /// An OCTET STRING value (passwords, attribute and assertion values, control values).
    func octets(_ what: @autoclosure () -> String) throws(LDAPDecodingError) -> [UInt8] {
        Array(try primitiveBytes(what()))
    }

    /// An LDAPString: "encoded using UTF-8" (RFC 4511 §4.1.2).
    func utf8String(_ what: @autoclosure () -> String) throws(LDAPDecodingError) -> String {
        let bytes = try primitiveBytes(what())
        guard let string = String(validating: bytes, as: UTF8.self) else { throw .invalidUTF8(what()) }
        return string
    }

    /// An INTEGER or ENUMERATED, minimally encoded (X.690 §8.3.2), that fits in 64 bits.
    func integer(_ what: @autoclosure () -> String) throws(LDAPDecodingError) -> Int64 {
        let bytes = try primitiveBytes(what())
        guard let first = bytes.first else { throw .invalidInteger(what(), "has no content octets") }
        guard bytes.count <= 8 else { throw .invalidInteger(what(), "has \(bytes.count) octets (at most 8)") }
        if bytes.count > 1 {
            let second = bytes[bytes.startIndex + 1]
            if (first == 0x00 && second & 0x80 == 0) || (first == 0xff && second & 0x80 != 0) {
                throw .invalidInteger(what(), "is not minimally encoded")
            }
        }
        var value: Int64 = first & 0x80 != 0 ? -1 : 0
        for byte in bytes { value = value << 8 | Int64(byte) }
        return value
    }

    /// A BOOLEAN: one octet, zero is FALSE and anything else TRUE (X.690 §8.2.2).
    func boolean(_ what: @autoclosure () -> String) throws(LDAPDecodingError) -> Bool {
        let bytes = try primitiveBytes(what())
        guard bytes.count == 1, let byte = bytes.first else { throw .invalidBoolean(what(), length: bytes.count) }
        return byte != 0
    }

    /// A NULL: primitive with no content.
    func null(_ what: @autoclosure () -> String) throws(LDAPDecodingError) {
        let bytes = try primitiveBytes(what())
        guard bytes.isEmpty else { throw .invalidNull(what(), length: bytes.count) }
    }
}

/// Reads the components of one SEQUENCE in order, with diagnostics that name the production.
struct ComponentReader {
    private var iterator: ASN1NodeCollection.Iterator
    private var peeked: ASN1Node?
    let production: String
    let limits: LDAPLimits

    init(_ node: ASN1Node, _ production: String, limits: LDAPLimits) throws(LDAPDecodingError) {
        iterator = try node.children(production).makeIterator()
        peeked = iterator.next()
        self.production = production
        self.limits = limits
    }

    /// The identifier of the next component, if any.
    var nextIdentifier: ASN1Identifier? { peeked?.identifier }

    /// The next component, which must carry `identifier`.
    mutating func read(_ identifier: ASN1Identifier, _ field: String) throws(LDAPDecodingError) -> ASN1Node {
        guard let node = peeked else { throw .missingElement(field, in: production) }
        guard node.identifier == identifier else {
            throw .unexpectedElement(
                "\(production).\(field)",
                found: node.identifier.ldapDescription,
                expected: identifier.ldapDescription
            )
        }
        peeked = iterator.next()
        return node
    }

    /// The next component if it carries `identifier` (an OPTIONAL or DEFAULT component).
    mutating func readIfPresent(_ identifier: ASN1Identifier) -> ASN1Node? {
        guard let node = peeked, node.identifier == identifier else { return nil }
        peeked = iterator.next()
        return node
    }

    /// The next component, whatever its tag (a CHOICE).
    mutating func readAny(_ field: String) throws(LDAPDecodingError) -> ASN1Node {
        guard let node = peeked else { throw .missingElement(field, in: production) }
        peeked = iterator.next()
        return node
    }

    /// Ends the SEQUENCE. RFC 4511 §4: "clients and servers MUST (unless otherwise specified) ignore
    /// trailing SEQUENCE components whose tags they do not recognize." A trailing component with a
    /// tag this production uses is out of place, and refused.
    mutating func finish(recognizing identifiers: [ASN1Identifier]) throws(LDAPDecodingError) {
        while let node = peeked {
            if identifiers.contains(node.identifier) {
                throw .unexpectedElement(
                    production,
                    found: "a trailing \(node.identifier.ldapDescription)",
                    expected: "the end of the SEQUENCE"
                )
            }
            peeked = iterator.next()
        }
    }
}

extension ASN1Node {
    /// The elements of a SEQUENCE OF / SET OF, refusing more than `limits.maximumElements`.
    func elements<T>(
        _ what: String,
        limits: LDAPLimits,
        _ decode: (ASN1Node) throws(LDAPDecodingError) -> T
    ) throws(LDAPDecodingError) -> [T] {
        var result: [T] = []
        for node in try children(what) {
            guard result.count < limits.maximumElements else {
                throw .tooManyElements(what, maximum: limits.maximumElements)
            }
            result.append(try decode(node))
        }
        return result
    }

    /// Requires this node to carry `identifier`.
    func expect(_ identifier: ASN1Identifier, _ what: String) throws(LDAPDecodingError) -> ASN1Node {
        guard self.identifier == identifier else {
            throw .unexpectedElement(what, found: self.identifier.ldapDescription, expected: identifier.ldapDescription)
        }
        return self
    }
}
