import NIOCore

/// Cuts a TCP byte stream into LDAPMessage PDUs.
///
/// The outer tag and the length field are checked before anything is buffered: a PDU that is not a
/// SEQUENCE, uses the indefinite form, has more than 4 length octets, or claims more than
/// ``LDAPLimits/maximumPDUSize`` throws at once, whatever its length field claims (RFC 4511 §5.1:
/// "Only the definite form of length encoding is used").
public struct LDAPFrameDecoder: Sendable, Hashable {
    /// The limits in force; a front raises `maximumPDUSize` after a successful bind.
    public var limits: LDAPLimits

    public init(limits: LDAPLimits = .default) {
        self.limits = limits
    }

    /// The next complete PDU, or nil when more bytes are needed (the reader index is left where it
    /// was). A thrown ``LDAPDecodingError`` means the stream is unusable: close the connection.
    ///
    /// The returned buffer is a slice of `buffer` (no copy) holding exactly one LDAPMessage TLV.
    public mutating func next(from buffer: inout ByteBuffer) throws(LDAPDecodingError) -> ByteBuffer? {
        guard let header = try Self.header(of: buffer, maximumPDUSize: limits.maximumPDUSize) else {
            return nil
        }
        guard buffer.readableBytes >= header.total else { return nil }
        return buffer.readSlice(length: header.total)
    }

    /// How many bytes the PDU at the reader index occupies in all, once its header is complete.
    static func header(
        of buffer: ByteBuffer,
        maximumPDUSize: Int
    ) throws(LDAPDecodingError) -> (headerLength: Int, total: Int)? {
        let start = buffer.readerIndex
        guard let tag = buffer.getInteger(at: start, as: UInt8.self) else { return nil }
        guard tag == 0x30 else { throw LDAPDecodingError.wrongOuterTag(tag).inFraming }
        guard let first = buffer.getInteger(at: start + 1, as: UInt8.self) else { return nil }
        let headerLength: Int
        let contentLength: UInt64
        if first < 0x80 {
            headerLength = 2
            contentLength = UInt64(first)
        } else if first == 0x80 {
            throw LDAPDecodingError.indefiniteLength(at: 1).inFraming
        } else {
            let octets = Int(first & 0x7f)
            guard octets <= 4 else { throw LDAPDecodingError.lengthFieldTooLong(octets: octets, at: 1).inFraming }
            guard buffer.readableBytes >= 2 + octets else { return nil }
            var length: UInt64 = 0
            for index in 0..<octets {
                guard let octet = buffer.getInteger(at: start + 2 + index, as: UInt8.self) else { return nil }
                length = length << 8 | UInt64(octet)
            }
            headerLength = 2 + octets
            contentLength = length
        }
        let total = UInt64(headerLength) + contentLength
        guard total <= UInt64(max(0, maximumPDUSize)) else {
            throw LDAPDecodingError.pduTooLarge(claimed: total, maximum: maximumPDUSize).inFraming
        }
        return (headerLength, Int(total))
    }
}

extension LDAPFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try next(from: &buffer) else { return .needMoreData }
        context.fireChannelRead(Self.wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}
