extension RADIUSDictionary {
    /// Builds an attribute from a name and a textual value, as configuration files give them
    /// (`Filter-Id=std.ppp`, `Service-Type=Framed-User`, `Juniper-Local-User-Name=ops`,
    /// `Class=0x6f7073`, `Framed-IP-Address=10.0.0.1`).
    ///
    /// Vendor attributes become a Vendor-Specific attribute with one sub-attribute.
    public func attribute(named name: String, value text: String) throws(RADIUSWireError) -> RADIUSAttribute {
        guard let definition = definition(named: name) else {
            throw RADIUSWireError(.unknownAttribute, "unknown RADIUS attribute name '\(name)'")
        }
        let value = try parse(text, as: definition)
        guard definition.vendor != 0 else { return RADIUSAttribute(RADIUSAttributeType(definition.code), value) }
        return try RADIUSVendorSpecific(
            vendorID: definition.vendor, attributes: [.init(type: definition.code, value: value)]
        ).attribute()
    }

    /// The wire value of a textual value for an attribute.
    public func parse(_ text: String, as definition: RADIUSAttributeDefinition) throws(RADIUSWireError) -> [UInt8] {
        func invalid(_ expected: String) -> RADIUSWireError {
            RADIUSWireError(.invalidValue, "'\(text)' is not a valid value for \(definition.name): expected \(expected)")
        }
        switch definition.type {
        case .text:
            let bytes = Array(text.utf8)
            guard bytes.count <= RADIUSAttribute.maximumValueLength else { throw invalid("at most 253 octets of text") }
            return bytes
        case .octets, .vendorSpecific:
            guard let bytes = Self.hexBytes(text), bytes.count <= RADIUSAttribute.maximumValueLength else {
                // Plain text is accepted for octets too, as FreeRADIUS does.
                let bytes = Array(text.utf8)
                guard bytes.count <= RADIUSAttribute.maximumValueLength else { throw invalid("at most 253 octets") }
                return bytes
            }
            return bytes
        case .integer, .date:
            let number: UInt32
            if let named = value(named: text, of: definition) {
                number = named
            } else if let parsed = UInt32(text) {
                number = parsed
            } else {
                throw invalid("a number from 0 to 4294967295 or a value name")
            }
            return [UInt8(truncatingIfNeeded: number >> 24), UInt8(truncatingIfNeeded: number >> 16),
                    UInt8(truncatingIfNeeded: number >> 8), UInt8(truncatingIfNeeded: number)]
        case .integer64:
            guard let number = UInt64(text) else { throw invalid("a 64-bit unsigned number") }
            return stride(from: 56, through: 0, by: -8).map { UInt8(truncatingIfNeeded: number >> UInt64($0)) }
        case .short:
            guard let number = UInt16(text) else { throw invalid("a number from 0 to 65535") }
            return [UInt8(number >> 8), UInt8(number & 0xff)]
        case .byte:
            guard let number = UInt8(text) else { throw invalid("a number from 0 to 255") }
            return [number]
        case .ipv4Address:
            guard let bytes = Self.ipv4Bytes(text) else { throw invalid("an IPv4 address such as 192.0.2.1") }
            return bytes
        case .ipv6Address, .ipv6Prefix, .ipv4Prefix, .interfaceID:
            if let bytes = Self.hexBytes(text) { return bytes }
            throw invalid("its value as 0x followed by hexadecimal octets")
        }
    }

    /// `0x` followed by an even number of hex digits.
    static func hexBytes(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 2, utf8[0] == UInt8(ascii: "0"), utf8[1] | 0x20 == UInt8(ascii: "x"),
              utf8.count % 2 == 0 else { return nil }
        var bytes = [UInt8]()
        var index = 2
        while index < utf8.count {
            guard let high = hexDigit(utf8[index]), let low = hexDigit(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func hexDigit(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Dotted-quad IPv4 without leading zeros beyond one digit ambiguity: four numbers 0...255.
    static func ipv4Bytes(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes = [UInt8]()
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy(\.isASCII), let number = UInt8(part) else { return nil }
            bytes.append(number)
        }
        return bytes
    }
}
