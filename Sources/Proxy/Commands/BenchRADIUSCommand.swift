import ArgumentParser
import Foundation
import Logging
import NIOCore
import NIOPosix
import Policy
import Synchronization
import Upstream

/// `twofold bench radius`: a closed-loop RADIUS load generator.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Load generators.", subcommands: [BenchRADIUSCommand.self, BenchLDAPCommand.self])
}

struct BenchRADIUSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "radius",
        abstract: "Send PAP Access-Requests as fast as answers come back, and report rates and latencies.",
        discussion: """
            C workers each send one Access-Request, wait for its answer, and send the next, for D seconds. \
            Every request carries Message-Authenticator; every reply's Response Authenticator is verified \
            (and its Message-Authenticator, when present or with --message-authenticator required). \
            Unanswered requests count as timeouts after --timeout seconds (no retransmits).
            """
    )

    @Option(name: .customLong("server"), help: "HOST:PORT of the RADIUS server.")
    var server: String
    @Option(name: .customLong("secret"), help: "The shared secret.")
    var secret: String
    @Option(name: .customLong("user"), help: "User-Name of every request.")
    var user: String
    @Option(name: .customLong("password"), help: "User-Password of every request (a password, `password,factor`, or a factor).")
    var password: String
    @OptionGroup var load: BenchLoadOptions
    @Flag(name: .customLong("message-authenticator"), help: "Require Message-Authenticator in every reply.")
    var requireMessageAuthenticator = false

    func validate() throws {
        guard HostAndPort(server) != nil else {
            throw ValidationError("--server must be HOST:PORT, e.g. 127.0.0.1:1812 or [::1]:1812")
        }
    }

    func run() async throws {
        let address = HostAndPort(server)!
        let configuration: RADIUSClientConfiguration
        do {
            configuration = try RADIUSClientConfiguration(
                servers: [.init(host: address.host, port: address.port)], secret: RADIUSSharedSecret(secret), retries: 0,
                retryWait: .seconds(load.timeout), requireMessageAuthenticator: requireMessageAuthenticator)
        } catch {
            printToStandardError("twofold bench radius: \(error)")
            throw ExitCode(1)
        }
        // One client per event loop, so that sockets and timers spread over the cores.
        let quiet = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
        var clients: [RADIUSClient] = []
        for _ in 0..<System.coreCount {
            clients.append(try await RADIUSClient.start(name: "bench", configuration: configuration, logger: quiet))
        }
        let tally = BenchTally(Tally())
        let deadline = ContinuousClock.now + .seconds(load.duration)
        let start = ContinuousClock.now
        let userName = user
        let secretPassword = Password(password)
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<load.concurrency {
                let client = clients[worker % clients.count]
                group.addTask {
                    while ContinuousClock.now < deadline {
                        let sent = ContinuousClock.now
                        let outcome = await client.authenticate(PrimaryRequest(username: userName, password: secretPassword))
                        let latency = sent.duration(to: .now)
                        tally.state.withLock { $0.record(outcome, latency: latency) }
                    }
                }
            }
        }
        let elapsed = start.duration(to: .now)
        for client in clients { await client.shutdown() }
        print(tally.state.withLock { $0.report(elapsed: elapsed, concurrency: load.concurrency) })
    }

    struct Tally: Sendable {
        var accepted = 0
        var rejected = 0
        var challenged = 0
        var timeouts = 0
        var latencies: [Duration] = []

        mutating func record(_ outcome: PrimaryOutcome, latency: Duration) {
            switch outcome {
            case .accepted: accepted += 1
            case .rejected: rejected += 1
            case .challenged: challenged += 1
            case .unavailable: timeouts += 1
            }
            latencies.append(latency)
        }

        func report(elapsed: Duration, concurrency: Int) -> String {
            let sent = accepted + rejected + challenged + timeouts
            let latencies = BenchLatencies(self.latencies, elapsed: elapsed)
            return """
                sent \(sent), accepted \(accepted), rejected \(rejected), challenged \(challenged), timeouts \(timeouts)
                \(latencies.rate(sent, "logins", concurrency: concurrency))
                \(latencies.percentiles)
                """
        }
    }
}
