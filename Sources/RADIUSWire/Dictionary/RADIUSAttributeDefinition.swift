/// How an attribute's value is to be read (RFC 2865 §5, RFC 8044 data types).
public enum RADIUSDataType: Hashable, Sendable {
    /// UTF-8 text (FreeRADIUS "string").
    case text
    case octets
    /// 32-bit unsigned, network order; may have named values.
    case integer
    /// Seconds since 1970-01-01 UTC, 32-bit.
    case date
    case ipv4Address
    case ipv6Address
    /// RFC 3162 §2.3: reserved octet, prefix length, up to 16 prefix octets.
    case ipv6Prefix
    /// RFC 6572 §3.4: reserved octet, prefix length, 4 prefix octets.
    case ipv4Prefix
    /// RFC 3162 §2.2: 8 octets.
    case interfaceID
    case integer64
    case short
    case byte
    /// Vendor-Specific (26): a container of vendor sub-attributes.
    case vendorSpecific
}

/// One dictionary entry: name, vendor (0 for the standard space), code and data type.
public struct RADIUSAttributeDefinition: Hashable, Sendable {
    /// How the value is hidden on the wire.
    public enum Encryption: Hashable, Sendable {
        case none
        /// RFC 2865 §5.2 (User-Password).
        case userPassword
        /// RFC 2868 §3.5 (Tunnel-Password, MS-MPPE keys).
        case tunnelPassword
        case ascendSecret
    }

    public var name: String
    public var vendor: UInt32
    public var code: UInt8
    public var type: RADIUSDataType
    public var encryption: Encryption
    /// RFC 2868 §3: the value may start with a tag octet.
    public var tagged: Bool

    public init(
        name: String, vendor: UInt32, code: UInt8, type: RADIUSDataType,
        encryption: Encryption = .none, tagged: Bool = false
    ) {
        self.name = name
        self.vendor = vendor
        self.code = code
        self.type = type
        self.encryption = encryption
        self.tagged = tagged
    }
}
