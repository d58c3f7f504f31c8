/// The 16-octet Authenticator field of a RADIUS packet (RFC 2865 §3).
///
/// In an Access-Request it is the random Request Authenticator: "unpredictable and unique over the
/// lifetime of a secret". In a reply it is the Response Authenticator computed by
/// `RADIUSPacket.encodeResponse`.
public struct RADIUSAuthenticator: Hashable, Sendable, CustomStringConvertible {
    // Two words rather than an array: no allocation per packet.
    private var high: UInt64
    private var low: UInt64

    public static let byteCount = 16
    public static let zero = RADIUSAuthenticator(high: 0, low: 0)

    private init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    public init(_ bytes: some Collection<UInt8>) throws(RADIUSWireError) {
        guard bytes.count == Self.byteCount else {
            throw RADIUSWireError(.invalidAuthenticator, "authenticator has \(bytes.count) octets, not 16")
        }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        self.init(high: high, low: low)
    }

    /// Reads 16 octets at `offset` of raw bytes the caller has checked to be long enough.
    init(unchecked raw: UnsafeRawBufferPointer, at offset: Int) {
        self.init(
            high: UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)),
            low: UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)))
    }

    /// A Request Authenticator from the system's cryptographically secure generator.
    public static func random() -> RADIUSAuthenticator {
        var generator = SystemRandomNumberGenerator()
        return RADIUSAuthenticator(high: generator.next(), low: generator.next())
    }

    public var bytes: [UInt8] {
        var result = [UInt8]()
        result.reserveCapacity(16)
        append(to: &result)
        return result
    }

    func append(to bytes: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: high >> UInt64(shift))) }
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: low >> UInt64(shift))) }
    }

    public var description: String { "0x" + hexString(bytes) }
}

/// Lower-case hexadecimal of bytes, for diagnostics and presentation.
func hexString(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var result = [UInt8]()
    for byte in bytes {
        result.append(digits[Int(byte >> 4)])
        result.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: result, as: UTF8.self)
}
