import Policy
import Testing

/// The compact form that travels sealed in RADIUS State: every stage round-trips, and nothing but
/// one well-formed value decodes.
@Suite struct ContinuationCodingTests {
    static let values: [LoginContinuation] = [
        .init(username: "alice", stage: .upstreamChallenge(state: [0, 1, 2, 255]), distinguishedName: nil, passThrough: [], attemptsLeft: 1),
        .init(username: "bob@example.com",
              stage: .secondFactor(menu: [.init(factor: "push", device: "DP1", label: "Duo Push to iPhone"), .init(factor: "sms", device: "DP1", label: "SMS")]),
              distinguishedName: "CN=Bob,OU=Staff,DC=example,DC=com",
              passThrough: [.init(type: 25, value: Array("class".utf8)), .init(type: 11, value: [])], attemptsLeft: 3),
        .init(username: "CORP\\ｃａｒｏｌ", stage: .enrollment, distinguishedName: nil, passThrough: [], attemptsLeft: 0),
        .init(username: "dave", stage: .webPrompt(applicationCookie: "APP|ZGF2ZXxESVhYWFh8MTYxNTIzOTAyMg==|abc"), distinguishedName: nil,
              passThrough: [], attemptsLeft: 255),
    ]

    @Test(arguments: values)
    func everyStageRoundTrips(_ value: LoginContinuation) throws {
        let bytes = try #require(value.compactEncoded())
        #expect(LoginContinuation(compact: bytes) == value)
        // Any truncation, and any trailing octet, is refused.
        for length in 0..<bytes.count {
            #expect(LoginContinuation(compact: Array(bytes.prefix(length))) == nil, "truncated to \(length)")
        }
        #expect(LoginContinuation(compact: bytes + [0]) == nil)
    }

    @Test func fieldsLongerThanTheirPrefixAreNotEncoded() {
        let longName = LoginContinuation(username: String(repeating: "a", count: 256), stage: .enrollment, distinguishedName: nil,
                                         passThrough: [], attemptsLeft: 1)
        #expect(longName.compactEncoded() == nil)
        let manyAttempts = LoginContinuation(username: "a", stage: .enrollment, distinguishedName: nil, passThrough: [], attemptsLeft: 256)
        #expect(manyAttempts.compactEncoded() == nil)
    }
}
