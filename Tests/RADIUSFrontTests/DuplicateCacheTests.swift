import RADIUSFront
import Testing

@Suite struct DuplicateCacheTests {
    let start = ContinuousClock.now
    static func key(_ identifier: UInt8, port: Int = 50_000, authenticator: UInt8 = 1) -> DuplicateCache.Key {
        .init(source: IPAddress("192.0.2.10")!, port: port, identifier: identifier, authenticator: Array(repeating: authenticator, count: 16))
    }

    @Test func aRetransmitInFlightIsAbsorbedAndAnAnsweredOneGetsTheSameBytes() {
        var cache = DuplicateCache(replyLifetime: .seconds(30))
        #expect(cache.lookup(Self.key(7), now: start) == .new)
        #expect(cache.lookup(Self.key(7), now: start + .seconds(3)) == .inFlight)
        cache.complete(Self.key(7), reply: [2, 7, 0, 20], now: start + .seconds(40))
        #expect(cache.lookup(Self.key(7), now: start + .seconds(69)) == .answered([2, 7, 0, 20]))
        // After the lifetime the same request is a new one.
        #expect(cache.lookup(Self.key(7), now: start + .seconds(70)) == .new)
    }

    @Test func theSameIdentifierWithANewAuthenticatorOrPortIsANewRequest() {
        var cache = DuplicateCache()
        #expect(cache.lookup(Self.key(7), now: start) == .new)
        #expect(cache.lookup(Self.key(7, authenticator: 2), now: start) == .new)
        #expect(cache.lookup(Self.key(7, port: 50_001), now: start) == .new)
        #expect(cache.count == 3)
    }

    @Test func anAbandonedRequestIsHandledAgain() {
        var cache = DuplicateCache()
        #expect(cache.lookup(Self.key(1), now: start) == .new)
        cache.abandon(Self.key(1))
        #expect(cache.lookup(Self.key(1), now: start) == .new)
    }

    @Test func theTableIsBoundedAndFreesAnsweredEntries() {
        var cache = DuplicateCache(replyLifetime: .seconds(5), capacity: 3)
        for identifier: UInt8 in 0..<3 { #expect(cache.lookup(Self.key(identifier), now: start) == .new) }
        #expect(cache.lookup(Self.key(3), now: start) == .full)
        cache.complete(Self.key(0), reply: [2], now: start)
        #expect(cache.lookup(Self.key(3), now: start + .seconds(1)) == .full)
        #expect(cache.lookup(Self.key(3), now: start + .seconds(5)) == .new)
        #expect(cache.count == 3)
    }
}
