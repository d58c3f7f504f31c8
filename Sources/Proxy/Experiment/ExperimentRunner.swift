import DuoSim
import Foundation
import Logging
import Policy
import RADIUSWire
import Synchronization
import Upstream

/// The I/O of `twofold experiment failmode`: starts the simulator and the proxy, plays the scenario's
/// conditions on the simulator, sends logins at a fixed rate through the real RADIUS and LDAP listeners, and
/// returns what happened. Everything it decides is in the pure parts (setup, clock, summary).
struct ExperimentRunner {
    var configuration: TwofoldConfiguration
    var scenario: ExperimentScenario
    var users: [ExperimentUser]
    /// Logins per second sent to each target (RADIUS listener, LDAP section).
    var rate: Double
    /// How long a login may go unanswered before it counts as a timeout.
    var timeout: Duration
    var outDirectory: URL
    var coolDown: Duration?
    var logger: Logger
    var breaker: ExperimentBreakerLog

    struct Result {
        var logins: [ExperimentLogin]
        var targets: [ExperimentTarget]
        var clock: ExperimentPhaseClock
    }

    /// The answers that say failmode decided, as the policy words them (and its auth events log them).
    static let failmodeMessages: Set<String> = [
        PolicyMessages.failmodeSafePreauth, PolicyMessages.failmodeSafeAuth,
        PolicyMessages.failmodeSecurePreauth, PolicyMessages.failmodeSecureAuth,
    ]

    static func isFailmode(_ attributes: [RADIUSAttribute]) -> Bool {
        let text = attributes.filter { $0.type == .replyMessage }.map { String(decoding: $0.value, as: UTF8.self) }.joined()
        return failmodeMessages.contains(text)
    }

    /// How logins reach one target.
    enum Sender: Sendable {
        case radius(RADIUSClient)
        case ldap(ExperimentLDAPLogin)

        /// The outcome, whether failmode decided it, and when it was decided.
        func send(_ user: ExperimentUser) async -> (ExperimentLogin.Outcome, failmode: Bool, decided: ContinuousClock.Instant) {
            switch self {
            case .radius(let client):
                let answer = await client.authenticate(PrimaryRequest(username: user.name, password: Password(user.password)))
                let decided = ContinuousClock.now
                switch answer {
                case .accepted(let accept): return (.accepted, ExperimentRunner.isFailmode(accept.passThroughAttributes), decided)
                case .rejected(let rejection): return (.rejected, ExperimentRunner.isFailmode(rejection.passThroughAttributes), decided)
                case .challenged: return (.challenged, false, decided)
                case .unavailable: return (.timeout, false, decided)
                }
            case .ldap(let login):
                let (answer, decided) = await login.run(user: user)
                return (answer.0, answer.failmode, decided)
            }
        }

        func expectPrimary(_ user: ExperimentUser) -> Bool {
            switch self {
            case .radius: user.expectPrimary
            case .ldap(let login): login.expectPrimary(user)
            }
        }
    }

    /// Counters for the progress line, and the records.
    private final class Tally: Sendable {
        struct State {
            var logins: [ExperimentLogin] = []
            var inFlight = 0
        }
        let state = Mutex(State())
    }

    func run() async throws -> Result {
        guard !users.isEmpty else { throw ExperimentSetupError(description: "no users to log in with") }
        let integrations = try ExperimentSetup.integrations(configuration)
        let simulator: DuoSimServer
        do {
            simulator = try await DuoSimServer.start(
                DuoSimConfiguration(
                    integrations: integrations,
                    users: DuoSimUsers(users: [:], defaultUser: DuoSimUser(push: .approve, pushDelayMilliseconds: 0)),
                    tls: .selfSigned))
        } catch {
            throw ExperimentSetupError(description: "cannot start the Duo simulator: \(error)")
        }
        let configured = ExperimentSetup.pointAtSimulator(
            configuration, duoPort: simulator.port, duoCA: simulator.caCertificatePEM ?? "", outDirectory: outDirectory.path,
            coolDown: coolDown)
        let targets: [ExperimentTarget]
        do {
            targets = try ExperimentSetup.targets(configured)
        } catch {
            await simulator.stop()
            throw error
        }
        let proxy: RunningProxy
        do {
            proxy = try await RunningProxy.start(configured, logger: logger)
        } catch {
            await simulator.stop()
            throw error
        }
        var clients: [RADIUSClient] = []
        var senders: [Sender] = []
        let quiet = Logger(label: "experiment", factory: { _ in SwiftLogNoOpLogHandler() })
        do {
            for target in targets {
                switch target.kind {
                case .radius(let secret):
                    let configuration = try RADIUSClientConfiguration(
                        servers: [.init(host: target.host, port: target.port)], secret: RADIUSSharedSecret(bytes: secret), retries: 0,
                        retryWait: timeout, passThroughAll: true, requireMessageAuthenticator: true)
                    let client = try await RADIUSClient.start(name: "experiment", configuration: configuration, logger: quiet)
                    clients.append(client)
                    senders.append(.radius(client))
                case .ldap(let flow, let ldaps):
                    senders.append(
                        .ldap(
                            ExperimentLDAPLogin(
                                endpoint: .init(host: target.host, port: target.port), security: try ExperimentLDAPLogin.security(ldaps: ldaps),
                                flow: flow, timeout: timeout)))
                }
            }
        } catch {
            for client in clients { await client.shutdown() }
            await proxy.shutdown(grace: .zero)
            await simulator.stop()
            throw ExperimentSetupError(description: "cannot start the experiment's clients: \(error)")
        }

        let clock = ExperimentPhaseClock(scenario)
        let tally = Tally()
        let start = ContinuousClock.now
        breaker.start(at: start)
        let users = users
        let rate = rate
        let interval = Duration.nanoseconds(Int64(1e9 / rate))

        // The scenario's conditions, applied to the simulator at their times.
        let player = Task {
            for change in clock.changes {
                try? await Task.sleep(until: start + change.at, clock: .continuous)
                if Task.isCancelled { return }
                simulator.clearFaults()
                for fault in change.condition.faults { simulator.setFault(fault) }
            }
        }
        let progress = Task {
            var tick = 1
            while !Task.isCancelled {
                try? await Task.sleep(until: start + .seconds(tick), clock: .continuous)
                if Task.isCancelled { break }
                tick += 1
                let elapsed = start.duration(to: .now)
                let line = tally.state.withLock { Self.progressLine($0.logins, inFlight: $0.inFlight, elapsed: elapsed, clock: clock) }
                Self.progress(line)
            }
        }

        await withTaskGroup(of: Void.self) { group in
            for (targetIndex, target) in targets.enumerated() {
                let sender = senders[targetIndex]
                group.addTask {
                    await withTaskGroup(of: Void.self) { logins in
                        var number = 0
                        while true {
                            // Half an interval into each slot: never on a phase boundary, where the
                            // condition is being changed.
                            let offset = interval * number + interval / 2
                            guard offset < clock.total, let phase = clock.phase(at: offset) else { break }
                            try? await Task.sleep(until: start + offset, clock: .continuous)
                            let user = users[number % users.count]
                            number += 1
                            tally.state.withLock { $0.inFlight += 1 }
                            logins.addTask {
                                let sent = ContinuousClock.now
                                let (outcome, failmode, decided) = await sender.send(user)
                                let latency = sent.duration(to: decided)
                                // The phase of the moment it left, should the sender have fallen behind.
                                let record = ExperimentLogin(
                                    sentMilliseconds: ExperimentSummary.seconds(start.duration(to: sent)) * 1_000,
                                    phase: clock.phase(at: start.duration(to: sent)) ?? phase,
                                    section: target.name, user: user.name, expectPrimary: sender.expectPrimary(user), outcome: outcome,
                                    failmode: failmode, latencyMilliseconds: ExperimentSummary.seconds(latency) * 1_000)
                                tally.state.withLock {
                                    $0.logins.append(record)
                                    $0.inFlight -= 1
                                }
                            }
                        }
                    }
                }
            }
        }
        progress.cancel()
        player.cancel()
        await progress.value
        await player.value
        let final = tally.state.withLock { Self.progressLine($0.logins, inFlight: 0, elapsed: clock.total, clock: clock) }
        Self.progress(final, last: true)

        // The simulator first: stopping it ends the Duo calls a hang holds, which the proxy's
        // shutdown would otherwise wait for (up to api_timeout).
        for client in clients { await client.shutdown() }
        await simulator.stop()
        await proxy.shutdown(grace: .seconds(2))
        return Result(logins: tally.state.withLock { $0.logins }, targets: targets, clock: clock)
    }

    /// At a terminal, one line rewritten in place; elsewhere (a file, a test), a line each time.
    static func progress(_ line: String, last: Bool = false) {
        if isatty(STDERR_FILENO) == 1 {
            FileHandle.standardError.write(Data("\r\u{1B}[K\(line)\(last ? "\n" : "")".utf8))
        } else {
            FileHandle.standardError.write(Data("\(line)\n".utf8))
        }
    }

    /// `[ 12/50 s] phase 2/5 down (down): sent 240, accepted 130 (failmode 40), rejected 110, timeouts 0, in flight 2`.
    static func progressLine(_ logins: [ExperimentLogin], inFlight: Int, elapsed: Duration, clock: ExperimentPhaseClock) -> String {
        let total = Int(ExperimentSummary.seconds(clock.total).rounded())
        let now = Int(ExperimentSummary.seconds(elapsed))
        let phase: String
        if let index = clock.phase(at: elapsed), let condition = clock.condition(at: elapsed) {
            phase = "phase \(index + 1)/\(clock.phases.count) \(clock.phases[index].name) (Duo \(condition))"
        } else {
            phase = inFlight > 0 ? "waiting for the last answers" : "done"
        }
        let accepted = logins.count { $0.outcome == .accepted }
        let failmode = logins.count { $0.outcome == .accepted && $0.failmode }
        let rejected = logins.count { $0.outcome == .rejected }
        let timeouts = logins.count { $0.outcome == .timeout }
        return "[\(String(repeating: " ", count: max(0, String(total).count - String(now).count)))\(now)/\(total) s] \(phase): sent \(logins.count + inFlight), "
            + "accepted \(accepted) (failmode \(failmode)), rejected \(rejected), timeouts \(timeouts), in flight \(inFlight)"
    }
}
