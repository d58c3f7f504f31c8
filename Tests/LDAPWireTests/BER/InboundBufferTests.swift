import NIOCore
import Testing

@testable import LDAPWire

@Suite("LDAP inbound buffer")
struct InboundBufferTests {
    @Test func framesArriveWhateverTheReadsAndNothingIsLeftOver() throws {
        let stream = bytes(Captured.whoamiBind + Captured.whoamiRequest + Captured.unbind3)
        for split in [1, 2, 7, 64, stream.count] {
            var inbound = LDAPInboundBuffer(limits: .default, compactionThreshold: 8)
            var frames: [[UInt8]] = []
            var offset = 0
            while offset < stream.count {
                inbound.append(ByteBuffer(bytes: stream[offset..<min(stream.count, offset + split)]))
                offset += split
                while let frame = try inbound.nextFrame() { frames.append(Array(frame.readableBytesView)) }
            }
            #expect(frames.flatMap { $0 } == stream, "reads of \(split) bytes")
            #expect(frames.count == 3)
            #expect(inbound.readableBytes == 0)
        }
    }

    @Test func anOversizedHeaderThrowsBeforeTheBodyArrives() {
        var inbound = LDAPInboundBuffer(limits: LDAPLimits(maximumPDUSize: 100))
        inbound.append(ByteBuffer(bytes: [0x30, 0x82, 0x10, 0x00]))
        #expect(throws: LDAPDecodingError.self) { _ = try inbound.nextFrame() }
    }
}
