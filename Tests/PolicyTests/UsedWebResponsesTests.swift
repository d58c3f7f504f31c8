import Policy
import Testing

/// Each Duo Web response opens one login; the set forgets after the retention and keeps its size.
@Suite struct UsedWebResponsesTests {
    @Test func aCookieIsUsedOnceUntilItsRetentionEnds() {
        let used = UsedWebResponses()
        #expect(used.use("AUTH|a|b:APP|c|d", now: 1_000))
        #expect(!used.use("AUTH|a|b:APP|x|y", now: 1_001), "the AUTH cookie decides, whatever the APP cookie")
        #expect(!used.use("AUTH|a|b", now: 1_000 + UsedWebResponses.retention - 1))
        #expect(used.use("AUTH|other|b", now: 1_002))
        #expect(used.use("AUTH|a|b", now: 1_000 + UsedWebResponses.retention), "forgotten once retained long enough")
    }

    @Test func theOldestGoFirstAtCapacity() {
        let used = UsedWebResponses(capacity: 3)
        for number in 1...4 { #expect(used.use("AUTH|\(number)|s", now: 10)) }
        #expect(used.count == 3)
        #expect(used.use("AUTH|1|s", now: 11), "the oldest was dropped to make room")
        #expect(!used.use("AUTH|4|s", now: 11))
    }
}
