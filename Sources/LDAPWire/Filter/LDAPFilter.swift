import SwiftASN1

/// A search filter (RFC 4511 §4.5.1.7).
///
///     Filter ::= CHOICE {
///          and             [0] SET SIZE (1..MAX) OF filter Filter,
///          or              [1] SET SIZE (1..MAX) OF filter Filter,
///          not             [2] Filter,
///          equalityMatch   [3] AttributeValueAssertion,
///          substrings      [4] SubstringFilter,
///          greaterOrEqual  [5] AttributeValueAssertion,
///          lessOrEqual     [6] AttributeValueAssertion,
///          present         [7] AttributeDescription,
///          approxMatch     [8] AttributeValueAssertion,
///          extensibleMatch [9] MatchingRuleAssertion,
///          ...  }
///
/// Empty `and` / `or` sets are accepted: they are the absolute True `(&)` and False `(|)` filters of
/// RFC 4526, which OpenLDAP sends and accepts.
public indirect enum LDAPFilter: Hashable, Sendable {
    case and([LDAPFilter])
    case or([LDAPFilter])
    case not(LDAPFilter)
    case equalityMatch(LDAPAttributeValueAssertion)
    case substrings(SubstringFilter)
    case greaterOrEqual(LDAPAttributeValueAssertion)
    case lessOrEqual(LDAPAttributeValueAssertion)
    case present(String)
    case approxMatch(LDAPAttributeValueAssertion)
    case extensibleMatch(MatchingRuleAssertion)

    /// `(attribute=value)`, with `value` taken literally (no wildcards): the safe way to put a
    /// username into a filter.
    public static func equal(_ attribute: String, _ value: String) -> LDAPFilter {
        .equalityMatch(LDAPAttributeValueAssertion(attribute, value))
    }

    /// RFC 4511 §4.5.1.7.2.
    ///
    ///     SubstringFilter ::= SEQUENCE {
    ///          type           AttributeDescription,
    ///          substrings     SEQUENCE SIZE (1..MAX) OF substring CHOICE {
    ///               initial [0] AssertionValue,  -- can occur at most once
    ///               any     [1] AssertionValue,
    ///               final   [2] AssertionValue } -- can occur at most once
    ///          }
    public struct SubstringFilter: Hashable, Sendable {
        public var type: String
        public var initial: [UInt8]?
        public var any: [[UInt8]]
        public var final: [UInt8]?

        public init(type: String, initial: [UInt8]? = nil, any: [[UInt8]] = [], final: [UInt8]? = nil) {
            self.type = type
            self.initial = initial
            self.any = any
            self.final = final
        }
    }

    /// RFC 4511 §4.5.1.7.7.
    ///
    ///     MatchingRuleAssertion ::= SEQUENCE {
    ///          matchingRule    [1] MatchingRuleId OPTIONAL,
    ///          type            [2] AttributeDescription OPTIONAL,
    ///          matchValue      [3] AssertionValue,
    ///          dnAttributes    [4] BOOLEAN DEFAULT FALSE }
    public struct MatchingRuleAssertion: Hashable, Sendable {
        public var matchingRule: String?
        public var type: String?
        public var matchValue: [UInt8]
        public var dnAttributes: Bool

        public init(matchingRule: String? = nil, type: String? = nil, matchValue: [UInt8], dnAttributes: Bool = false) {
            self.matchingRule = matchingRule
            self.type = type
            self.matchValue = matchValue
            self.dnAttributes = dnAttributes
        }
    }
}

// MARK: - BER

extension LDAPFilter {
    private enum Tag {
        static let and = ASN1Identifier.context(0)
        static let or = ASN1Identifier.context(1)
        static let not = ASN1Identifier.context(2)
        static let equalityMatch = ASN1Identifier.context(3)
        static let substrings = ASN1Identifier.context(4)
        static let greaterOrEqual = ASN1Identifier.context(5)
        static let lessOrEqual = ASN1Identifier.context(6)
        static let present = ASN1Identifier.context(7)
        static let approxMatch = ASN1Identifier.context(8)
        static let extensibleMatch = ASN1Identifier.context(9)
    }

    init(node: ASN1Node, limits: LDAPLimits) throws(LDAPDecodingError) {
        var components = 0
        self = try Self.decode(node, depth: 1, components: &components, limits: limits)
    }

    /// Recursion is bounded: the depth is checked on the way down, and the BER validator has already
    /// capped the nesting of the whole PDU.
    private static func decode(
        _ node: ASN1Node,
        depth: Int,
        components: inout Int,
        limits: LDAPLimits
    ) throws(LDAPDecodingError) -> LDAPFilter {
        guard depth <= limits.maximumFilterDepth else { throw .filterTooDeep(maximum: limits.maximumFilterDepth) }
        components += 1
        guard components <= limits.maximumFilterComponents else {
            throw .tooManyFilterComponents(maximum: limits.maximumFilterComponents)
        }
        switch node.identifier {
        case Tag.and, Tag.or:
            let isAnd = node.identifier == Tag.and
            var filters: [LDAPFilter] = []
            for child in try node.children(isAnd ? "Filter.and" : "Filter.or") {
                filters.append(try decode(child, depth: depth + 1, components: &components, limits: limits))
            }
            return isAnd ? .and(filters) : .or(filters)
        case Tag.not:
            var iterator = try node.children("Filter.not").makeIterator()
            guard let inner = iterator.next() else { throw .missingElement("Filter", in: "Filter.not") }
            guard iterator.next() == nil else {
                throw .unexpectedElement("Filter.not", found: "a second Filter", expected: "exactly one Filter")
            }
            return .not(try decode(inner, depth: depth + 1, components: &components, limits: limits))
        case Tag.equalityMatch:
            return .equalityMatch(try LDAPAttributeValueAssertion(node: node, "Filter.equalityMatch", limits: limits))
        case Tag.greaterOrEqual:
            return .greaterOrEqual(try LDAPAttributeValueAssertion(node: node, "Filter.greaterOrEqual", limits: limits))
        case Tag.lessOrEqual:
            return .lessOrEqual(try LDAPAttributeValueAssertion(node: node, "Filter.lessOrEqual", limits: limits))
        case Tag.approxMatch:
            return .approxMatch(try LDAPAttributeValueAssertion(node: node, "Filter.approxMatch", limits: limits))
        case Tag.present:
            return .present(try node.utf8String("Filter.present"))
        case Tag.substrings:
            return .substrings(try SubstringFilter(node: node, limits: limits))
        case Tag.extensibleMatch:
            return .extensibleMatch(try MatchingRuleAssertion(node: node, limits: limits))
        default:
            throw .unexpectedElement("SearchRequest.filter", found: node.identifier.ldapDescription, expected: "a Filter [0]...[9]")
        }
    }

    func encode(into serializer: inout DER.Serializer) {
        switch self {
        case .and(let filters):
            serializer.writeConstructed(Tag.and) { serializer in
                for filter in filters { filter.encode(into: &serializer) }
            }
        case .or(let filters):
            serializer.writeConstructed(Tag.or) { serializer in
                for filter in filters { filter.encode(into: &serializer) }
            }
        case .not(let filter):
            serializer.writeConstructed(Tag.not) { filter.encode(into: &$0) }
        case .equalityMatch(let ava): ava.encode(into: &serializer, Tag.equalityMatch)
        case .greaterOrEqual(let ava): ava.encode(into: &serializer, Tag.greaterOrEqual)
        case .lessOrEqual(let ava): ava.encode(into: &serializer, Tag.lessOrEqual)
        case .approxMatch(let ava): ava.encode(into: &serializer, Tag.approxMatch)
        case .present(let attribute): serializer.writeString(attribute, Tag.present)
        case .substrings(let substrings): substrings.encode(into: &serializer, Tag.substrings)
        case .extensibleMatch(let assertion): assertion.encode(into: &serializer, Tag.extensibleMatch)
        }
    }
}

extension LDAPFilter.SubstringFilter {
    private static let initialTag = ASN1Identifier.context(0)
    private static let anyTag = ASN1Identifier.context(1)
    private static let finalTag = ASN1Identifier.context(2)

    init(node: ASN1Node, limits: LDAPLimits) throws(LDAPDecodingError) {
        let what = "Filter.substrings"
        var reader = try ComponentReader(node, what, limits: limits)
        type = try reader.read(.octetString, "type").utf8String("\(what).type")
        let list = try reader.read(.sequence, "substrings")
        try reader.finish(recognizing: [.octetString, .sequence])
        initial = nil
        any = []
        final = nil
        var count = 0
        for element in try list.children("\(what).substrings") {
            count += 1
            guard count <= limits.maximumElements else {
                throw .tooManyElements("\(what).substrings", maximum: limits.maximumElements)
            }
            guard final == nil else {
                throw .unexpectedElement("\(what).substrings", found: "a substring after final", expected: "the end")
            }
            let value = try element.octets("\(what).substrings")
            switch element.identifier {
            case Self.initialTag:
                guard count == 1 else {
                    throw .unexpectedElement("\(what).substrings", found: "initial [0] after the first", expected: "any [1] or final [2]")
                }
                initial = value
            case Self.anyTag:
                any.append(value)
            case Self.finalTag:
                final = value
            default:
                throw .unexpectedElement("\(what).substrings", found: element.identifier.ldapDescription, expected: "[0], [1] or [2]")
            }
        }
        guard count > 0 else { throw .invalidValue(what, "has no substrings (SIZE (1..MAX))") }
    }

    func encode(into serializer: inout DER.Serializer, _ identifier: ASN1Identifier) {
        serializer.writeConstructed(identifier) { serializer in
            serializer.writeString(type)
            serializer.writeConstructed(.sequence) { serializer in
                if let initial { serializer.writeOctets(initial, Self.initialTag) }
                for value in any { serializer.writeOctets(value, Self.anyTag) }
                if let final { serializer.writeOctets(final, Self.finalTag) }
            }
        }
    }
}

extension LDAPFilter.MatchingRuleAssertion {
    private static let ruleTag = ASN1Identifier.context(1)
    private static let typeTag = ASN1Identifier.context(2)
    private static let valueTag = ASN1Identifier.context(3)
    private static let dnTag = ASN1Identifier.context(4)

    init(node: ASN1Node, limits: LDAPLimits) throws(LDAPDecodingError) {
        let what = "Filter.extensibleMatch"
        var reader = try ComponentReader(node, what, limits: limits)
        matchingRule = try reader.readIfPresent(Self.ruleTag)?.utf8String("\(what).matchingRule")
        type = try reader.readIfPresent(Self.typeTag)?.utf8String("\(what).type")
        matchValue = try reader.read(Self.valueTag, "matchValue").octets("\(what).matchValue")
        dnAttributes = try reader.readIfPresent(Self.dnTag)?.boolean("\(what).dnAttributes") ?? false
        try reader.finish(recognizing: [Self.ruleTag, Self.typeTag, Self.valueTag, Self.dnTag])
        // RFC 4511 §4.5.1.7.7: "If the matchingRule field is absent, the type field MUST be present".
        guard matchingRule != nil || type != nil else {
            throw .invalidValue(what, "has neither matchingRule nor type")
        }
    }

    func encode(into serializer: inout DER.Serializer, _ identifier: ASN1Identifier) {
        serializer.writeConstructed(identifier) { serializer in
            if let matchingRule { serializer.writeString(matchingRule, Self.ruleTag) }
            if let type { serializer.writeString(type, Self.typeTag) }
            serializer.writeOctets(matchValue, Self.valueTag)
            if dnAttributes { serializer.writeBoolean(true, Self.dnTag) }
        }
    }
}
