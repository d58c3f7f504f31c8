import NIOCore

/// The bytes a connection received and has not framed yet, with the frame decoder that cuts them:
/// what every LDAP handler (client or server) keeps between reads.
///
/// It never holds more than one PDU under ``LDAPFrameDecoder/limits`` plus one read, because the
/// decoder refuses an oversized PDU from its header; consumed bytes are dropped once they pile up.
public struct LDAPInboundBuffer: Sendable {
    public var decoder: LDAPFrameDecoder
    private var buffer: ByteBuffer?
    /// Consumed bytes are discarded once the reader index passes this.
    private let compactionThreshold: Int

    public init(limits: LDAPLimits, compactionThreshold: Int = 64 * 1024) {
        self.decoder = LDAPFrameDecoder(limits: limits)
        self.compactionThreshold = compactionThreshold
    }

    /// Bytes received and not framed yet.
    public var readableBytes: Int { buffer?.readableBytes ?? 0 }

    /// Adds a read (the first one is kept as is, without a copy).
    public mutating func append(_ incoming: ByteBuffer) {
        var incoming = incoming
        if buffer == nil {
            buffer = incoming
        } else {
            buffer!.writeBuffer(&incoming)
        }
    }

    /// The next complete PDU, or nil when more bytes are needed. A thrown error means the stream
    /// cannot be framed any more (``LDAPDecodingError/disposition`` says how to answer).
    public mutating func nextFrame() throws(LDAPDecodingError) -> ByteBuffer? {
        guard var current = buffer else { return nil }
        buffer = nil  // keep the buffer uniquely referenced while it is read
        let frame = try decoder.next(from: &current)
        if current.readableBytes == 0 {
            buffer = nil
        } else {
            if current.readerIndex > compactionThreshold { current.discardReadBytes() }
            buffer = current
        }
        return frame
    }

    /// Forgets everything buffered (the connection is closing).
    public mutating func removeAll() {
        buffer = nil
    }
}
