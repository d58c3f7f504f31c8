// RFC 4515: the string representation of search filters.

extension LDAPFilter {
    /// Parses an RFC 4515 filter string, e.g. `(&(objectClass=person)(|(uid=a*)(cn=*b*)))`.
    ///
    /// A bare item without parentheses (`uid=alice`) is accepted as ldapsearch accepts it. Nesting is
    /// checked on the way down, so thousands of `(&(&(&...` end in a typed error, not a stack overflow.
    public init(parsing string: String, limits: LDAPLimits = .default) throws(LDAPSyntaxError) {
        var parser = FilterParser(bytes: Array(string.utf8), limits: limits)
        self = try parser.parseTopLevel()
    }

    /// The RFC 4515 string form, with values escaped by ``escapeFilterValue(_:)-(String)``.
    public var description: String {
        var output = ""
        render(into: &output)
        return output
    }

    private func render(into output: inout String) {
        output += "("
        switch self {
        case .and(let filters):
            output += "&"
            for filter in filters { filter.render(into: &output) }
        case .or(let filters):
            output += "|"
            for filter in filters { filter.render(into: &output) }
        case .not(let filter):
            output += "!"
            filter.render(into: &output)
        case .equalityMatch(let ava):
            output += ava.attributeDesc + "=" + escapeFilterValue(ava.assertionValue)
        case .greaterOrEqual(let ava):
            output += ava.attributeDesc + ">=" + escapeFilterValue(ava.assertionValue)
        case .lessOrEqual(let ava):
            output += ava.attributeDesc + "<=" + escapeFilterValue(ava.assertionValue)
        case .approxMatch(let ava):
            output += ava.attributeDesc + "~=" + escapeFilterValue(ava.assertionValue)
        case .present(let attribute):
            output += attribute + "=*"
        case .substrings(let substrings):
            output += substrings.type + "="
            if let initial = substrings.initial { output += escapeFilterValue(initial) }
            output += "*"
            for value in substrings.any { output += escapeFilterValue(value) + "*" }
            if let final = substrings.final { output += escapeFilterValue(final) }
        case .extensibleMatch(let assertion):
            output += assertion.type ?? ""
            if assertion.dnAttributes { output += ":dn" }
            if let rule = assertion.matchingRule { output += ":" + rule }
            output += ":=" + escapeFilterValue(assertion.matchValue)
        }
        output += ")"
    }
}

extension LDAPFilter: CustomStringConvertible {}

/// Escapes a value for an RFC 4515 filter string: `*`, `(`, `)`, `\` and NUL become `\2a`, `\28`,
/// `\29`, `\5c` and `\00`, so that `*)(uid=*` becomes `\2a\29\28uid=\2a` and matches only itself.
public func escapeFilterValue(_ value: String) -> String {
    escapeFilterValue(Array(value.utf8))
}

/// Escapes a binary value for an RFC 4515 filter string. Valid UTF-8 keeps its non-ASCII characters;
/// any other byte outside printable ASCII is written as a `\xx` hex pair.
public func escapeFilterValue(_ value: [UInt8]) -> String {
    let isUTF8 = String(validating: value, as: UTF8.self) != nil
    var output: [UInt8] = []
    output.reserveCapacity(value.count)
    let digits = Array("0123456789abcdef".utf8)
    for byte in value {
        let mustEscape: Bool
        switch byte {
        case 0x00, 0x28, 0x29, 0x2a, 0x5c: mustEscape = true
        case 0x80...: mustEscape = !isUTF8
        case ..<0x20, 0x7f: mustEscape = true
        default: mustEscape = false
        }
        if mustEscape {
            output += [0x5c, digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]]
        } else {
            output.append(byte)
        }
    }
    return String(decoding: output, as: UTF8.self)
}

/// A recursive-descent parser of RFC 4515 whose depth is bounded by `limits.maximumFilterDepth`.
private struct FilterParser {
    let bytes: [UInt8]
    let limits: LDAPLimits
    var position = 0
    var components = 0

    init(bytes: [UInt8], limits: LDAPLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    var peek: UInt8? { position < bytes.count ? bytes[position] : nil }

    mutating func parseTopLevel() throws(LDAPSyntaxError) -> LDAPFilter {
        let filter: LDAPFilter
        if peek == UInt8(ascii: "(") {
            filter = try parseFilter(depth: 1)
        } else {
            components = 1
            filter = try parseItem()
        }
        guard position == bytes.count else {
            throw .filter("unexpected characters after the filter", at: position)
        }
        return filter
    }

    mutating func expect(_ character: Unicode.Scalar) throws(LDAPSyntaxError) {
        guard peek == UInt8(ascii: character) else {
            let found = peek.map { "'\(Unicode.Scalar($0))'" } ?? "the end"
            throw .filter("expected '\(character)' but found \(found)", at: position)
        }
        position += 1
    }

    mutating func parseFilter(depth: Int) throws(LDAPSyntaxError) -> LDAPFilter {
        guard depth <= limits.maximumFilterDepth else {
            throw LDAPSyntaxError(
                .filterTooDeep, "filter is nested deeper than \(limits.maximumFilterDepth) levels", at: position)
        }
        components += 1
        guard components <= limits.maximumFilterComponents else {
            throw LDAPSyntaxError(
                .tooManyFilterComponents, "filter has more than \(limits.maximumFilterComponents) components",
                at: position)
        }
        try expect("(")
        let filter: LDAPFilter
        switch peek {
        case UInt8(ascii: "&"):
            position += 1
            filter = .and(try parseList(depth: depth))
        case UInt8(ascii: "|"):
            position += 1
            filter = .or(try parseList(depth: depth))
        case UInt8(ascii: "!"):
            position += 1
            filter = .not(try parseFilter(depth: depth + 1))
        default:
            filter = try parseItem()
        }
        try expect(")")
        return filter
    }

    mutating func parseList(depth: Int) throws(LDAPSyntaxError) -> [LDAPFilter] {
        var filters: [LDAPFilter] = []
        while peek == UInt8(ascii: "(") {
            filters.append(try parseFilter(depth: depth + 1))
        }
        return filters
    }

    /// `attr filtertype value`, `attr=*`, substrings, or an extensible match.
    mutating func parseItem() throws(LDAPSyntaxError) -> LDAPFilter {
        let attribute = parseDescription()
        switch peek {
        case UInt8(ascii: ":"):
            return try parseExtensible(type: attribute.isEmpty ? nil : attribute)
        case UInt8(ascii: "="):
            try requireAttribute(attribute)
            position += 1
            return try parseEqualityOrSubstrings(attribute)
        case UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "<"):
            try requireAttribute(attribute)
            let operatorByte = bytes[position]
            position += 1
            try expect("=")
            let value = try parseValue()
            let ava = LDAPAttributeValueAssertion(attributeDesc: attribute, assertionValue: value)
            switch operatorByte {
            case UInt8(ascii: "~"): return .approxMatch(ava)
            case UInt8(ascii: ">"): return .greaterOrEqual(ava)
            default: return .lessOrEqual(ava)
            }
        default:
            let found = peek.map { "'\(Unicode.Scalar($0))'" } ?? "the end"
            throw .filter("expected '=', '~=', '>=', '<=' or ':' after the attribute but found \(found)", at: position)
        }
    }

    func requireAttribute(_ attribute: String) throws(LDAPSyntaxError) {
        guard !attribute.isEmpty else { throw .filter("missing attribute description", at: position) }
    }

    /// An attribute description (RFC 4512 §2.5): a descr or numeric OID, with `;options`.
    mutating func parseDescription() -> String {
        let start = position
        while let byte = peek, byte.isDescriptionCharacter { position += 1 }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    mutating func parseEqualityOrSubstrings(_ attribute: String) throws(LDAPSyntaxError) -> LDAPFilter {
        // Split the value at unescaped '*'.
        var pieces: [[UInt8]] = [try parseValue()]
        while peek == UInt8(ascii: "*") {
            position += 1
            pieces.append(try parseValue())
        }
        if pieces.count == 1 {
            return .equalityMatch(LDAPAttributeValueAssertion(attributeDesc: attribute, assertionValue: pieces[0]))
        }
        if pieces.count == 2 && pieces[0].isEmpty && pieces[1].isEmpty { return .present(attribute) }
        let middle = pieces.dropFirst().dropLast()
        if middle.contains(where: \.isEmpty) {
            throw .filter("empty substring between two '*' in the value of \(attribute)", at: position)
        }
        let initial = pieces[0]
        let final = pieces[pieces.count - 1]
        return .substrings(
            LDAPFilter.SubstringFilter(
                type: attribute,
                initial: initial.isEmpty ? nil : initial,
                any: Array(middle),
                final: final.isEmpty ? nil : final
            )
        )
    }

    /// `attr [:dn] [:rule] := value` or `[:dn] :rule := value` (RFC 4515 §3).
    mutating func parseExtensible(type: String?) throws(LDAPSyntaxError) -> LDAPFilter {
        var dnAttributes = false
        var rule: String?
        while true {
            try expect(":")
            if peek == UInt8(ascii: "=") {
                position += 1
                break
            }
            let start = position
            let name = parseDescription()
            guard !name.isEmpty else { throw .filter("empty name after ':' in an extensible match", at: start) }
            if name.lowercasedASCII == "dn" && !dnAttributes && rule == nil {
                dnAttributes = true
            } else if rule == nil {
                rule = name
            } else {
                throw .filter("extensible match has more than one matching rule", at: start)
            }
        }
        guard type != nil || rule != nil else {
            throw .filter("extensible match needs an attribute or a matching rule", at: position)
        }
        let value = try parseValue()
        return .extensibleMatch(
            LDAPFilter.MatchingRuleAssertion(matchingRule: rule, type: type, matchValue: value, dnAttributes: dnAttributes)
        )
    }

    /// An assertion value up to `)` or `*`, with `\xx` hex escapes (RFC 4515 §3: `escaped = ESC HEX HEX`).
    mutating func parseValue() throws(LDAPSyntaxError) -> [UInt8] {
        var value: [UInt8] = []
        while let byte = peek {
            switch byte {
            case UInt8(ascii: ")"):
                return value
            case UInt8(ascii: "*"):
                return value
            case UInt8(ascii: "("):
                throw .filter("unescaped '(' in a value (write \\28)", at: position)
            case 0x00:
                throw .filter("NUL in a value (write \\00)", at: position)
            case UInt8(ascii: "\\"):
                guard position + 2 < bytes.count, let high = bytes[position + 1].hexValue,
                    let low = bytes[position + 2].hexValue
                else {
                    throw .filter("'\\' must be followed by two hex digits", at: position)
                }
                value.append(high << 4 | low)
                position += 3
            default:
                value.append(byte)
                position += 1
            }
        }
        return value
    }
}

extension UInt8 {
    var hexValue: UInt8? {
        switch self {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return self - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return self - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return self - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// Letters, digits, '-', '.', ';' (options) — the characters of an attribute description.
    var isDescriptionCharacter: Bool {
        switch self {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: ";"):
            return true
        default:
            return false
        }
    }
}
