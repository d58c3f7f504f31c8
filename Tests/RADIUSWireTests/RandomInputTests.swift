import RADIUSWire
import TestSupport
import Testing

/// Random and mutated datagrams: the decoder returns a packet or a typed error, never crashes, and
/// what it accepts re-encodes to the same bytes (padding aside).
@Suite struct RandomInputTests {
    static let seeds: [[UInt8]] = [
        RFC2865ExampleTests.telnetRequest, RFC2865ExampleTests.telnetAccept,
        RFC2865ExampleTests.chapRequest, RFC2865ExampleTests.challenge,
    ]

    /// Async, yielding now and then: a long CPU-bound loop must not hold one of the few threads of
    /// the cooperative pool that the rest of the suite's tests (and their timeouts) run on.
    @Test func mutatedAndRandomDatagramsNeverCrashTheDecoder() async throws {
        var random = SeededGenerator(seed: 0x7477_6f66_6f6c_64)
        var accepted = 0
        let iterations = 150_000
        for iteration in 0..<iterations {
            if iteration % 1_000 == 0 { await Task.yield() }
            var bytes: [UInt8]
            if iteration % 4 == 0 {
                bytes = (0..<Int.random(in: 0...80, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
                if bytes.count >= 4, Bool.random(using: &random) {
                    bytes[2] = 0
                    bytes[3] = UInt8(min(bytes.count, 255))  // a plausible Length, so attributes get parsed
                }
            } else {
                bytes = Self.seeds[iteration % Self.seeds.count]
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    switch Int.random(in: 0..<4, using: &random) {
                    case 0: bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                    case 1: bytes.removeLast(Int.random(in: 0...min(8, bytes.count), using: &random))
                    case 2: bytes.append(contentsOf: (0..<Int.random(in: 1...8, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) })
                    default:
                        if bytes.count > 21 { bytes[Int.random(in: 20..<bytes.count, using: &random)] = UInt8.random(in: 0...3, using: &random) }
                    }
                    if bytes.isEmpty { break }
                }
            }
            do {
                let packet = try RADIUSPacket(decoding: bytes)
                let length = Int(bytes[2]) << 8 | Int(bytes[3])
                #expect(try packet.encoded() == Array(bytes.prefix(length)))
                accepted += 1
            } catch {
                #expect(!error.diagnostic.isEmpty)
            }
        }
        // Both paths were exercised.
        #expect(accepted > 1_000)
        #expect(accepted < iterations)
    }
}
