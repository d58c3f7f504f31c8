import ArgumentParser
import DuoAPI
import Foundation
import LDAPFront
import Logging
import Metrics
import NIOSSL
import Policy
import Prometheus
import RADIUSFront
import Upstream

/// `twofold run --config authproxy.cfg`: the proxy.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the proxy from an authproxy.cfg.",
        discussion: """
            Reads Duo Authentication Proxy's authproxy.cfg (see the README for the sections this \
            version serves), starts one RADIUS listener per (interface, port) and one LDAP listener per \
            (interface, port) of the [ldap_server_duo_only] and [ldap_server_auto] sections (auto: \
            every operation relayed to the [ad_client] directory on the client's own connection, \
            binds checked by Duo), and serves until SIGINT \
            or SIGTERM. Then it refuses new logins, lets the ones in progress finish (--grace), and exits 0.
            """
    )

    @Option(name: .customLong("config"), help: "The configuration file (authproxy.cfg).")
    var config: String

    @Option(name: .customLong("grace"), help: "Seconds logins in progress get to finish after SIGTERM.")
    var grace: Int = 30

    func run() async throws {
        // First: a SIGTERM while starting is kept for the graceful stop, not lost or fatal.
        let termination = TerminationSignal()
        let reloadSignals = ReloadSignal.stream()
        let configuration: TwofoldConfiguration
        do {
            configuration = try TwofoldConfiguration.load(path: config)
        } catch {
            printToStandardError("twofold run: \(error)")
            throw ExitCode(1)
        }
        let logLevel: Logger.Level = configuration.main.debug ? .debug : .info
        let toStandardOutput = configuration.main.logToStandardOutput
        var fileOutput: FileLogHandler.Output?
        if let file = configuration.main.logFile {
            let path = file.hasPrefix("/") ? file : URL(fileURLWithPath: configuration.main.logDirectory ?? FileManager.default.currentDirectoryPath)
                .appendingPathComponent(file).path
            do {
                fileOutput = try FileLogHandler.Output(path: path, limits: configuration.main.logLimits)
            } catch {
                printToStandardError("twofold run: \(config): [main] log_file: cannot write \(path) (\(error.localizedDescription)); check log_dir and log_file")
                throw ExitCode(1)
            }
        }
        LoggingSystem.bootstrap { [fileOutput] label in
            if let fileOutput, !toStandardOutput {
                return FileLogHandler(label: label, output: fileOutput, logLevel: logLevel)
            }
            var handler = toStandardOutput ? StreamLogHandler.standardOutput(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            return handler
        }
        let logger = Logger(label: "twofold")
        for warning in configuration.warnings { logger.warning("\(warning)") }
        let openFiles = OpenFileLimit.raiseToHardLimit()
        if openFiles < 16_384 {
            logger.warning("only \(openFiles) open files allowed: each pending push holds a connection to Duo; raise the hard limit (ulimit -Hn, LimitNOFILE= in systemd)")
        }

        let metrics = try await startMetrics(configuration, logger: logger)
        let proxy: RunningProxy
        do {
            proxy = try await RunningProxy.start(configuration, logger: logger)
        } catch {
            await metrics?.stop()
            printToStandardError("twofold run: \(error)")
            throw ExitCode(1)
        }
        metrics?.endpoint.readiness = .serving
        let reloads = Task {
            for await _ in reloadSignals {
                // logrotate moves the files away and sends SIGHUP: write to new ones.
                fileOutput?.file.reopen()
                proxy.reload(logger: logger)
            }
        }
        let signal = await termination.wait()
        reloads.cancel()
        logger.info("\(signal) received: refusing new logins, finishing the ones in progress", metadata: ["grace": "\(grace) s"])
        metrics?.endpoint.readiness = .stopping
        await proxy.shutdown(grace: .seconds(grace))
        await metrics?.stop()
        logger.info("stopped")
    }
}

extension RunCommand {
    /// `[main] metrics_listen`: Prometheus metrics for every counter and gauge of the process, and
    /// the health checks. Started before the proxy, so that the metrics system is set up before the
    /// engines and Duo clients create their metrics.
    private func startMetrics(_ configuration: TwofoldConfiguration, logger: Logger) async throws -> MetricsServer? {
        guard let address = configuration.main.metricsListen else { return nil }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        do {
            let server = try await MetricsServer.start(host: address.host, port: address.port, endpoint: MetricsEndpoint(registry: registry))
            logger.info("serving /metrics, /healthz and /readyz on http \(server.localAddress)")
            return server
        } catch {
            printToStandardError(
                "twofold run: \(config): [main] metrics_listen: cannot listen on tcp \(address) (\(error)); another process may hold the port: change metrics_listen")
            throw ExitCode(1)
        }
    }
}

/// Why the proxy could not start: what, and where in the configuration.
struct StartError: Error, CustomStringConvertible {
    var description: String
    /// The port of a listener that could not be bound (in use, or not allowed), when that was why.
    var unboundPort: Int?
}

/// The proxy's services built from a configuration: primaries, Duo clients, engines, listeners.
final class RunningProxy: Sendable {
    let listeners: [RADIUSListener]
    let ldapListeners: [LDAPListener]
    let runs: [Task<Void, Never>]
    let duoClients: [DuoClient]
    let radiusClients: [RADIUSClient]
    let directoryClients: [ADClient]
    let passwordChecks: PasswordCheckPool?
    let localClients: [LocalUsersClient]
    let events: AuthEventLog?
    let eventWriter: Task<Void, Never>?

    private init(
        listeners: [RADIUSListener], ldapListeners: [LDAPListener], runs: [Task<Void, Never>], duoClients: [DuoClient], radiusClients: [RADIUSClient],
        directoryClients: [ADClient], passwordChecks: PasswordCheckPool?, localClients: [LocalUsersClient], events: AuthEventLog?,
        eventWriter: Task<Void, Never>?
    ) {
        self.localClients = localClients
        self.directoryClients = directoryClients
        self.passwordChecks = passwordChecks
        self.listeners = listeners
        self.ldapListeners = ldapListeners
        self.runs = runs
        self.duoClients = duoClients
        self.radiusClients = radiusClients
        self.events = events
        self.eventWriter = eventWriter
    }

    static func start(_ configuration: TwofoldConfiguration, logger: Logger) async throws -> RunningProxy {
        var events: AuthEventLog?
        var eventWriter: Task<Void, Never>?
        var primaries: [String: any PrimaryAuthenticator] = [:]
        var radiusClients: [RADIUSClient] = []
        var directoryClients: [ADClient] = []
        // One pool of hashing threads for every [local_client]: the CPU bound is per process.
        var passwordChecks: PasswordCheckPool?
        var localClients: [LocalUsersClient] = []
        var duoClients: [DuoClient] = []
        var listeners: [RADIUSListener] = []
        var ldapListeners: [LDAPListener] = []
        var runs: [Task<Void, Never>] = []
        func partial() -> RunningProxy {
            RunningProxy(
                listeners: listeners, ldapListeners: ldapListeners, runs: runs, duoClients: duoClients, radiusClients: radiusClients,
                directoryClients: directoryClients, passwordChecks: passwordChecks, localClients: localClients, events: events,
                eventWriter: eventWriter)
        }
        do {
            if configuration.main.logAuthEvents {
                let directory = configuration.main.logDirectory ?? FileManager.default.currentDirectoryPath
                let path = URL(fileURLWithPath: directory).appendingPathComponent("authevents.log").path
                do {
                    let log = try AuthEventLog(path: path, limits: configuration.main.logLimits)
                    events = log
                    eventWriter = Task { await log.run() }
                    logger.info("auth events go to \(path)")
                } catch {
                    throw StartError(description: "\(configuration.path): [main] log_auth_events: cannot write \(path) (\(error.localizedDescription)); check log_dir")
                }
            }

            for (name, client) in configuration.clients.sorted(by: { $0.key < $1.key }) {
                switch client {
                case .duoOnly:
                    primaries[name] = DuoOnlyClient(name: name)
                case .local(let local, let line):
                    let pool = passwordChecks ?? PasswordCheckPool()
                    passwordChecks = pool
                    do {
                        let client = try LocalUsersClient(name: name, configuration: local, pool: pool)
                        for warning in client.users.warnings { logger.warning("[\(name)] \(warning)") }
                        logger.info("[\(name)] \(client.users.count) users from \(local.usersFile)")
                        primaries[name] = client
                        localClients.append(client)
                    } catch {
                        throw StartError(description: "\(configuration.path):\(line): [\(name)] users_file: \(error)")
                    }
                case .activeDirectory(let directory):
                    do {
                        let client = try ADClient(configuration: directory)
                        directoryClients.append(client)
                        primaries[name] = client
                    } catch {
                        throw StartError(description: "\(configuration.path): \(error)")
                    }
                case .radius(let radius):
                    do {
                        let started = try await RADIUSClient.start(name: name, configuration: radius, logger: logger)
                        radiusClients.append(started)
                        primaries[name] = started
                    } catch {
                        throw StartError(description: "\(configuration.path): [\(name)] \(error)")
                    }
                }
            }

            try await startLDAP(
                configuration, primaries: primaries, events: events, logger: logger, duoClients: &duoClients, listeners: &ldapListeners)

            var sectionsByAddress: [String: [RADIUSServerSection]] = [:]
            var addressOrder: [(interface: String, port: Int)] = []
            for server in configuration.radiusServers {
                let primary: any PrimaryAuthenticator = server.client.flatMap { primaries[$0] } ?? DuoOnlyClient(name: "none")
                let engine = try engine(
                    server.policy, duo: server.duo, primary: primary, line: server.line, configuration, events: events, logger: logger,
                    duoClients: &duoClients)
                let key = "\(server.interface)|\(server.port)"
                if sectionsByAddress[key] == nil { addressOrder.append((server.interface, server.port)) }
                sectionsByAddress[key, default: []].append(
                    RADIUSServerSection(
                        name: server.policy.name, clients: server.clients, requireMessageAuthenticator: server.requireMessageAuthenticator,
                        clientIPAttribute: server.clientIPAttribute, joinPendingWindow: server.joinPendingWindow, rules: server.rules,
                        engine: engine))
            }

            let sealer = configuration.main.stateKey.map { StateSealer(secret: $0) } ?? .random()
            if !addressOrder.isEmpty {
                if sealer.isShared {
                    logger.info("challenge State is sealed with [main] state_key: another twofold with the same key and configuration can take the answer")
                } else {
                    logger.info("challenge State is sealed with a random key of this process: set [main] state_key (the same on each twofold) for a challenge's answer to be taken by another twofold")
                }
            }
            for (interface, port) in addressOrder {
                let sections = sectionsByAddress["\(interface)|\(port)"]!
                let listener: RADIUSListener
                do {
                    listener = try await RADIUSListener.bind(
                        host: interface, port: port, sections: sections, challenges: ChallengeStates(sealer: sealer), events: events ?? DiscardingAuthEventSink(),
                        logger: logger)
                } catch {
                    let names = sections.map { "[\($0.name)]" }.joined(separator: ", ")
                    throw StartError(
                        description: "\(configuration.path): \(names): cannot listen on udp \(interface):\(port) (\(error)); another process may hold the port: change port= or interface=",
                        unboundPort: port)
                }
                listeners.append(listener)
                logger.info(
                    "listening for RADIUS on udp \(listener.localAddress)",
                    metadata: ["sections": "\(sections.map(\.name).joined(separator: ", "))"])
                runs.append(Task {
                    do {
                        try await listener.run()
                    } catch {
                        logger.error("RADIUS listener failed", metadata: ["listener": "\(listener.localAddress)", "error": "\(error)"])
                    }
                })
            }
        } catch {
            // Whatever started is stopped again, so that the process exits cleanly with the error.
            await partial().shutdown(grace: .zero)
            throw error
        }
        return partial()
    }

    /// A server section's Duo client (kept in `duoClients` for shutdown) and its policy engine.
    private static func engine(
        _ policy: SectionPolicy, duo configuration: DuoClientConfiguration, primary: any PrimaryAuthenticator, line: Int,
        _ proxy: TwofoldConfiguration, events: AuthEventLog?, logger: Logger, duoClients: inout [DuoClient]
    ) throws -> PolicyEngine {
        let duo: DuoClient
        // The section names whose circuit breaker a log line is about (sections share api_host).
        var duoLogger = logger
        duoLogger[metadataKey: "section"] = "\(policy.name)"
        do {
            duo = try DuoClient(configuration: configuration, logger: duoLogger)
        } catch {
            throw StartError(description: "\(proxy.path):\(line): [\(policy.name)] Duo client: \(error)")
        }
        duoClients.append(duo)
        return PolicyEngine(section: policy, primary: primary, duo: duo, events: events ?? DiscardingAuthEventSink(), logger: logger)
    }

    /// One LDAP listener per (interface, port) of the `[ldap_server_duo_only]` and
    /// `[ldap_server_auto]` sections; duo-only sections sharing one are told apart by the IKEY in
    /// the bind DN, auto sections by their `match_*` rules. Listeners already bound are appended
    /// to `listeners` at once, so that a later failure stops them too.
    private static func startLDAP(
        _ configuration: TwofoldConfiguration, primaries: [String: any PrimaryAuthenticator], events: AuthEventLog?, logger: Logger,
        duoClients: inout [DuoClient], listeners: inout [LDAPListener]
    ) async throws {
        var sectionsByAddress: [String: [LDAPServerSection]] = [:]
        var autoSectionsByAddress: [String: [LDAPAutoServerSection]] = [:]
        var endpoints: [(interface: String, port: Int, ldaps: Bool, server: TwofoldConfiguration.LDAPServer)] = []
        for server in configuration.ldapServers {
            let engine = try engine(
                server.policy, duo: server.duo, primary: DuoOnlyClient(name: "none"), line: server.line, configuration, events: events,
                logger: logger, duoClients: &duoClients)
            var autoSection: LDAPAutoServerSection?
            if let auto = server.auto {
                guard let directory = primaries[auto.client] as? ADClient else {
                    throw StartError(description: "\(configuration.path):\(server.line): [\(server.policy.name)] client=\(auto.client) is not an [ad_client]")
                }
                autoSection = LDAPAutoServerSection(realm: auto.realm, engine: engine, directory: directory, networkTimeout: auto.networkTimeout)
            }
            let section = LDAPServerSection(
                name: server.policy.name, integrationKey: server.policy.integrationKey, secretKey: server.duo.secretKey, engine: engine)
            for endpoint in server.endpoints {
                let key = "\(endpoint.interface)|\(endpoint.port)"
                if sectionsByAddress[key] == nil, autoSectionsByAddress[key] == nil {
                    endpoints.append((endpoint.interface, endpoint.port, endpoint.ldaps, server))
                }
                if let autoSection {
                    autoSectionsByAddress[key, default: []].append(autoSection)
                } else {
                    sectionsByAddress[key, default: []].append(section)
                }
            }
        }
        var contexts: [LDAPServerTLS: NIOSSLContext] = [:]
        for (interface, port, ldaps, server) in endpoints {
            let sections = sectionsByAddress["\(interface)|\(port)"] ?? []
            let autoSections = autoSectionsByAddress["\(interface)|\(port)"] ?? []
            let allNames = sections.map(\.name) + autoSections.map(\.name)
            let names = allNames.map { "[\($0)]" }.joined(separator: ", ")
            var context: NIOSSLContext?
            if let tls = server.tls {
                do {
                    context = try contexts[tls] ?? tls.makeContext()
                    contexts[tls] = context
                } catch {
                    throw StartError(description: "\(configuration.path):\(server.line): [\(server.policy.name)] \(error)")
                }
            }
            let listener: LDAPListener
            do {
                listener = try await LDAPListener.bind(
                    host: interface, port: port, sections: sections, autoSections: autoSections, tlsContext: context, ldaps: ldaps,
                    options: .init(timeouts: LDAPTimeouts(idle: server.idleTimeout), limits: server.connectionLimits), logger: logger)
            } catch {
                throw StartError(
                    description: "\(configuration.path): \(names): cannot listen on tcp \(interface):\(port) (\(error)); another process may hold the port, or ports below 1024 need privileges: change \(ldaps ? "ssl_port" : "port")= or interface=",
                    unboundPort: port)
            }
            listeners.append(listener)
            let kind = switch listener.transport {
            case .clear: "clear LDAP, no TLS"
            case .clearWithStartTLS: "LDAP with StartTLS"
            case .ldaps: "LDAPS"
            }
            logger.info("listening for LDAP on tcp \(listener.localAddress) (\(kind))", metadata: ["sections": "\(allNames.joined(separator: ", "))"])
        }
    }

    /// SIGHUP: re-reads every `[local_client]` users file (a file that does not load keeps the
    /// users in use, and the log says why) and reopens authevents.log.
    func reload(logger: Logger) {
        events?.file.reopen()
        for client in localClients {
            do {
                let users = try client.reload()
                for warning in users.warnings { logger.warning("[\(client.name)] \(warning)") }
                logger.info("[\(client.name)] reloaded: \(users.count) users from \(client.configuration.usersFile)")
            } catch {
                logger.error("[\(client.name)] reload failed: \(error)")
            }
        }
    }

    /// Refuses new logins, gives the ones in progress `grace` to finish, then closes everything.
    func shutdown(grace: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            for listener in listeners { group.addTask { await listener.shutdown(grace: grace) } }
            for listener in ldapListeners { group.addTask { await listener.shutdown(grace: grace) } }
        }
        for run in runs { await run.value }
        for client in radiusClients { await client.shutdown() }
        for client in directoryClients { await client.shutdown() }
        try? await passwordChecks?.shutdown()
        for client in duoClients { try? await client.shutdown() }
        events?.finish()
        await eventWriter?.value
    }
}
