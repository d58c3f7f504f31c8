extension RADIUSPacket {
    /// The first attribute of a type.
    public subscript(_ type: RADIUSAttributeType) -> RADIUSAttribute? {
        attributes.first { $0.type == type }
    }

    /// Every attribute of a type, in order.
    public func all(_ type: RADIUSAttributeType) -> [RADIUSAttribute] {
        attributes.filter { $0.type == type }
    }

    /// How many attributes of a type the packet carries.
    public func count(of type: RADIUSAttributeType) -> Int {
        attributes.reduce(0) { $0 + ($1.type == type ? 1 : 0) }
    }

    /// The User-Name as text, checked: UTF-8, 1...253 octets, no NUL, CR or LF (those would let a
    /// name forge log lines or truncate lookups). Nil when absent; throws when present but unfit.
    public func userName() throws(RADIUSWireError) -> String? {
        guard let attribute = self[.userName] else { return nil }
        return try Self.checkedText(attribute.value, name: "User-Name")
    }

    /// Text that is UTF-8, non-empty, and free of NUL, CR and LF.
    public static func checkedText(_ value: [UInt8], name: String) throws(RADIUSWireError) -> String {
        guard !value.isEmpty else { throw RADIUSWireError(.invalidText, "\(name) is empty") }
        if let index = value.firstIndex(where: { $0 == 0 || $0 == 0x0a || $0 == 0x0d }) {
            throw RADIUSWireError(.invalidText, "\(name) contains a NUL, CR or LF octet at position \(index)")
        }
        guard let text = String(validating: value, as: UTF8.self) else {
            throw RADIUSWireError(.invalidText, "\(name) is not valid UTF-8")
        }
        return text
    }

    /// The Proxy-State values in order (RFC 2865 §5.33).
    public var proxyStates: [[UInt8]] {
        all(.proxyState).map(\.value)
    }

    /// Every Vendor-Specific attribute that follows RFC 2865 §5.26's suggested format, decoded.
    /// Others are skipped here and stay opaque in `attributes`.
    public var vendorSpecific: [RADIUSVendorSpecific] {
        all(.vendorSpecific).compactMap { try? RADIUSVendorSpecific(decoding: $0.value) }
    }

    /// The sub-attributes of one vendor, in order, across all its Vendor-Specific attributes.
    public func vendorAttributes(_ vendor: UInt32) -> [RADIUSVendorSpecific.Attribute] {
        vendorSpecific.filter { $0.vendorID == vendor }.flatMap(\.attributes)
    }
}
