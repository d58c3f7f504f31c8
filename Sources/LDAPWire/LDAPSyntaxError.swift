/// A DN (RFC 4514) or filter (RFC 4515) string that cannot be parsed.
///
/// A server answers a bad DN with invalidDNSyntax (34) (``resultCode``); a bad filter string comes from
/// configuration, where ``diagnostics`` names the offset.
public struct LDAPSyntaxError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case invalidDN, invalidFilter, filterTooDeep, tooManyFilterComponents
        }

        fileprivate var base: Base
        fileprivate init(_ base: Base) { self.base = base }

        /// Not a DN by RFC 4514.
        public static let invalidDN = Kind(.invalidDN)
        /// Not a filter by RFC 4515.
        public static let invalidFilter = Kind(.invalidFilter)
        /// A filter nested deeper than ``LDAPLimits/maximumFilterDepth``.
        public static let filterTooDeep = Kind(.filterTooDeep)
        /// A filter with more than ``LDAPLimits/maximumFilterComponents`` components.
        public static let tooManyFilterComponents = Kind(.tooManyFilterComponents)

        public var description: String { base.rawValue }
    }

    public var kind: Kind
    /// What was wrong and at which UTF-8 offset.
    public var diagnostics: String
    /// The UTF-8 offset in the parsed string where the problem was found.
    public var offset: Int

    init(_ kind: Kind, _ diagnostics: String, at offset: Int) {
        self.kind = kind
        self.diagnostics = diagnostics
        self.offset = offset
    }

    /// The result code a server answers with.
    public var resultCode: LDAPResultCode {
        switch kind.base {
        case .invalidDN: return .invalidDNSyntax
        case .invalidFilter, .filterTooDeep, .tooManyFilterComponents: return .protocolError
        }
    }

    public var description: String { "LDAPSyntaxError.\(kind): \(diagnostics) (at offset \(offset))" }

    @inline(never)
    static func dn(_ diagnostics: String, at offset: Int) -> Self { Self(.invalidDN, diagnostics, at: offset) }

    @inline(never)
    static func filter(_ diagnostics: String, at offset: Int) -> Self { Self(.invalidFilter, diagnostics, at: offset) }
}
