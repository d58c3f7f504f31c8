/// An attribute as a name and a printable value, for logs and debugging.
public struct RADIUSAttributePresentation: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var value: String
    public var description: String { "\(name) = \(value)" }
}

extension RADIUSDictionary {
    /// Presents an attribute the way FreeRADIUS prints it (`NAS-Port-Type = ::Ethernet`,
    /// `User-Name = "bob"`, `State = 0x...`). A Vendor-Specific attribute in the suggested format
    /// gives one entry per sub-attribute. A value that does not fit its data type is shown as
    /// `raw.NAME = 0x...`; an unknown attribute as `Attr-N = 0x...`.
    ///
    /// The text is for people: a User-Password or other secret must not be passed here for a log.
    public func present(_ attribute: RADIUSAttribute) -> [RADIUSAttributePresentation] {
        if attribute.type == .vendorSpecific, let vsa = try? RADIUSVendorSpecific(decoding: attribute.value) {
            return vsa.attributes.map { sub in
                guard let definition = definition(code: sub.type, vendor: vsa.vendorID) else {
                    return RADIUSAttributePresentation(
                        name: "Attr-26.\(vsa.vendorID).\(sub.type)", value: "0x" + hexString(sub.value))
                }
                return present(sub.value, as: definition)
            }
        }
        guard let definition = definition(code: attribute.type.rawValue, vendor: 0) else {
            return [RADIUSAttributePresentation(name: "Attr-\(attribute.type.rawValue)", value: "0x" + hexString(attribute.value))]
        }
        return [present(attribute.value, as: definition)]
    }

    /// Presents a value as the given attribute.
    public func present(_ value: [UInt8], as definition: RADIUSAttributeDefinition) -> RADIUSAttributePresentation {
        if let text = presentValue(value, as: definition) {
            return RADIUSAttributePresentation(name: definition.name, value: text)
        }
        return RADIUSAttributePresentation(name: "raw." + definition.name, value: "0x" + hexString(value))
    }

    private func presentValue(_ value: [UInt8], as definition: RADIUSAttributeDefinition) -> String? {
        switch definition.type {
        case .text:
            return quote(value)
        case .octets, .vendorSpecific:
            return "0x" + hexString(value)
        case .integer:
            guard value.count == 4 else { return nil }
            let number = value.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            if let name = valueName(number, of: definition) { return "::" + name }
            return String(number)
        case .date:
            guard value.count == 4 else { return nil }
            return String(value.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        case .integer64:
            guard value.count == 8 else { return nil }
            return String(value.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        case .short:
            guard value.count == 2 else { return nil }
            return String(UInt16(value[0]) << 8 | UInt16(value[1]))
        case .byte:
            guard value.count == 1 else { return nil }
            return String(value[0])
        case .ipv4Address:
            guard value.count == 4 else { return nil }
            return IPAddressText.ipv4(value)
        case .ipv6Address:
            guard value.count == 16 else { return nil }
            return IPAddressText.ipv6(value)
        case .interfaceID:
            guard value.count == 8 else { return nil }
            return stride(from: 0, to: 8, by: 2).map { hexString(value[$0..<($0 + 2)]) }.joined(separator: ":")
        case .ipv6Prefix:
            // RFC 3162 §2.3: Reserved, Prefix-Length (0...128), Prefix (up to 16 octets).
            guard value.count >= 2, value.count <= 18, value[1] <= 128 else { return nil }
            var address = Array(value[2...])
            address.append(contentsOf: [UInt8](repeating: 0, count: 16 - address.count))
            return IPAddressText.ipv6(address) + "/" + String(value[1])
        case .ipv4Prefix:
            // RFC 6572 §3.4: Reserved, Prefix-Length (0...32), Prefix (4 octets).
            guard value.count == 6, value[1] <= 32 else { return nil }
            return IPAddressText.ipv4(Array(value[2...])) + "/" + String(value[1])
        }
    }

    /// FreeRADIUS's double-quoted form: `"` `\` `%` escaped, \n \r \t, other control octets and
    /// octets that are not part of valid UTF-8 as three-digit octal; valid UTF-8 kept as it is.
    private func quote(_ value: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(value.count + 2)
        out.append(UInt8(ascii: "\""))
        var index = 0
        while index < value.count {
            let byte = value[index]
            if byte >= 0x80, let length = IPAddressText.utf8SequenceLength(value, at: index) {
                out.append(contentsOf: value[index..<(index + length)])
                index += length
                continue
            }
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "%"):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case 0x0a: out.append(contentsOf: Array("\\n".utf8))
            case 0x0d: out.append(contentsOf: Array("\\r".utf8))
            case 0x09: out.append(contentsOf: Array("\\t".utf8))
            case 0x20..<0x7f: out.append(byte)
            default:
                out.append(UInt8(ascii: "\\"))
                out.append(UInt8(ascii: "0") + (byte >> 6))
                out.append(UInt8(ascii: "0") + ((byte >> 3) & 7))
                out.append(UInt8(ascii: "0") + (byte & 7))
            }
            index += 1
        }
        out.append(UInt8(ascii: "\""))
        return String(decoding: out, as: UTF8.self)
    }
}

/// Text forms of IP addresses without Foundation (RFC 5952 for IPv6).
enum IPAddressText {
    static func ipv4(_ bytes: [UInt8]) -> String {
        bytes.map(String.init).joined(separator: ".")
    }

    /// RFC 5952 §4: lower case, leading zeros dropped, the longest run (two or more) of zero
    /// groups replaced by `::`, the first such run on a tie.
    static func ipv6(_ bytes: [UInt8]) -> String {
        let groups = stride(from: 0, to: 16, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
        var bestStart = -1
        var bestLength = 1
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else { index += 1; continue }
            var end = index
            while end < 8 && groups[end] == 0 { end += 1 }
            if end - index > bestLength {
                bestStart = index
                bestLength = end - index
            }
            index = end
        }
        func hex(_ range: Range<Int>) -> String {
            groups[range].map { String($0, radix: 16) }.joined(separator: ":")
        }
        guard bestStart >= 0 else { return hex(0..<8) }
        return hex(0..<bestStart) + "::" + hex((bestStart + bestLength)..<8)
    }

    /// The length of the valid UTF-8 multi-octet sequence starting at `index`, if there is one.
    static func utf8SequenceLength(_ bytes: [UInt8], at index: Int) -> Int? {
        let lead = bytes[index]
        let length: Int
        switch lead {
        case 0xc2...0xdf: length = 2
        case 0xe0...0xef: length = 3
        case 0xf0...0xf4: length = 4
        default: return nil
        }
        guard index + length <= bytes.count else { return nil }
        let sequence = Array(bytes[index..<(index + length)])
        return String(validating: sequence, as: UTF8.self) == nil ? nil : length
    }
}
