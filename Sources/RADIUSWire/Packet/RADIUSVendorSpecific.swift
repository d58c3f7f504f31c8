/// A Vendor-Specific attribute's value in the format RFC 2865 §5.26 suggests: a 4-octet
/// Vendor-Id, then sub-attributes of "Vendor type (1 octet), Vendor length (1 octet, including
/// type and length), value".
public struct RADIUSVendorSpecific: Hashable, Sendable {
    public struct Attribute: Hashable, Sendable {
        public var type: UInt8
        public var value: [UInt8]
        public init(type: UInt8, value: [UInt8]) {
            self.type = type
            self.value = value
        }
    }

    /// Microsoft (RFC 2548).
    public static let microsoft: UInt32 = 311
    /// Juniper Networks.
    public static let juniper: UInt32 = 2636

    public var vendorID: UInt32
    public var attributes: [Attribute]

    public init(vendorID: UInt32, attributes: [Attribute]) {
        self.vendorID = vendorID
        self.attributes = attributes
    }

    /// Decodes a Vendor-Specific value; throws when it does not follow the suggested format (the
    /// attribute then stays opaque).
    public init(decoding value: [UInt8]) throws(RADIUSWireError) {
        guard value.count >= 4 else {
            throw RADIUSWireError(.invalidVendorSpecific, "Vendor-Specific value of \(value.count) octets has no Vendor-Id")
        }
        vendorID = UInt32(value[0]) << 24 | UInt32(value[1]) << 16 | UInt32(value[2]) << 8 | UInt32(value[3])
        attributes = []
        var offset = 4
        while offset < value.count {
            guard offset + 1 < value.count, value[offset + 1] >= 2, offset + Int(value[offset + 1]) <= value.count else {
                throw RADIUSWireError(
                    .invalidVendorSpecific,
                    "Vendor-Specific of vendor \(vendorID): sub-attribute at offset \(offset) has no valid length")
            }
            let length = Int(value[offset + 1])
            attributes.append(Attribute(type: value[offset], value: Array(value[(offset + 2)..<(offset + length)])))
            offset += length
        }
    }

    /// The attribute value: Vendor-Id then the sub-attributes.
    public func encodedValue() throws(RADIUSWireError) -> [UInt8] {
        var bytes: [UInt8] = [
            UInt8(truncatingIfNeeded: vendorID >> 24), UInt8(truncatingIfNeeded: vendorID >> 16),
            UInt8(truncatingIfNeeded: vendorID >> 8), UInt8(truncatingIfNeeded: vendorID),
        ]
        for attribute in attributes {
            guard attribute.value.count <= 253 - 4 - 2 else {
                throw RADIUSWireError(
                    .valueTooLong,
                    "vendor \(vendorID) attribute \(attribute.type) has \(attribute.value.count) octets, above 247")
            }
            bytes.append(attribute.type)
            bytes.append(UInt8(attribute.value.count + 2))
            bytes.append(contentsOf: attribute.value)
        }
        guard bytes.count <= RADIUSAttribute.maximumValueLength else {
            throw RADIUSWireError(
                .valueTooLong, "Vendor-Specific of vendor \(vendorID) would have \(bytes.count) octets, above 253")
        }
        return bytes
    }

    /// As a packet attribute.
    public func attribute() throws(RADIUSWireError) -> RADIUSAttribute {
        RADIUSAttribute(.vendorSpecific, try encodedValue())
    }
}
