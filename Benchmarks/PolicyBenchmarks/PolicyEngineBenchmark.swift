import DuoAPI
import Foundation
import Logging
import Policy

/// How many logins per second the policy engine decides on one core when its primary and Duo
/// answer at once: the engine's own cost (identity, split, limits, failmode, events), which must
/// never be what limits the proxy. Issue 4's goal: at least 200,000 per second.
func runPolicyEngineBenchmark() async {
    struct InstantPrimary: PrimaryAuthenticator {
        let name = "bench_client"
        func authenticate(_ request: PrimaryRequest) async -> PrimaryOutcome {
            request.password.bytes.first == UInt8(ascii: "s") ? .accepted(PrimaryAccept(distinguishedName: "uid=\(request.username),ou=people,dc=example,dc=com")) : .rejected(PrimaryRejection(.wrongPassword, diagnostic: "bind refused"))
        }
    }
    struct InstantDuo: SecondFactor {
        let devices = [DuoDevice(device: "DPHONE1", capabilities: ["auto", "push", "phone", "sms"])]
        func preauth(username: String, ipAddress: String?) async throws(DuoFailure) -> DuoPreauthResult {
            .auth(devices: devices, message: "Account is active")
        }
        func auth(_ request: DuoAuthRequest) async throws(DuoFailure) -> DuoAuthResult {
            .allow(message: "Success. Logging you in...")
        }
    }
    /// Encodes every event as the log writer would, and keeps only the byte count.
    final class EncodingSink: AuthEventSink, @unchecked Sendable {
        // Single-threaded benchmark: one task records, nobody else reads until it ends.
        var bytes = 0
        func record(_ event: AuthEvent) { bytes &+= event.jsonLine().utf8.count }
    }

    struct Scenario {
        var name: String
        var password: String
        var limits: LoginLimits
    }
    let scenarios = [
        Scenario(name: "password,passcode (default limits)", password: "secret,123456", limits: LoginLimits()),
        Scenario(name: "password + auto push (no limits)", password: "secret", limits: .unlimited),
        Scenario(
            name: "wrong password (default limits)", password: "wrong",
            limits: LoginLimits(failedPrimaryPerUser: nil, failedPrimaryPerAddress: nil)),
    ]
    let users = (0..<10_000).map { try! LoginIdentity.parse("user\($0)@example.com") }

    func measure(_ scenario: Scenario, encodeEvents: Bool) async -> (perSecond: Double, nanoseconds: Double, accepted: Int) {
        let engine = PolicyEngine(
            section: SectionPolicy(name: "radius_server_auto", integrationKey: "DIWJ8X6AEYOR5OMC6TQ1", limits: scenario.limits),
            primary: InstantPrimary(), duo: InstantDuo(), events: encodeEvents ? EncodingSink() : DiscardingAuthEventSink(),
            logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }), hostname: "bench")
        let requests = users.enumerated().map { index, identity in
            LoginRequest(identity: identity, password: Password(scenario.password), clientAddress: "10.0.\(index / 256 % 256).\(index % 256)")
        }
        for request in requests.prefix(2_000) { _ = await engine.authenticate(request) }  // warm-up
        let count = 400_000
        var accepted = 0
        let start = ContinuousClock.now
        for index in 0..<count where await engine.authenticate(requests[index % requests.count]).isAccept {
            accepted += 1
        }
        let elapsed = start.duration(to: .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return (Double(count) / seconds, seconds * 1e9 / Double(count), accepted)
    }

    print("Policy engine, one task on one core, fake primary and Duo answering at once, 10,000 users.")
    print("'encoded': every auth event also encoded as its JSON line (the log writer's work, done in-line).")
    print("  scenario                                 events     logins/s   ns/login")
    for scenario in scenarios {
        for encodeEvents in [false, true] {
            let result = await measure(scenario, encodeEvents: encodeEvents)
            let name = scenario.name.padding(toLength: 40, withPad: " ", startingAt: 0)
            print(
                "  \(name) \(encodeEvents ? "encoded" : "dropped")  \(String(format: "%10.0f", result.perSecond))"
                    + "   \(String(format: "%8.0f", result.nanoseconds))   (accepted \(result.accepted))")
        }
    }
}
