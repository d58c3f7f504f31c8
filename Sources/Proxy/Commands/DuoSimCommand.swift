import ArgumentParser
import DuoSim
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `twofold duo-sim`: a Duo Auth API v2 server for tests, the demo and failmode experiments.
struct DuoSimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "duo-sim",
        abstract: "Run a simulated Duo Auth API v2 service (for tests, demos and failmode experiments).",
        discussion: """
            Serves /auth/v2/ping, check, preauth, auth and auth_status with Duo's signatures (v2, v4, v5), \
            Date checks and answer shapes. Users come from a JSON file (see Examples/duo-sim/README.md). \
            Faults are injected at run time with POST /sim/v1/faults ({"kind": "down|hang|delay|status|malformed", \
            "path": "/auth/v2/preauth", "ms": 500, "status": 503}) and cleared with DELETE /sim/v1/faults; \
            counters are at GET /sim/v1/stats. Stops on SIGINT or SIGTERM.
            """
    )

    @Option(name: .customLong("listen"), help: "Address and port to listen on: 127.0.0.1:8443 or [::1]:8443 (repeatable).")
    var listen: [String] = []

    @Option(name: .customLong("integration"), help: "An integration key and its secret key, IKEY:SKEY (repeatable, at least one).")
    var integrations: [String] = []

    @Option(name: .customLong("users"), help: "The users file (JSON); unknown users are asked to enroll without one.")
    var users: String?

    @Option(name: .customLong("cert"), help: "PEM certificate chain for TLS (with --key).")
    var certificate: String?

    @Option(name: .customLong("key"), help: "PEM private key for TLS (with --cert).")
    var key: String?

    @Flag(name: .customLong("self-signed"), help: "Generate a CA and a certificate for 127.0.0.1, ::1 and localhost.")
    var selfSigned = false

    @Option(name: .customLong("write-ca"), help: "With --self-signed: write the CA certificate (PEM) to this file.")
    var writeCA: String?

    @Flag(name: .customLong("insecure-http"), help: "Plain HTTP without TLS (debugging only).")
    var insecureHTTP = false

    @Option(name: .customLong("clock-skew"), help: "Seconds a request's Date may differ from this clock.")
    var clockSkew: Int = 300

    @Option(name: .customLong("push-timeout"), help: "Seconds until a push that is never answered times out.")
    var pushTimeout: Int = 60

    @Option(name: .customLong("auth-status-hold"),
            help: "Seconds auth_status holds a poll for a pending push before answering `waiting` again (Duo long-polls).")
    var authStatusHold: Int = 30

    func validate() throws {
        let modes = [certificate != nil || key != nil, selfSigned, insecureHTTP].filter { $0 }.count
        if modes != 1 {
            throw ValidationError("choose exactly one of --cert C --key K, --self-signed or --insecure-http")
        }
        if (certificate == nil) != (key == nil) {
            throw ValidationError("--cert and --key go together: give both, or use --self-signed")
        }
        if writeCA != nil && !selfSigned {
            throw ValidationError("--write-ca needs --self-signed (with --cert the CA is yours already)")
        }
        if integrations.isEmpty {
            throw ValidationError("give at least one --integration IKEY:SKEY")
        }
        for value in integrations { _ = try Self.integration(value) }
        for value in listen { _ = try Self.address(value) }
        guard (0...86_400).contains(clockSkew) else { throw ValidationError("--clock-skew \(clockSkew): valid is 0 to 86400 seconds") }
        guard (1...3600).contains(pushTimeout) else { throw ValidationError("--push-timeout \(pushTimeout): valid is 1 to 3600 seconds") }
        guard (0...300).contains(authStatusHold) else {
            throw ValidationError("--auth-status-hold \(authStatusHold): valid is 0 (answer at once) to 300 seconds")
        }
    }

    static func integration(_ value: String) throws -> (String, String) {
        guard let colon = value.firstIndex(of: ":"), colon != value.startIndex, value.index(after: colon) != value.endIndex
        else { throw ValidationError("--integration \"\(value)\": expected IKEY:SKEY (e.g. DIWJ8X6AEYOR5OMC6TQ1:secret)") }
        return (String(value[..<colon]), String(value[value.index(after: colon)...]))
    }

    static func address(_ value: String) throws -> (host: String, port: Int) {
        guard let address = HostAndPort(value) else {
            throw ValidationError("--listen \"\(value)\": expected HOST:PORT with a port from 0 to 65535, e.g. 127.0.0.1:8443 or [::1]:8443")
        }
        return (address.host, address.port)
    }

    func run() async throws {
        // First: a SIGTERM while starting is kept for the graceful stop, not lost or fatal.
        let termination = TerminationSignal()
        var keys: [String: String] = [:]
        for value in integrations {
            let (ikey, skey) = try Self.integration(value)
            keys[ikey] = skey
        }
        let loadedUsers: DuoSimUsers
        do {
            loadedUsers = try users.map { try DuoSimUsers.load(path: $0) } ?? DuoSimUsers()
        } catch {
            printToStandardError("twofold duo-sim: --users: \(error)")
            throw ExitCode(2)
        }
        let tls: DuoSimConfiguration.TLS
        if let certificate, let key {
            tls = .files(certificateChain: certificate, privateKey: key)
        } else if selfSigned {
            tls = .selfSigned
        } else {
            tls = .none
        }

        OpenFileLimit.raiseToHardLimit()
        var servers: [DuoSimServer] = []
        for value in listen.isEmpty ? ["127.0.0.1:8443"] : listen {
            let (host, port) = try Self.address(value)
            let configuration = DuoSimConfiguration(
                host: host, port: port, integrations: keys, users: loadedUsers, tls: tls,
                allowedClockSkew: .seconds(clockSkew), pushTimeout: .seconds(pushTimeout),
                authStatusHold: .seconds(authStatusHold))
            do {
                let server = try await DuoSimServer.start(configuration)
                servers.append(server)
                if let writeCA, let pem = server.caCertificatePEM {
                    // Several listeners each make their own CA; the file holds all of them.
                    let existing = servers.count > 1 ? ((try? String(contentsOfFile: writeCA, encoding: .utf8)) ?? "") : ""
                    try (existing + pem).write(toFile: writeCA, atomically: true, encoding: .utf8)
                }
                let scheme = server.caCertificatePEM != nil || certificate != nil ? "https" : "http"
                print("duo-sim listening on \(scheme)://\(server.address) (\(server.tlsDescription))"
                    + (writeCA.map { ", CA written to \($0)" } ?? ""))
            } catch let error as DuoSimError {
                // TLS diagnostics name the --cert/--key file themselves; the others belong to --listen.
                let flag = error.kind == .tls ? (certificate != nil ? "--cert/--key" : "--self-signed") : "--listen \(value)"
                printToStandardError("twofold duo-sim: \(flag): \(error.diagnostic)")
                for server in servers { await server.stop() }
                throw ExitCode(1)
            } catch {
                printToStandardError("twofold duo-sim: --write-ca \(writeCA ?? ""): cannot write the CA (\(error))")
                for server in servers { await server.stop() }
                throw ExitCode(1)
            }
        }
        fflush(nil)  // all streams: `stdout` itself is not concurrency-safe in Swift 6

        let signal = await termination.wait()
        print("duo-sim: \(signal) received, stopping")
        for server in servers { await server.stop() }
        print("duo-sim: stopped")
    }
}
