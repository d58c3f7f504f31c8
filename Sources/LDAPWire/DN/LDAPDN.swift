/// A distinguished name (RFC 4514), as a list of RDNs from the entry up to the root.
///
///     distinguishedName = [ relativeDistinguishedName
///         *( COMMA relativeDistinguishedName ) ]
///     relativeDistinguishedName = attributeTypeAndValue
///         *( PLUS attributeTypeAndValue )
///     attributeTypeAndValue = attributeType EQUALS attributeValue
///     attributeValue = string / hexstring
///
/// Equality and hashing use the ``normalized`` form: `CN=Alice , DC=Example,dc=com` equals
/// `cn=alice,dc=example,dc=com`.
public struct LDAPDN: Hashable, Sendable, CustomStringConvertible {
    /// The RDNs, the entry's own first (`cn=alice` in `cn=alice,dc=example,dc=com`).
    public var rdns: [RDN]

    public init(rdns: [RDN]) { self.rdns = rdns }

    /// A relative distinguished name: one or more `type=value` joined by `+`.
    public struct RDN: Hashable, Sendable, CustomStringConvertible {
        public var attributes: [AttributeTypeAndValue]

        public init(_ attributes: [AttributeTypeAndValue]) { self.attributes = attributes }

        public init(type: String, value: String) {
            self.attributes = [AttributeTypeAndValue(type: type, value: .string(value))]
        }

        /// The string value of the first attribute of this type (compared case-insensitively).
        public func value(of type: String) -> String? {
            let wanted = type.lowercasedASCII
            for attribute in attributes where attribute.type.lowercasedASCII == wanted {
                if case .string(let value) = attribute.value { return value }
            }
            return nil
        }

        public var description: String { attributes.map(\.description).joined(separator: "+") }
    }

    /// `type=value`.
    public struct AttributeTypeAndValue: Hashable, Sendable, CustomStringConvertible {
        /// A descriptor (`cn`) or a numeric OID (`2.5.4.3`).
        public var type: String
        public var value: Value

        public init(type: String, value: Value) {
            self.type = type
            self.value = value
        }

        public enum Value: Hashable, Sendable {
            /// A string value, unescaped.
            case string(String)
            /// A `#`-prefixed hexstring: the BER encoding of the value (RFC 4514 §2.4).
            case ber([UInt8])
        }

        public var description: String {
            switch value {
            case .string(let string): return type + "=" + escapeDNValue(string)
            case .ber(let bytes): return type + "=#" + bytes.map(hex).joined()
            }
        }
    }

    /// Parses an RFC 4514 string. Also accepted, as RFC 4514 §3 allows: spaces around `=`, `,` and
    /// `+`, and unescaped leading and trailing spaces of values (which are not part of the value).
    public init(parsing string: String) throws(LDAPSyntaxError) {
        var parser = DNParser(bytes: Array(string.utf8))
        rdns = try parser.parse()
    }

    /// The root DSE's empty DN.
    public static let root = LDAPDN(rdns: [])

    public var isEmpty: Bool { rdns.isEmpty }

    /// The DN without its first RDN; nil for the empty DN.
    public var parent: LDAPDN? { rdns.isEmpty ? nil : LDAPDN(rdns: Array(rdns.dropFirst())) }

    /// The form used for comparison: attribute types lower-cased (numeric OIDs kept), values with
    /// leading, trailing and repeated inner spaces removed and case-folded (the insignificant space
    /// and case rules of caseIgnoreMatch, RFC 4518 §2.6.1), string-typed `#` BER values decoded, and
    /// the attributes of a multi-valued RDN sorted.
    public var normalized: LDAPDN { LDAPDN(rdns: rdns.map(\.normalized)) }

    /// Whether this DN is `other` or lies below it: `cn=bob,dc=IKEY,dc=duosecurity,dc=com` has the
    /// suffix `dc=ikey,dc=duosecurity,dc=com`. Every DN has the empty suffix. Only the RDNs
    /// compared are normalized, and the first difference ends the comparison (a bind is checked
    /// against every integration's base DN).
    public func hasSuffix(_ other: LDAPDN) -> Bool {
        guard other.rdns.count <= rdns.count else { return false }
        return zip(rdns.suffix(other.rdns.count), other.rdns).allSatisfy { $0.normalized == $1.normalized }
    }

    /// The RFC 4514 string, with the escapes of its §2.4.
    public var description: String { rdns.map(\.description).joined(separator: ",") }

    public static func == (lhs: LDAPDN, rhs: LDAPDN) -> Bool {
        lhs.normalized.rdns == rhs.normalized.rdns
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(normalized.rdns)
    }
}

extension LDAPDN.RDN {
    /// The RDN's attributes normalized and sorted (see ``LDAPDN/normalized``).
    var normalized: LDAPDN.RDN {
        LDAPDN.RDN(attributes.map { $0.normalized }.sorted { $0.description < $1.description })
    }
}

extension LDAPDN.AttributeTypeAndValue {
    var normalized: LDAPDN.AttributeTypeAndValue {
        let normalizedType = type.lowercasedASCII
        switch value {
        case .string(let string):
            return .init(type: normalizedType, value: .string(normalizeDNValue(string)))
        case .ber(let bytes):
            if let string = decodeBERString(bytes) {
                return .init(type: normalizedType, value: .string(normalizeDNValue(string)))
            }
            return .init(type: normalizedType, value: .ber(bytes))
        }
    }
}

/// caseIgnoreMatch's view of a value: trimmed, inner runs of spaces collapsed, case-folded.
/// ASCII values (every DN of the Juniper service) in one pass over their bytes.
func normalizeDNValue(_ value: String) -> String {
    var ascii: [UInt8] = []
    ascii.reserveCapacity(value.utf8.count)
    var spaceBefore = false
    for byte in value.utf8 {
        guard byte < 0x80 else {
            return value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ").lowercased()
        }
        if byte == UInt8(ascii: " ") {
            spaceBefore = !ascii.isEmpty
            continue
        }
        if spaceBefore {
            ascii.append(UInt8(ascii: " "))
            spaceBefore = false
        }
        ascii.append((UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte)
    }
    return String(decoding: ascii, as: UTF8.self)
}

/// The string inside a BER-encoded directory string (OCTET STRING, UTF8String, PrintableString,
/// IA5String, TeletexString) with a definite length, or nil.
func decodeBERString(_ bytes: [UInt8]) -> String? {
    guard bytes.count >= 2, [0x04, 0x0c, 0x13, 0x14, 0x16].contains(bytes[0]) else { return nil }
    var index = 1
    var length = 0
    let first = bytes[index]
    index += 1
    if first < 0x80 {
        length = Int(first)
    } else {
        let octets = Int(first & 0x7f)
        guard octets >= 1, octets <= 4, bytes.count >= index + octets else { return nil }
        for _ in 0..<octets {
            length = length << 8 | Int(bytes[index])
            index += 1
        }
    }
    guard bytes.count - index == length else { return nil }
    return String(validating: bytes[index...], as: UTF8.self)
}

/// RFC 4514 §2.4: escape `"`, `+`, `,`, `;`, `<`, `>`, `\`, a leading space or `#`, a trailing space,
/// and NUL (as `\00`).
public func escapeDNValue(_ value: String) -> String {
    let bytes = Array(value.utf8)
    var output: [UInt8] = []
    output.reserveCapacity(bytes.count + 4)
    for (index, byte) in bytes.enumerated() {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "+"), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "<"),
            UInt8(ascii: ">"), UInt8(ascii: "\\"):
            output += [UInt8(ascii: "\\"), byte]
        case UInt8(ascii: " ") where index == 0 || index == bytes.count - 1:
            output += [UInt8(ascii: "\\"), byte]
        case UInt8(ascii: "#") where index == 0:
            output += [UInt8(ascii: "\\"), byte]
        case 0x00:
            output += Array("\\00".utf8)
        default:
            output.append(byte)
        }
    }
    return String(decoding: output, as: UTF8.self)
}

private struct DNParser {
    let bytes: [UInt8]
    var position = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

    mutating func skipSpaces() {
        while peek == UInt8(ascii: " ") { position += 1 }
    }

    mutating func parse() throws(LDAPSyntaxError) -> [LDAPDN.RDN] {
        skipSpaces()
        guard peek != nil else { return [] }
        var rdns: [LDAPDN.RDN] = []
        var attributes: [LDAPDN.AttributeTypeAndValue] = []
        while true {
            attributes.append(try parseAttributeTypeAndValue())
            switch peek {
            case nil:
                rdns.append(LDAPDN.RDN(attributes))
                return rdns
            case UInt8(ascii: "+"):
                position += 1
            case UInt8(ascii: ","):
                position += 1
                rdns.append(LDAPDN.RDN(attributes))
                attributes = []
            case let byte?:
                throw .dn("unexpected '\(Unicode.Scalar(byte))' after a value (escape it with '\\')", at: position)
            }
        }
    }

    mutating func parseAttributeTypeAndValue() throws(LDAPSyntaxError) -> LDAPDN.AttributeTypeAndValue {
        skipSpaces()
        let type = try parseType()
        skipSpaces()
        guard peek == UInt8(ascii: "=") else { throw .dn("expected '=' after the attribute type \(type)", at: position) }
        position += 1
        skipSpaces()
        let value: LDAPDN.AttributeTypeAndValue.Value
        if peek == UInt8(ascii: "#") {
            value = .ber(try parseHexString())
        } else {
            value = .string(try parseString())
        }
        return LDAPDN.AttributeTypeAndValue(type: type, value: value)
    }

    /// `descr` (ALPHA *(ALPHA / DIGIT / "-")) or `numericoid` (RFC 4512 §1.4).
    mutating func parseType() throws(LDAPSyntaxError) -> String {
        let start = position
        guard let first = peek else { throw .dn("expected an attribute type but found the end", at: position) }
        if first.isASCIILetter {
            while let byte = peek, byte.isASCIILetter || byte.isASCIIDigit || byte == UInt8(ascii: "-") { position += 1 }
        } else if first.isASCIIDigit {
            var arcStart = position
            while true {
                while let byte = peek, byte.isASCIIDigit { position += 1 }
                let arc = bytes[arcStart..<position]
                guard !arc.isEmpty else { throw .dn("empty arc in a numeric OID", at: position) }
                guard arc.count == 1 || arc.first != UInt8(ascii: "0") else {
                    throw .dn("leading zero in a numeric OID arc", at: arcStart)
                }
                guard peek == UInt8(ascii: ".") else { break }
                position += 1
                arcStart = position
            }
            guard bytes[start..<position].contains(UInt8(ascii: ".")) else {
                throw .dn("a numeric OID needs at least two arcs", at: start)
            }
        } else {
            throw .dn("expected an attribute type but found '\(Unicode.Scalar(first))'", at: position)
        }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    /// `#` followed by hex pairs: a BER value.
    mutating func parseHexString() throws(LDAPSyntaxError) -> [UInt8] {
        position += 1
        var value: [UInt8] = []
        while let high = peek?.hexValue {
            guard position + 1 < bytes.count, let low = bytes[position + 1].hexValue else {
                throw .dn("odd number of hex digits after '#'", at: position)
            }
            value.append(high << 4 | low)
            position += 2
        }
        guard !value.isEmpty else { throw .dn("'#' must be followed by hex pairs", at: position) }
        skipSpaces()
        return value
    }

    /// A string value up to an unescaped `,` or `+`, without unescaped trailing spaces.
    mutating func parseString() throws(LDAPSyntaxError) -> String {
        let start = position
        var value: [UInt8] = []
        var significant = 0  // length of `value` up to its last non-space or escaped byte
        while let byte = peek {
            switch byte {
            case UInt8(ascii: ","), UInt8(ascii: "+"):
                return try finish(value, significant, start)
            case UInt8(ascii: "\\"):
                guard position + 1 < bytes.count else { throw .dn("'\\' at the end of the DN", at: position) }
                let next = bytes[position + 1]
                if let high = next.hexValue {
                    guard position + 2 < bytes.count, let low = bytes[position + 2].hexValue else {
                        throw .dn("'\\' must be followed by a special character or two hex digits", at: position)
                    }
                    value.append(high << 4 | low)
                    position += 3
                } else if Self.escapable.contains(next) {
                    value.append(next)
                    position += 2
                } else {
                    throw .dn("'\\\(Unicode.Scalar(next))' is not an RFC 4514 escape", at: position)
                }
                significant = value.count
            case UInt8(ascii: "\""), UInt8(ascii: ";"), UInt8(ascii: "<"), UInt8(ascii: ">"), 0x00:
                throw .dn("'\(Unicode.Scalar(byte))' must be escaped in a value", at: position)
            case UInt8(ascii: " "):
                value.append(byte)
                position += 1
            default:
                value.append(byte)
                position += 1
                significant = value.count
            }
        }
        return try finish(value, significant, start)
    }

    func finish(_ value: [UInt8], _ significant: Int, _ start: Int) throws(LDAPSyntaxError) -> String {
        guard let string = String(validating: value[..<significant], as: UTF8.self) else {
            throw .dn("value is not valid UTF-8", at: start)
        }
        return string
    }

    /// RFC 4514: `special = escaped / SPACE / SHARP / EQUALS`, `escaped = DQUOTE / PLUS / COMMA / SEMI /
    /// LANGLE / RANGLE`, and ESC itself.
    static let escapable: Set<UInt8> = Set(" \"#+,;<=>\\".utf8)
}

extension UInt8 {
    var isASCIILetter: Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(self)
    }
    var isASCIIDigit: Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) }
}
