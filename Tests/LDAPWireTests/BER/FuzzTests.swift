import NIOCore
import TestSupport
import Testing

@testable import LDAPWire

@Suite("LDAP randomized input", .serialized)
struct FuzzTests {
    static let corpus: [[UInt8]] = [
        Captured.whoamiBind, Captured.bindSuccess, Captured.whoamiRequest, Captured.whoamiResponse,
        Captured.unbind3, Captured.wrongPasswordBind, Captured.bindInvalidCredentials, Captured.adminBind,
        Captured.nestedSearch, Captured.searchAnswers, Captured.anonymousBind, Captured.pagedSearch,
        Captured.pagedAnswers, Captured.passwordModify, Captured.passwordModifyRefused, Captured.searchNoSuchBase,
        Captured.noSuchObjectDone,
    ].map(bytes)

    static func mutate(_ input: [UInt8], _ random: inout SeededGenerator) -> [UInt8] {
        var data = input
        for _ in 0..<Int.random(in: 1...4, using: &random) {
            switch Int.random(in: 0..<8, using: &random) {
            case 0 where !data.isEmpty:  // flip a bit
                let index = Int.random(in: 0..<data.count, using: &random)
                data[index] ^= 1 << UInt8.random(in: 0..<8, using: &random)
            case 1 where !data.isEmpty:  // replace a byte with an interesting one
                let index = Int.random(in: 0..<data.count, using: &random)
                data[index] = [0x00, 0x7f, 0x80, 0x81, 0x84, 0x85, 0x88, 0xff, 0x30, 0xa0, 0x24][
                    Int.random(in: 0..<11, using: &random)]
            case 2:  // insert random bytes
                let index = Int.random(in: 0...data.count, using: &random)
                let count = Int.random(in: 1...8, using: &random)
                data.insert(contentsOf: (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }, at: index)
            case 3 where !data.isEmpty:  // delete a range
                let start = Int.random(in: 0..<data.count, using: &random)
                let end = min(data.count, start + Int.random(in: 1...8, using: &random))
                data.removeSubrange(start..<end)
            case 4 where !data.isEmpty:  // truncate
                data = Array(data.prefix(Int.random(in: 0..<data.count, using: &random)))
            case 5 where data.count > 2:  // a huge long-form length somewhere
                let index = Int.random(in: 1..<data.count, using: &random)
                let huge: [[UInt8]] = [[0x84, 0x7f, 0xff, 0xff, 0xff], [0x88, 0x80, 0, 0, 0, 0, 0, 0, 0], [0x80], [0x84, 0x80, 0, 0, 0]]
                data.replaceSubrange(index..<index + 1, with: huge[Int.random(in: 0..<huge.count, using: &random)])
            case 6:  // splice another PDU's tail
                let other = corpus[Int.random(in: 0..<corpus.count, using: &random)]
                let cut = Int.random(in: 0...data.count, using: &random)
                let from = Int.random(in: 0...other.count, using: &random)
                data = Array(data[..<cut]) + Array(other[from...])
            default:  // duplicate a slice
                guard !data.isEmpty else { continue }
                let start = Int.random(in: 0..<data.count, using: &random)
                let end = min(data.count, start + Int.random(in: 1...16, using: &random))
                data.insert(contentsOf: data[start..<end], at: start)
            }
        }
        return data
    }

    /// Feeds `input` through the framer and decoder; anything decoded must survive a round trip.
    static func exercise(_ input: [UInt8], limits: LDAPLimits) -> (frames: Int, decoded: Int) {
        var framer = LDAPFrameDecoder(limits: limits)
        var stream = ByteBuffer(bytes: input)
        var frames = 0
        var decoded = 0
        while true {
            let frame: ByteBuffer?
            do { frame = try framer.next(from: &stream) } catch { break }
            guard let frame else { break }
            frames += 1
            guard let message = try? LDAPMessage.decode(frame: frame, limits: limits) else { continue }
            decoded += 1
            let again = try? LDAPMessage.decode(bytes: message.encodedBytes(), limits: limits)
            #expect(again == message, "round trip of \(hexString(Array(frame.readableBytesView)))")
        }
        _ = try? LDAPMessage.decode(bytes: input, limits: limits)
        return (frames, decoded)
    }

    /// Async, yielding now and then: a long CPU-bound loop must not hold one of the few threads of
    /// the cooperative pool that the rest of the suite's tests (and their timeouts) run on.
    @Test func hundredThousandMutatedAndRandomInputs() async {
        var random = SeededGenerator(seed: 0x7057_0f01d)
        let limits = LDAPLimits(maximumPDUSize: 64 * 1024, maximumDepth: 20, maximumFilterDepth: 8,
                                maximumFilterComponents: 64, maximumElements: 64)
        var frames = 0
        var decoded = 0
        for iteration in 0..<100_000 {
            if iteration % 1_000 == 0 { await Task.yield() }
            let input: [UInt8]
            if iteration % 10 == 9 {
                // Purely random bytes, usually starting like a PDU so that they reach the decoder.
                let count = Int.random(in: 0...96, using: &random)
                var noise = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
                if count >= 2 && iteration % 20 == 9 {
                    noise[0] = 0x30
                    noise[1] = UInt8(count - 2 < 0x80 ? count - 2 : 0x7f)
                }
                input = noise
            } else {
                input = Self.mutate(Self.corpus[iteration % Self.corpus.count], &random)
            }
            let counts = Self.exercise(input, limits: limits)
            frames += counts.frames
            decoded += counts.decoded
        }
        // The mutations keep many inputs well-formed enough to reach deep into the decoder.
        #expect(frames > 50_000)
        #expect(decoded > 10_000)
    }
}
