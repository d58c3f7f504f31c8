import Policy
import RADIUSWire

/// The `match_*` keys of a server section: conditions on a request, all of which must hold for
/// the section to take it (DESIGN.md, multi-realm routing), and `strip_realm`.
///
/// Realm prefixes and suffixes are domain names, which are case-insensitive: they are compared
/// with Unicode lower case (as ``LoginIdentity/normalized`` compares names), one character
/// (grapheme) at a time from the matching end, so a match never cuts a character in two.
public struct RealmRules: Sendable, Hashable {
    /// `match_username_suffix`, e.g. `@contractors.example.com`: the name must end with it.
    public var usernameSuffix: String?
    /// `match_username_prefix`, e.g. `CONTRACTORS\`: the name must begin with it.
    public var usernamePrefix: String?
    /// `match_nas_identifier`: the request's NAS-Identifier, exactly (octet for octet).
    public var nasIdentifier: String?
    /// `match_attribute_N`, in number order.
    public var attributes: [AttributeRule]
    /// `strip_realm`: the matched prefix and suffix are removed from the names the primary and
    /// Duo are asked about (logs and limits keep the name as sent).
    public var stripRealm: Bool

    public init(
        usernameSuffix: String? = nil, usernamePrefix: String? = nil, nasIdentifier: String? = nil, attributes: [AttributeRule] = [],
        stripRealm: Bool = false
    ) {
        self.usernameSuffix = usernameSuffix
        self.usernamePrefix = usernamePrefix
        self.nasIdentifier = nasIdentifier
        self.attributes = attributes
        self.stripRealm = stripRealm
    }

    /// How many conditions there are: among sections of equally specific client networks, the one
    /// with more wins.
    public var count: Int {
        (usernameSuffix == nil ? 0 : 1) + (usernamePrefix == nil ? 0 : 1) + (nasIdentifier == nil ? 0 : 1) + attributes.count
    }

    /// True when both sets of conditions are the same (`strip_realm` is no condition).
    public func sameConditions(as other: RealmRules) -> Bool {
        var mine = self
        mine.stripRealm = other.stripRealm
        return mine == other
    }

    /// True when these conditions hold for every request `other`'s hold for: each of them is one
    /// of `other`'s or follows from one (a suffix that ends `other`'s suffix, a prefix that begins
    /// its prefix; compared as ``match(_:_:)`` compares names).
    public func holds(whenever other: RealmRules) -> Bool {
        if let suffix = usernameSuffix {
            guard let theirs = other.usernameSuffix, theirs.lowercased().hasSuffix(suffix.lowercased()) else { return false }
        }
        if let prefix = usernamePrefix {
            guard let theirs = other.usernamePrefix, theirs.lowercased().hasPrefix(prefix.lowercased()) else { return false }
        }
        if let nasIdentifier, other.nasIdentifier != nasIdentifier { return false }
        return attributes.allSatisfy(other.attributes.contains)
    }

    /// The identity the section works with when every condition holds, nil otherwise.
    public func match(_ identity: LoginIdentity, _ packet: RADIUSPacket) -> LoginIdentity? {
        var remainder = Substring(identity.raw)
        if let prefix = usernamePrefix {
            guard let rest = Self.removing(prefix: prefix, from: remainder) else { return nil }
            remainder = rest
        }
        if let suffix = usernameSuffix {
            guard let rest = Self.removing(suffix: suffix, from: remainder) else { return nil }
            remainder = rest
        }
        if let nasIdentifier {
            guard packet.all(.nasIdentifier).contains(where: { $0.value == Array(nasIdentifier.utf8) }) else { return nil }
        }
        for rule in attributes where !rule.matches(packet) { return nil }
        guard stripRealm, usernamePrefix != nil || usernameSuffix != nil else { return identity }
        return identity.strippingRealm(leaving: String(remainder))
    }

    /// `name` without `prefix` when it begins with it (case-insensitively) and something is left.
    static func removing(prefix: String, from name: Substring) -> Substring? {
        let length = prefix.count
        guard name.count > length, name.prefix(length).lowercased() == prefix.lowercased() else { return nil }
        return name.dropFirst(length)
    }

    /// `name` without `suffix` when it ends with it (case-insensitively) and something is left.
    static func removing(suffix: String, from name: Substring) -> Substring? {
        let length = suffix.count
        guard name.count > length, name.suffix(length).lowercased() == suffix.lowercased() else { return nil }
        return name.dropLast(length)
    }
}

/// One `match_attribute_N=Attribute-Name=value`: some instance of the attribute in the request
/// has the value (as the dictionary writes it: `Virtual`, `10.0.0.1`, `0x...`), or, with `~`,
/// its text matches the regular expression as a whole.
public struct AttributeRule: Sendable, Hashable {
    public enum Value: Sendable {
        /// The wire value, parsed from the configured text when the configuration is read.
        case exact([UInt8])
        /// The whole text of the value must match this regular expression (Swift Regex syntax),
        /// checked when the configuration is read. `Regex` is not `Sendable`, so each match
        /// compiles it again: a few microseconds, next to a directory bind and a Duo call.
        case pattern(String)
    }

    public let definition: RADIUSAttributeDefinition
    public let value: Value
    /// The value as configured: what makes two rules the same.
    public let source: String

    /// Reads `Attribute-Name=value` or `Attribute-Name=~pattern`.
    public init(parsing text: String, dictionary: RADIUSDictionary = .standard) throws(RealmRuleError) {
        guard let equals = text.firstIndex(of: "=") else {
            throw RealmRuleError("'\(text)' is not Attribute-Name=value (for example Called-Station-Id=vpn-contractors)")
        }
        let name = text[..<equals].trimmingWhitespace()
        let valueText = String(text[text.index(after: equals)...])
        guard let definition = dictionary.definition(named: name) else {
            throw RealmRuleError("'\(name)' is not an attribute of the dictionary (for example NAS-Identifier, Called-Station-Id, Filter-Id)")
        }
        guard definition.encryption == .none else {
            throw RealmRuleError("\(definition.name) is encrypted on the wire; routing cannot read it")
        }
        self.definition = definition
        self.source = "\(definition.name)=\(valueText)"
        if valueText.hasPrefix("~") {
            do {
                let pattern = String(valueText.dropFirst())
                _ = try Regex(pattern)
                self.value = .pattern(pattern)
            } catch {
                throw RealmRuleError("'\(valueText.dropFirst())' is not a regular expression: \(error)")
            }
        } else {
            do {
                self.value = .exact(try dictionary.parse(valueText, as: definition))
            } catch {
                throw RealmRuleError("\(error)")
            }
        }
    }

    public static func == (lhs: AttributeRule, rhs: AttributeRule) -> Bool { lhs.source == rhs.source }
    public func hash(into hasher: inout Hasher) { hasher.combine(source) }

    /// True when some instance of the attribute in the packet has the value.
    public func matches(_ packet: RADIUSPacket, dictionary: RADIUSDictionary = .standard) -> Bool {
        values(in: packet).contains { candidate in
            switch value {
            case .exact(let bytes):
                return candidate == bytes
            case .pattern(let pattern):
                guard let text = Self.text(candidate, as: definition, dictionary: dictionary), let regex = try? Regex(pattern) else { return false }
                return (try? regex.wholeMatch(in: text)) != nil
            }
        }
    }

    private func values(in packet: RADIUSPacket) -> [[UInt8]] {
        guard definition.vendor != 0 else { return packet.all(RADIUSAttributeType(definition.code)).map(\.value) }
        return packet.all(.vendorSpecific).flatMap { attribute -> [[UInt8]] in
            guard let vsa = try? RADIUSVendorSpecific(decoding: attribute.value), vsa.vendorID == definition.vendor else { return [] }
            return vsa.attributes.filter { $0.type == definition.code }.map(\.value)
        }
    }

    /// The text a pattern is matched against: a text attribute's characters (nothing for invalid
    /// UTF-8), other types as the dictionary writes them (`Virtual`, `10.0.0.1`, `0x6f7073`).
    static func text(_ value: [UInt8], as definition: RADIUSAttributeDefinition, dictionary: RADIUSDictionary) -> String? {
        if definition.type == .text { return String(validating: value, as: UTF8.self) }
        let presented = dictionary.present(value, as: definition)
        guard presented.name == definition.name else { return nil }
        return presented.value.hasPrefix("::") ? String(presented.value.dropFirst(2)) : presented.value
    }
}

/// A configuration value routing cannot use; the configuration reader adds file, line and key.
public struct RealmRuleError: Error, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

extension StringProtocol {
    fileprivate func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
