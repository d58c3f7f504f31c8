import ArgumentParser
import Foundation
import NIOSSL
import Upstream

/// `twofold check --config authproxy.cfg`: reads the configuration and every file the start reads
/// (users files, certificates and keys, CA bundles) without opening a port or calling anyone, as
/// `nginx -t` does: run it before a restart.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check an authproxy.cfg and the files it names, without serving.",
        discussion: """
            Exits 0 and lists the listeners and their sections when twofold run would start with \
            this configuration (ports in use aside); exits 1 and names file, line, section and key \
            of every problem otherwise. Warnings are printed either way.
            """
    )

    @Option(name: .customLong("config"), help: "The configuration file (authproxy.cfg).")
    var config: String

    func run() async throws {
        let configuration: TwofoldConfiguration
        do {
            configuration = try TwofoldConfiguration.load(path: config)
        } catch {
            printToStandardError("twofold check: \(error)")
            throw ExitCode(1)
        }
        var warnings = configuration.warnings
        var problems: [String] = []

        if let file = configuration.main.httpCACertsFile {
            do {
                if try NIOSSLCertificate.fromPEMFile(file).isEmpty {
                    problems.append("\(config): [main] http_ca_certs_file: \(file) holds no PEM certificate")
                }
            } catch {
                problems.append("\(config): [main] http_ca_certs_file: \(file) holds no readable PEM certificate (\(error))")
            }
        }
        for (name, client) in configuration.clients.sorted(by: { $0.key < $1.key }) {
            switch client {
            case .local(let local, let line):
                do {
                    let users = try LocalUsers.load(path: local.usersFile, floor: local.costFloor)
                    warnings += users.warnings.map { "[\(name)] \($0)" }
                    print("[\(name)] \(users.count) users in \(local.usersFile)")
                } catch {
                    problems.append("\(config):\(line): [\(name)] users_file: \(error)")
                }
            case .activeDirectory(let directory):
                do {
                    // Reads its CA and client certificate files; connects to nothing until a login.
                    let client = try ADClient(configuration: directory)
                    await client.shutdown()
                } catch {
                    problems.append("\(config): \(error)")
                }
            case .radius, .duoOnly:
                break
            }
        }
        for server in configuration.ldapServers {
            guard let tls = server.tls else { continue }
            do {
                _ = try tls.makeContext()
            } catch {
                problems.append("\(config):\(server.line): [\(server.policy.name)] \(error)")
            }
        }

        for warning in warnings { printToStandardError("warning: \(warning)") }
        guard problems.isEmpty else {
            for problem in problems { printToStandardError("twofold check: \(problem)") }
            throw ExitCode(1)
        }
        for line in Self.listeners(configuration) { print(line) }
        print("\(config): configuration OK")
    }

    /// One line per listener, as `twofold run` would open them, with its sections.
    static func listeners(_ configuration: TwofoldConfiguration) -> [String] {
        var order: [String] = []
        var sections: [String: [String]] = [:]
        func add(_ listener: String, _ section: String) {
            if sections[listener] == nil { order.append(listener) }
            sections[listener, default: []].append("[\(section)]")
        }
        for server in configuration.radiusServers {
            add("udp \(HostAndPort(host: server.interface, port: server.port)) (RADIUS)", server.policy.name)
        }
        for server in configuration.ldapServers {
            for endpoint in server.endpoints {
                let kind = endpoint.ldaps ? "LDAPS" : server.tls == nil ? "LDAP, no TLS" : "LDAP with StartTLS"
                add("tcp \(HostAndPort(host: endpoint.interface, port: endpoint.port)) (\(kind))", server.policy.name)
            }
        }
        if let metrics = configuration.main.metricsListen { add("tcp \(metrics) (metrics)", "main") }
        return order.map { "\($0): \(sections[$0]!.joined(separator: ", "))" }
    }
}
