import Testing
import Policy
import Upstream

@Suite struct DuoOnlyClientTests {
    @Test func acceptsWithoutAskingAnyone() async {
        let client = DuoOnlyClient(name: "duo_only_client")
        let outcome = await client.authenticate(PrimaryRequest(username: "alice", password: Password("")))
        guard case .accepted(let accept) = outcome else {
            Issue.record("expected accepted, got \(outcome)")
            return
        }
        #expect(accept.distinguishedName == nil)
        #expect(accept.passThroughAttributes.isEmpty)
    }
}
