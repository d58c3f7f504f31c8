import ArgumentParser
import Foundation
import LDAPWire
import NIOSSL
import Policy
import Synchronization
import Upstream

/// `twofold bench ldap`: a closed-loop LDAP load generator, with twofold's own LDAP client.
struct BenchLDAPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ldap",
        abstract: "Bind (or run Juniper-style logins) as fast as answers come back, and report rates and latencies.",
        discussion: """
            C workers each keep one connection (or open one per login with --new-connection-each) and \
            repeat: a simple bind as --bind-dn with --password; with --user, a Juniper-style login \
            instead: that bind, a search under --bind-dn for (cn=USER), and USER's bind with --factor. \
            ldaps:// URLs use TLS from the first byte; ldap:// with --start-tls upgrades first. \
            --ca-file holds the PEM CA that signed the server's certificate.
            """
    )

    @Option(name: .customLong("server"), help: "ldap://HOST:PORT or ldaps://HOST:PORT.")
    var server: String
    @Option(name: .customLong("bind-dn"), help: "The DN of every bind (the integration, dc=IKEY,dc=duosecurity,dc=com).")
    var bindDN: String
    @Option(name: .customLong("password"), help: "The password of every bind (the integration's secret key).")
    var password: String
    @Option(name: .customLong("user"), help: "Run Juniper-style logins for this user (search, then the user's bind).")
    var user: String?
    @Option(name: .customLong("factor"), help: "The user's second password in Juniper-style logins.")
    var factor: String = "push"
    @Option(name: .customLong("ca-file"), help: "PEM trust roots for TLS (the system's when absent).")
    var caFile: String?
    @Flag(name: .customLong("start-tls"), help: "Upgrade ldap:// connections with StartTLS.")
    var startTLS = false
    @OptionGroup var load: BenchLoadOptions
    @Flag(name: .customLong("new-connection-each"), help: "Open a new connection (and TLS handshake) for every login.")
    var newConnectionEach = false

    func validate() throws {
        guard (try? endpoint()) != nil else { throw ValidationError("--server must be ldap://HOST:PORT or ldaps://HOST:PORT") }
        if startTLS, server.lowercased().hasPrefix("ldaps://") { throw ValidationError("--start-tls goes with ldap://, not ldaps://") }
    }

    private func endpoint() throws -> (endpoint: ADClientConfiguration.Endpoint, ldaps: Bool) {
        let lowered = server.lowercased()
        let ldaps = lowered.hasPrefix("ldaps://")
        guard ldaps || lowered.hasPrefix("ldap://") else { throw ValidationError("scheme") }
        let rest = server.dropFirst(ldaps ? 8 : 7)
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]), (1...65_535).contains(port) else {
            return (.init(host: String(rest).trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port: ldaps ? 636 : 389), ldaps)
        }
        return (.init(host: String(rest[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port: port), ldaps)
    }

    func run() async throws {
        let (endpoint, ldaps) = try endpoint()
        let security: LDAPClientSecurity
        do {
            if ldaps || startTLS {
                var tls = TLSConfiguration.makeClientConfiguration()
                tls.minimumTLSVersion = .tlsv12
                if let caFile { tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile)) }
                let context = try NIOSSLContext(configuration: tls)
                security = ldaps ? .ldaps(context) : .startTLS(context)
            } else {
                security = .clear
            }
        } catch {
            printToStandardError("twofold bench ldap: cannot set up TLS: \(error)")
            throw ExitCode(1)
        }
        let login = Login(bindDN: bindDN, password: Password(password), user: user, factor: Password(factor))
        let tally = BenchTally(Tally())
        let deadline = ContinuousClock.now + .seconds(load.duration)
        let start = ContinuousClock.now
        let stepTimeout = Duration.seconds(load.timeout)
        let fresh = newConnectionEach
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<load.concurrency {
                group.addTask {
                    var connection: LDAPClientConnection?
                    while ContinuousClock.now < deadline {
                        let began = ContinuousClock.now
                        var outcome: Outcome
                        do {
                            if connection == nil || connection?.isActive == false {
                                connection = try await LDAPClientConnection.connect(to: endpoint, security: security, timeout: stepTimeout)
                            }
                            outcome = try await login.run(on: connection!)
                        } catch {
                            outcome = .failed("\(error)")
                            await connection?.close()
                            connection = nil
                        }
                        if fresh {
                            await connection?.close()
                            connection = nil
                        }
                        let latency = began.duration(to: .now)
                        tally.state.withLock { $0.record(outcome, latency: latency) }
                    }
                    await connection?.close()
                }
            }
        }
        let elapsed = start.duration(to: .now)
        print(tally.state.withLock { $0.report(elapsed: elapsed, concurrency: load.concurrency, juniper: user != nil) })
    }

    enum Outcome: Sendable {
        case succeeded
        /// A bind answered with another result code than success.
        case refused(LDAPResultCode)
        case failed(String)
    }

    /// One measured unit: a bind, or the Juniper sequence.
    struct Login: Sendable {
        var bindDN: String
        var password: Password
        var user: String?
        var factor: Password

        func run(on connection: LDAPClientConnection) async throws -> Outcome {
            let bound = try await connection.bind(name: bindDN, password: password)
            guard bound.resultCode == .success else { return .refused(bound.resultCode) }
            guard let user else { return .succeeded }
            let found = try await connection.search(
                LDAPMessage.SearchRequest(baseObject: bindDN, filter: .equal("cn", user), attributes: ["cn"]), maximumEntries: 2)
            guard found.result.resultCode == .success, let entry = found.entries.first else {
                return .refused(found.result.resultCode == .success ? .noSuchObject : found.result.resultCode)
            }
            let userBound = try await connection.bind(name: entry.objectName, password: factor)
            return userBound.resultCode == .success ? .succeeded : .refused(userBound.resultCode)
        }
    }

    struct Tally: Sendable {
        var succeeded = 0
        var refused = 0
        var failed = 0
        var firstFailure: String?
        var latencies: [Duration] = []

        mutating func record(_ outcome: Outcome, latency: Duration) {
            switch outcome {
            case .succeeded: succeeded += 1
            case .refused: refused += 1
            case .failed(let why):
                failed += 1
                if firstFailure == nil { firstFailure = why }
            }
            latencies.append(latency)
        }

        func report(elapsed: Duration, concurrency: Int, juniper: Bool) -> String {
            let total = succeeded + refused + failed
            let latencies = BenchLatencies(self.latencies, elapsed: elapsed)
            let unit = juniper ? "logins" : "binds"
            var lines = [
                "\(unit) \(total), succeeded \(succeeded), refused \(refused), failed \(failed)",
                latencies.rate(total, unit, concurrency: concurrency),
                latencies.percentiles,
            ]
            if let firstFailure { lines.append("first failure: \(firstFailure)") }
            return lines.joined(separator: "\n")
        }
    }
}
