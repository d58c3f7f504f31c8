/// Attribute names, codes, data types and named values: the RFC attributes, Microsoft (311) and
/// Juniper (2636), from the FreeRADIUS project's dictionaries.
///
/// Names are matched without regard to case, as administrators type them in `authproxy.cfg`
/// (`pass_through_attr_names=Class,Filter-Id`, `match_attribute_1=NAS-Identifier=vpn`).
public struct RADIUSDictionary: Sendable {
    private let definitions: [RADIUSAttributeDefinition]
    private let indexByName: [String: Int]
    private let indexByCode: [UInt64: Int]
    /// Per lower-cased attribute name: value number -> name, and lower-cased value name -> number.
    private let valueNames: [String: [UInt32: String]]
    private let valueNumbers: [String: [String: UInt32]]

    /// The built-in dictionary.
    public static let standard = RADIUSDictionary(
        definitions: RADIUSDictionary.builtInAttributes, values: RADIUSDictionary.builtInValues)

    public init(
        definitions: [RADIUSAttributeDefinition],
        values: [(attribute: String, name: String, value: UInt32)]
    ) {
        self.definitions = definitions
        var byName: [String: Int] = [:]
        var byCode: [UInt64: Int] = [:]
        for (index, definition) in definitions.enumerated() {
            if byName[definition.name.lowercased()] == nil { byName[definition.name.lowercased()] = index }
            let key = Self.key(code: definition.code, vendor: definition.vendor)
            if byCode[key] == nil { byCode[key] = index }
        }
        indexByName = byName
        indexByCode = byCode
        var names: [String: [UInt32: String]] = [:]
        var numbers: [String: [String: UInt32]] = [:]
        for entry in values {
            let attribute = entry.attribute.lowercased()
            if names[attribute, default: [:]][entry.value] == nil { names[attribute, default: [:]][entry.value] = entry.name }
            numbers[attribute, default: [:]][entry.name.lowercased()] = entry.value
        }
        valueNames = names
        valueNumbers = numbers
    }

    private static func key(code: UInt8, vendor: UInt32) -> UInt64 { UInt64(vendor) << 8 | UInt64(code) }

    /// Every definition, in dictionary order.
    public var allDefinitions: [RADIUSAttributeDefinition] { definitions }

    /// The definition of a name (any case), e.g. `Filter-Id` or `Juniper-Local-User-Name`.
    public func definition(named name: String) -> RADIUSAttributeDefinition? {
        indexByName[name.lowercased()].map { definitions[$0] }
    }

    /// The definition of a code in a vendor's space (0: the standard attributes).
    public func definition(code: UInt8, vendor: UInt32 = 0) -> RADIUSAttributeDefinition? {
        indexByCode[Self.key(code: code, vendor: vendor)].map { definitions[$0] }
    }

    /// The name of an integer attribute's value (`Framed-User` for Service-Type 2).
    public func valueName(_ value: UInt32, of definition: RADIUSAttributeDefinition) -> String? {
        valueNames[definition.name.lowercased()]?[value]
    }

    /// The number of a named value (any case).
    public func value(named name: String, of definition: RADIUSAttributeDefinition) -> UInt32? {
        valueNumbers[definition.name.lowercased()]?[name.lowercased()]
    }
}
