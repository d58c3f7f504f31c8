import NIOCore

/// A RADIUS packet: code, identifier, authenticator and the attributes in wire order.
///
/// RFC 2865 §3. Order and repeats are preserved: RFC 2865 §5 "the order of attributes of the same
/// type MUST be preserved", and Proxy-State must be echoed in order (RFC 2865 §5.33).
public struct RADIUSPacket: Hashable, Sendable {
    public var code: RADIUSCode
    public var identifier: UInt8
    public var authenticator: RADIUSAuthenticator
    public var attributes: [RADIUSAttribute]

    public init(
        code: RADIUSCode,
        identifier: UInt8,
        authenticator: RADIUSAuthenticator,
        attributes: [RADIUSAttribute] = []
    ) {
        self.code = code
        self.identifier = identifier
        self.authenticator = authenticator
        self.attributes = attributes
    }

    /// RFC 2865 §3: "The minimum length is 20 and maximum length is 4096."
    public static let minimumLength = 20
    public static let maximumLength = 4096
    /// Code (1) + Identifier (1) + Length (2) + Authenticator (16).
    public static let headerLength = 20
}

// MARK: - Decoding

extension RADIUSPacket {
    /// Decodes a datagram strictly (RFC 2865 §3, §5; RFC 3579 §3.2).
    ///
    /// Refused: fewer than 20 octets; a Length field below 20, above 4096 or beyond the datagram;
    /// an attribute whose length is below 2 or runs past Length; attributes that do not exactly fill
    /// Length; a Message-Authenticator that is not 16 octets or appears twice. Octets after Length
    /// are padding and ignored (RFC 2865 §3: "Octets outside the range of the Length field MUST be
    /// treated as padding and ignored on reception").
    public init(decoding bytes: [UInt8]) throws(RADIUSWireError) {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(RADIUSWireError) in try Self.decode(raw) } }
        self = try result.get()
    }

    /// Decodes the readable bytes of a buffer; see `init(decoding:)`.
    public init(decoding buffer: ByteBuffer) throws(RADIUSWireError) {
        let result = buffer.withUnsafeReadableBytes { raw in Result { () throws(RADIUSWireError) in try Self.decode(raw) } }
        self = try result.get()
    }

    /// The packet's length from its header, after the checks of `init(decoding:)` on the header alone.
    /// Use it to trim padding before verifying authenticators over the raw bytes.
    public static func declaredLength(of bytes: [UInt8]) throws(RADIUSWireError) -> Int {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(RADIUSWireError) in try declaredLength(of: raw) } }
        return try result.get()
    }

    static func declaredLength(of raw: UnsafeRawBufferPointer) throws(RADIUSWireError) -> Int {
        guard raw.count >= headerLength else {
            throw RADIUSWireError(
                .truncatedHeader, "datagram of \(raw.count) octets is shorter than the 20-octet RADIUS header")
        }
        let length = Int(raw[2]) << 8 | Int(raw[3])
        guard length >= minimumLength else {
            throw RADIUSWireError(.lengthOutOfRange, "Length field \(length) is below the minimum of 20")
        }
        guard length <= maximumLength else {
            throw RADIUSWireError(.lengthOutOfRange, "Length field \(length) is above the maximum of 4096")
        }
        guard length <= raw.count else {
            throw RADIUSWireError(
                .lengthOutOfRange, "Length field \(length) is beyond the datagram of \(raw.count) octets")
        }
        return length
    }

    static func decode(_ raw: UnsafeRawBufferPointer) throws(RADIUSWireError) -> RADIUSPacket {
        let length = try declaredLength(of: raw)
        var attributes: [RADIUSAttribute] = []
        attributes.reserveCapacity(min(32, (length - headerLength) / 2))
        var offset = headerLength
        var sawMessageAuthenticator = false
        while offset < length {
            let type = raw[offset]
            guard offset + 1 < length else {
                throw RADIUSWireError(
                    .malformedAttribute, "attribute \(type) at offset \(offset): no length octet before the end at \(length)")
            }
            let attributeLength = Int(raw[offset + 1])
            guard attributeLength >= 2 else {
                throw RADIUSWireError(
                    .malformedAttribute, "attribute \(type) at offset \(offset): length \(attributeLength) is below 2")
            }
            guard offset + attributeLength <= length else {
                throw RADIUSWireError(
                    .malformedAttribute,
                    "attribute \(type) at offset \(offset): length \(attributeLength) runs past the packet's end at \(length)")
            }
            if type == RADIUSAttributeType.messageAuthenticator.rawValue {
                guard attributeLength == 18 else {
                    throw RADIUSWireError(
                        .invalidMessageAuthenticator,
                        "Message-Authenticator at offset \(offset) has \(attributeLength - 2) octets, not 16")
                }
                guard !sawMessageAuthenticator else {
                    throw RADIUSWireError(
                        .invalidMessageAuthenticator, "a second Message-Authenticator at offset \(offset)")
                }
                sawMessageAuthenticator = true
            }
            let value = Array(UnsafeRawBufferPointer(rebasing: raw[(offset + 2)..<(offset + attributeLength)]))
            attributes.append(RADIUSAttribute(RADIUSAttributeType(type), value))
            offset += attributeLength
        }
        return RADIUSPacket(
            code: RADIUSCode(rawValue: raw[0]),
            identifier: raw[1],
            authenticator: RADIUSAuthenticator(unchecked: raw, at: 4),
            attributes: attributes)
    }
}

// MARK: - Encoding

extension RADIUSPacket {
    /// The packet's bytes as they stand (no authenticator or Message-Authenticator is computed: see
    /// `encodeRequest` and `encodeResponse` for packets to send).
    public func encoded() throws(RADIUSWireError) -> [UInt8] {
        var length = Self.headerLength
        for (index, attribute) in attributes.enumerated() {
            guard attribute.value.count <= RADIUSAttribute.maximumValueLength else {
                throw RADIUSWireError(
                    .valueTooLong,
                    "attribute \(attribute.type.rawValue) (#\(index + 1)) has \(attribute.value.count) octets, above 253")
            }
            length += 2 + attribute.value.count
        }
        guard length <= Self.maximumLength else {
            throw RADIUSWireError(.packetTooLong, "the packet would have \(length) octets, above the maximum of 4096")
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity(length)
        bytes.append(code.rawValue)
        bytes.append(identifier)
        bytes.append(UInt8(length >> 8))
        bytes.append(UInt8(length & 0xff))
        authenticator.append(to: &bytes)
        for attribute in attributes {
            bytes.append(attribute.type.rawValue)
            bytes.append(UInt8(2 + attribute.value.count))
            bytes.append(contentsOf: attribute.value)
        }
        return bytes
    }

    /// Writes `encoded()` into a buffer.
    public func encode(into buffer: inout ByteBuffer) throws(RADIUSWireError) {
        buffer.writeBytes(try encoded())
    }
}
