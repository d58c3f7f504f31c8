import DuoAPI
import InMemoryLogging
import Logging
import MetricsTestKit
import Policy
import RADIUSWire
import Synchronization
import Testing
import LDAPWire

/// A primary that knows a few users and records what it was asked.
final class FakePrimary: PrimaryAuthenticator {
    let name = "fake_client"
    /// username -> password; also the DN `uid=<name>,ou=people,dc=example,dc=com`.
    let passwords: [String: String]
    let passThrough: [RADIUSAttribute]
    /// When set, every call gets this outcome.
    let fixed: PrimaryOutcome?
    private let calls = Mutex<[PrimaryRequest]>([])

    init(_ passwords: [String: String] = ["alice": "secret"], passThrough: [RADIUSAttribute] = [], fixed: PrimaryOutcome? = nil) {
        self.passwords = passwords
        self.passThrough = passThrough
        self.fixed = fixed
    }

    var requests: [PrimaryRequest] { calls.withLock { $0 } }
    var passwordsTried: [String] { requests.map { String(decoding: $0.password.bytes, as: UTF8.self) } }

    func authenticate(_ request: PrimaryRequest) async -> PrimaryOutcome {
        calls.withLock { $0.append(request) }
        if let fixed { return fixed }
        guard let expected = passwords[request.username] else {
            return .rejected(PrimaryRejection(.unknownUser, diagnostic: "no entry for \(request.username)"))
        }
        guard request.password.bytes == Array(expected.utf8) else {
            return .rejected(PrimaryRejection(.wrongPassword, diagnostic: "bind refused"))
        }
        return .accepted(PrimaryAccept(distinguishedName: "uid=\(request.username),ou=people,dc=example,dc=com", passThroughAttributes: passThrough))
    }
}

/// A Duo that answers at once from a script and records every call.
final class FakeDuo: SecondFactor {
    enum Call: Hashable {
        case preauth(username: String, ip: String?)
        case auth(DuoAuthRequest)
    }

    struct Script: Sendable {
        var preauth: Result<DuoPreauthResult, DuoFailure> = .success(.auth(devices: FakeDuo.devices, message: "Account is active"))
        /// By default: passcode 123456 is right, any other passcode wrong, push/phone approved.
        var auth: (@Sendable (DuoAuthRequest) -> Result<DuoAuthResult, DuoFailure>)? = nil
    }

    /// Two phones: the first does push, phone and sms; the second only push.
    static let devices = [
        DuoDevice(device: "DPHONE1", type: "phone", name: "iPhone", number: "XXX-XXX-1111", capabilities: ["auto", "push", "phone", "sms"]),
        DuoDevice(device: "DPHONE2", type: "phone", name: "iPad", capabilities: ["push"]),
    ]

    let script: Script
    private let log = Mutex<[Call]>([])

    init(_ script: Script = Script()) {
        self.script = script
    }

    var calls: [Call] { log.withLock { $0 } }
    var authRequests: [DuoAuthRequest] {
        calls.compactMap { if case .auth(let request) = $0 { request } else { nil } }
    }

    func preauth(username: String, ipAddress: String?) async throws(DuoFailure) -> DuoPreauthResult {
        log.withLock { $0.append(.preauth(username: username, ip: ipAddress)) }
        return try script.preauth.get()
    }

    func auth(_ request: DuoAuthRequest) async throws(DuoFailure) -> DuoAuthResult {
        log.withLock { $0.append(.auth(request)) }
        if let auth = script.auth { return try auth(request).get() }
        switch request.factor {
        case .passcode(let code):
            return code == "123456" ? .allow(message: "Success. Logging you in...") : .deny(message: "Incorrect passcode. Please try again.", status: "deny")
        case .sms:
            return .deny(message: "New SMS passcodes sent.", status: "sent")
        case .auto, .push, .phone:
            return .allow(message: "Success. Logging you in...")
        }
    }
}

/// Collects auth events.
final class CollectedEvents: AuthEventSink {
    private let events = Mutex<[AuthEvent]>([])
    func record(_ event: AuthEvent) { events.withLock { $0.append(event) } }
    var all: [AuthEvent] { events.withLock { $0 } }
}

/// A monotonic clock the test moves by hand.
final class ManualClock: Sendable {
    private let offset = Mutex<Duration>(.zero)
    let start = ContinuousClock.Instant.now
    func advance(_ duration: Duration) { offset.withLock { $0 += duration } }
    var now: ContinuousClock.Instant { start + offset.withLock { $0 } }
    var policyClock: PolicyClock {
        PolicyClock(monotonic: { [self] in now }, wall: { 1_764_430_836.25 })
    }
}

/// One engine with its fakes.
struct Harness {
    let primary: FakePrimary
    let duo: FakeDuo
    let events = CollectedEvents()
    let clock = ManualClock()
    let logs = InMemoryLogHandler()
    let metrics = TestMetrics()
    let engine: PolicyEngine

    init(section: SectionPolicy = Harness.section(), primary: FakePrimary = FakePrimary(), duo: FakeDuo = FakeDuo()) {
        self.primary = primary
        self.duo = duo
        self.engine = PolicyEngine(
            section: section, primary: primary, duo: duo, events: events, logger: Logger(label: "policy-test") { [logs] _ in logs },
            hostname: "proxy-test", clock: clock.policyClock, metricsFactory: metrics)
    }

    static func section(
        mode: SectionPolicy.Mode = .auto, failmode: Failmode = .safe, factors: [FactorChoice] = [.auto],
        exemptUsernames: [String] = [], exemptOUs: [String] = [], delimitedPasswordLength: Int? = nil,
        allowConcatenation: Bool = true, limits: LoginLimits = LoginLimits()
    ) -> SectionPolicy {
        SectionPolicy(
            name: "radius_server_auto", mode: mode, integrationKey: "DIWJ8X6AEYOR5OMC6TQ1", failmode: failmode, factors: factors,
            allowConcatenation: allowConcatenation, delimitedPasswordLength: delimitedPasswordLength, exemptUsernames: exemptUsernames,
            exemptOrganizationalUnits: exemptOUs.map { try! LDAPDN(parsing: $0) }, limits: limits)
    }

    func login(_ username: String, _ password: String, from address: String? = "192.0.2.10") async throws -> Decision {
        let request = LoginRequest(identity: try LoginIdentity.parse(username), password: Password(password), clientAddress: address)
        return await engine.authenticate(request)
    }

    func answer(_ decision: Decision, _ username: String, _ answer: String, from address: String? = "192.0.2.10") async throws -> Decision {
        guard case .challenge(let challenge) = decision else {
            Issue.record("expected a challenge, got \(decision)")
            return decision
        }
        let request = LoginRequest(identity: try LoginIdentity.parse(username), password: Password(answer), clientAddress: address)
        return await engine.resume(challenge.continuation, answer: Password(answer), request: request)
    }
}
