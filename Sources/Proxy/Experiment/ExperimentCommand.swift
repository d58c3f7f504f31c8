import ArgumentParser
import Foundation
import Logging

/// `twofold experiment`: what-if runs against the built-in Duo simulator.
struct ExperimentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiment", abstract: "See what Duo failures would do to your logins.", subcommands: [FailmodeExperimentCommand.self])
}

/// `twofold experiment failmode --config authproxy.cfg [--scenario scenario.json] --out DIR`.
struct FailmodeExperimentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failmode",
        abstract: "Play a Duo outage scenario against your configuration and report what each section decided.",
        discussion: """
            Starts the proxy from the configuration with every section's Duo pointed at an in-process \
            simulator (users approve pushes at once), plays the scenario's phases (healthy, down, hang, \
            slow, 5xx, 4xx, malformed, flapping) on the simulator, and meanwhile sends logins at --rate \
            per second to each RADIUS listener, each [ldap_server_duo_only] section (Juniper-style) \
            and each [ldap_server_auto] listener (service account bind, search, user bind) for the \
            scenario's users. Writes DIR/logins.csv, \
            DIR/summary.json, DIR/report.svg, the proxy's log (DIR/twofold.log) and auth events \
            (DIR/authevents.log), and prints a table. Login limits (max_failed_primary_*, \
            max_pushes_per_user) are lifted for the run. The scenario format is in the README \
            ("Failmode experiment").
            """
    )

    @Option(name: .customLong("config"), help: "The configuration file (authproxy.cfg).")
    var config: String

    @Option(name: .customLong("scenario"), help: "A scenario JSON file (default: healthy, down, 5xx, slow 2000 ms, healthy).")
    var scenario: String?

    @Option(name: .customLong("out"), help: "The folder for logins.csv, summary.json and report.svg (created if missing).")
    var out: String

    @Option(name: .customLong("rate"), help: "Logins per second sent to each RADIUS listener and LDAP section (default: the scenario's, else 10).")
    var rate: Double?

    @Option(name: .customLong("phase-seconds"), help: "Give every phase this duration in seconds (default: the scenario's, else 10).")
    var phaseSeconds: Double?

    @Option(
        name: .customLong("user"),
        help: ArgumentHelp(
            "NAME:PASSWORD of a user whose password the primary accepts (repeatable); each is also sent with a wrong password.",
            valueName: "name:password"))
    var users: [String] = []

    @Option(name: .customLong("timeout"), help: "Seconds before an unanswered login counts as a timeout.")
    var timeout: Double = 15

    @Option(
        name: .customLong("breaker-cool-down"),
        help: "Seconds the Duo circuit breaker stays open before probing (default: the proxy's, 30).")
    var breakerCoolDown: Double?

    func validate() throws {
        if let rate, !(0.1...10_000).contains(rate) { throw ValidationError("--rate must be from 0.1 to 10000 logins per second") }
        if let phaseSeconds, !(0.1...86_400).contains(phaseSeconds) { throw ValidationError("--phase-seconds must be from 0.1 to 86400") }
        guard (0.1...600).contains(timeout) else { throw ValidationError("--timeout must be from 0.1 to 600 seconds") }
        if let breakerCoolDown, !(0.1...3_600).contains(breakerCoolDown) {
            throw ValidationError("--breaker-cool-down must be from 0.1 to 3600 seconds")
        }
        for user in users {
            guard let colon = user.firstIndex(of: ":"), colon != user.startIndex, user.index(after: colon) != user.endIndex else {
                throw ValidationError("--user must be NAME:PASSWORD (got \"\(user)\")")
            }
        }
    }

    /// `--user` values: each right password, and the same user with a wrong one.
    static func commandLineUsers(_ values: [String]) -> [ExperimentUser] {
        values.flatMap { value -> [ExperimentUser] in
            let colon = value.firstIndex(of: ":")!
            let name = String(value[..<colon])
            let password = String(value[value.index(after: colon)...])
            return [
                ExperimentUser(name: name, password: password, expectPrimary: true),
                ExperimentUser(name: name, password: "wrong-\(password)", expectPrimary: false),
            ]
        }
    }

    func run() async throws {
        let configuration: TwofoldConfiguration
        var plan: ExperimentScenario
        do {
            configuration = try TwofoldConfiguration.load(path: config)
            plan = try scenario.map { try ExperimentScenario.load(path: $0) } ?? .standard()
        } catch {
            printToStandardError("twofold experiment failmode: \(error)")
            throw ExitCode(1)
        }
        if let phaseSeconds { plan = plan.withPhaseDuration(seconds: phaseSeconds) }
        let people = users.isEmpty ? plan.users : Self.commandLineUsers(users)
        guard !people.isEmpty else {
            printToStandardError(
                "twofold experiment failmode: no users to log in with. The primary factor of \(config) (\(Self.primaries(configuration))) cannot be exercised without passwords, and a users file keeps only hashes: list users in the scenario (\"users\": [{\"name\": \"alice\", \"password\": \"...\", \"expect_primary\": true}]) or give --user NAME:PASSWORD")
            throw ExitCode(1)
        }

        let folder = URL(fileURLWithPath: out)
        let fileOutput: FileLogHandler.Output
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for name in ["logins.csv", "summary.json", "report.svg", "authevents.log", "twofold.log"] {
                try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
            }
            fileOutput = try FileLogHandler.Output(path: folder.appendingPathComponent("twofold.log").path, limits: nil)
        } catch {
            printToStandardError("twofold experiment failmode: cannot write to \(out) (\(error.localizedDescription))")
            throw ExitCode(1)
        }
        let breaker = ExperimentBreakerLog()
        let level: Logger.Level = configuration.main.debug ? .debug : .info
        LoggingSystem.bootstrap { label in
            ExperimentLogHandler(file: FileLogHandler(label: label, output: fileOutput, logLevel: level), breaker: breaker)
        }
        let logger = Logger(label: "twofold")
        for warning in configuration.warnings { logger.warning("\(warning)") }
        _ = OpenFileLimit.raiseToHardLimit()

        let rate = rate ?? plan.rate ?? 10
        printToStandardError(
            "twofold experiment failmode: \(plan.phases.count) phases, \(ExperimentScenario.seconds(plan.totalDuration)) s, \(String(format: "%g", rate)) logins/s per listener, \(people.count) users; proxy log in \(folder.appendingPathComponent("twofold.log").path)")
        let runner = ExperimentRunner(
            configuration: configuration, scenario: plan, users: people, rate: rate,
            timeout: ExperimentScenario.duration(seconds: timeout), outDirectory: folder,
            coolDown: breakerCoolDown.map { ExperimentScenario.duration(seconds: $0) }, logger: logger, breaker: breaker)
        let result: ExperimentRunner.Result
        do {
            result = try await runner.run()
        } catch {
            printToStandardError("twofold experiment failmode: \(error)")
            throw ExitCode(1)
        }

        var summary = ExperimentSummary(
            logins: result.logins, breakerChanges: breaker.changes,
            sections: result.targets.map { .init(name: $0.name, failmode: $0.failmode, listener: $0.listener) }, clock: result.clock,
            rate: rate)
        summary.failmodeAuthEvents = ExperimentAuthEvents.failmodeCounts(
            path: folder.appendingPathComponent("authevents.log").path, messages: ExperimentRunner.failmodeMessages)
        do {
            try ExperimentCSV.write(result.logins, phases: plan.phases)
                .write(to: folder.appendingPathComponent("logins.csv"), atomically: true, encoding: .utf8)
            try summary.json().write(to: folder.appendingPathComponent("summary.json"))
            try ExperimentChart.render(summary, logins: result.logins)
                .write(to: folder.appendingPathComponent("report.svg"), atomically: true, encoding: .utf8)
        } catch {
            printToStandardError("twofold experiment failmode: cannot write the results to \(out) (\(error.localizedDescription))")
            throw ExitCode(1)
        }
        print(ExperimentTable.render(summary))
        print("")
        print("wrote \(["logins.csv", "summary.json", "report.svg", "authevents.log", "twofold.log"].map { folder.appendingPathComponent($0).path }.joined(separator: ", "))")
        for warning in Self.warnings(summary) { printToStandardError("twofold experiment failmode: warning: \(warning)") }
    }

    /// The primaries of the RADIUS sections, for the error when no users are given.
    static func primaries(_ configuration: TwofoldConfiguration) -> String {
        let names = Set(configuration.radiusServers.map { $0.client.map { "[\($0)]" } ?? "no primary" })
        return names.sorted().joined(separator: ", ")
    }

    /// Signs that the experiment did not measure what it meant to.
    static func warnings(_ summary: ExperimentSummary) -> [String] {
        var warnings: [String] = []
        for section in summary.sections {
            let healthy = summary.rows.filter { $0.section == section.name && $0.condition == "healthy" }
            let right = healthy.reduce(0) { $0 + $1.rightPassword.sent }
            let accepted = healthy.reduce(0) { $0 + $1.rightPassword.accepted }
            if right > 0 && accepted == 0 {
                warnings.append(
                    "[\(section.name)]: no login with a right password was accepted while Duo was healthy: check the users' passwords against the section's primary")
            }
        }
        return warnings
    }
}
