import ArgumentParser
import DuoAPI
import DuoSim
import Foundation
import Logging
import Upstream

/// `twofold demo`: the RADIUS path and the Juniper LDAP service on an embedded configuration, with
/// nothing to install.
///
/// It writes a local users file, a certificate for LDAPS and StartTLS (with its CA) and an
/// authproxy.cfg into a temporary folder, starts the Duo simulator in-process over TLS, and serves
/// the configuration exactly as `twofold run` does; then it prints the `radtest`, `ldapwhoami` and
/// `ldapsearch` commands to try and what each will answer.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run twofold on its embedded default configuration (local users, the Duo simulator, RADIUS and LDAP on 127.0.0.1).",
        discussion: """
            Serves a [radius_server_auto] on 127.0.0.1 (port 1812, or --port) with a [local_client] \
            of four demo users, and an [ldap_server_duo_only] (Juniper's Duo LDAP service) on \
            127.0.0.1 ports 10389 (StartTLS) and 10636 (LDAPS) with a certificate made at start. Duo \
            is answered by the built-in simulator. Prints the radtest, ldapwhoami and ldapsearch \
            commands to try. Stops on Ctrl-C.
            """
    )

    @Option(name: .customLong("port"), help: "The UDP port to serve RADIUS on, on 127.0.0.1.")
    var port: Int = 1812

    @Option(name: .customLong("ldap-port"), help: "The TCP port for LDAP with StartTLS, on 127.0.0.1.")
    var ldapPort: Int = 10389

    @Option(name: .customLong("ldaps-port"), help: "The TCP port for LDAPS, on 127.0.0.1.")
    var ldapsPort: Int = 10636

    static let secret = "twofold-demo-secret"
    static let password = "demo-password"
    static let integrationKey = "DIDEMO00000000000000"
    static let secretKey = "demo-secret-key-0000000000000000000000000"

    /// The demo's users: what Duo does for each, and what radtest will show.
    static let users: [(name: String, user: DuoSimUser, tries: [(password: String, answer: String)])] = [
        ("alice", DuoSimUser(push: .approve, pushDelayMilliseconds: 1_500, passcodes: ["123456"]), [
            (password, "Access-Accept after a Duo Push that alice approves (1.5 s)"),
            ("\(password),123456", "Access-Accept with the passcode 123456"),
            ("\(password),654321", "Access-Reject: wrong passcode"),
            ("wrong-password", "Access-Reject: wrong password; Duo is not asked"),
        ]),
        ("bob", DuoSimUser(push: .deny, pushDelayMilliseconds: 1_000), [(password, "Access-Reject: bob denies the push")]),
        ("carol", DuoSimUser(preauth: .allow, devices: []), [(password, "Access-Accept without a second factor (Duo bypass)")]),
        ("dave", DuoSimUser(preauth: .enroll, devices: [], enrollPortalURL: "https://api-demo.duosecurity.com/portal?code=demo"), [
            (password, "Access-Reject with dave's enrollment link"),
        ]),
    ]

    func validate() throws {
        for (name, value) in [("--port", port), ("--ldap-port", ldapPort), ("--ldaps-port", ldapsPort)] where !(1...65_535).contains(value) {
            throw ValidationError("\(name) must be from 1 to 65535")
        }
        guard ldapPort != ldapsPort else { throw ValidationError("--ldap-port and --ldaps-port must differ") }
    }

    func run() async throws {
        // First: a SIGTERM while starting is kept for the graceful stop, not lost or fatal.
        let termination = TerminationSignal()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .info
            return handler
        }
        let logger = Logger(label: "twofold")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("twofold-demo-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }

        let simulator: DuoSimServer
        let configuration: TwofoldConfiguration
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            simulator = try await DuoSimServer.start(DuoSimConfiguration(
                integrations: [Self.integrationKey: Self.secretKey],
                users: DuoSimUsers(users: Dictionary(uniqueKeysWithValues: Self.users.map { ($0.name, $0.user) })),
                tls: .selfSigned))
            configuration = try writeConfiguration(in: folder, duoPort: simulator.port, duoCA: simulator.caCertificatePEM ?? "")
        } catch {
            printToStandardError("twofold demo: cannot set up the demo: \(error)")
            throw ExitCode(1)
        }

        let proxy: RunningProxy
        do {
            proxy = try await RunningProxy.start(configuration, logger: logger)
        } catch {
            await simulator.stop()
            if let failure = error as? StartError, let busy = failure.unboundPort {
                let option = busy == ldapPort ? "--ldap-port" : busy == ldapsPort ? "--ldaps-port" : "--port"
                printToStandardError("twofold demo: \(option == "--port" ? "UDP" : "TCP") port \(busy) on 127.0.0.1 is in use; choose another with \(option)")
            } else {
                printToStandardError("twofold demo: \(error)")
            }
            throw ExitCode(1)
        }

        print(instructions(duoPort: simulator.port, folder: folder))
        fflush(nil)
        _ = await termination.wait()
        print("twofold demo: stopping")
        await proxy.shutdown(grace: .seconds(5))
        await simulator.stop()
        print("twofold demo: stopped")
    }

    /// The users file (OWASP-cost PBKDF2 hashes) and the authproxy.cfg of the demo, read back
    /// through the same parser as `twofold run`.
    private func writeConfiguration(in folder: URL, duoPort: Int, duoCA: String) throws -> TwofoldConfiguration {
        let caFile = folder.appendingPathComponent("duo-ca.pem")
        try duoCA.write(to: caFile, atomically: true, encoding: .utf8)
        let ldapCertificates = try DuoSimCertificates.generate(caName: "twofold demo LDAP CA")
        try ldapCertificates.caCertificatePEM.write(to: folder.appendingPathComponent(Self.ldapCAFile), atomically: true, encoding: .utf8)
        try ldapCertificates.leafCertificatePEM.write(to: folder.appendingPathComponent("ldap-cert.pem"), atomically: true, encoding: .utf8)
        try ldapCertificates.leafPrivateKeyPEM.write(to: folder.appendingPathComponent("ldap-key.pem"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: folder.appendingPathComponent("ldap-key.pem").path)
        var users = "# twofold demo users; every password is \(Self.password)\n"
        for user in Self.users {
            let hash = try PasswordHash.make(password: Array(Self.password.utf8), cost: .pbkdf2SHA256(iterations: 600_000))
            users += "\(user.name):\(hash.phcString)\n"
        }
        let usersFile = folder.appendingPathComponent("users")
        try users.write(to: usersFile, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: usersFile.path)
        let text = """
            [main]
            http_ca_certs_file=\(caFile.path)

            [local_client]
            users_file=\(usersFile.path)

            [radius_server_auto]
            ikey=\(Self.integrationKey)
            skey=\(Self.secretKey)
            api_host=127.0.0.1
            api_port=\(duoPort)
            client=local_client
            failmode=safe
            radius_ip_1=127.0.0.1
            radius_secret_1=\(Self.secret)
            interface=127.0.0.1
            port=\(port)

            [ldap_server_duo_only]
            ikey=\(Self.integrationKey)
            skey=\(Self.secretKey)
            api_host=127.0.0.1
            api_port=\(duoPort)
            failmode=safe
            interface=127.0.0.1
            port=\(ldapPort)
            ssl_port=\(ldapsPort)
            ssl_cert_path=ldap-cert.pem
            ssl_key_path=ldap-key.pem
            """
        let path = folder.appendingPathComponent("authproxy.cfg").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try TwofoldConfiguration.parse(text, path: path)
    }

    static let ldapCAFile = "ldap-ca.pem"

    /// The Juniper flow with OpenLDAP's tools (Debian's ldap-utils): the device's integration bind
    /// and search, then the users' binds with their second factor.
    private func ldapInstructions(folder: URL) -> [String] {
        let base = "dc=\(Self.integrationKey),dc=duosecurity,dc=com"
        let ldaps = "ldapwhoami -H ldaps://127.0.0.1:\(ldapsPort) -x"
        let tries: [(command: String, answer: String)] = [
            ("\(ldaps) -D \(base) -w \(Self.secretKey)", "dn:\(base) (the device's integration bind)"),
            ("ldapsearch -H ldap://127.0.0.1:\(ldapPort) -ZZ -x -LLL -D \(base) -w \(Self.secretKey) -b \(base) '(cn=alice)' cn",
                "dn: cn=alice,\(base) (the device finds the user; StartTLS)"),
            ("\(ldaps) -D cn=alice,\(base) -w push", "dn:cn=alice,... after the push alice approves (1.5 s)"),
            ("\(ldaps) -D cn=alice,\(base) -w 123456", "dn:cn=alice,... with the passcode"),
            ("\(ldaps) -D cn=alice,\(base) -w sms", "Invalid credentials (49): New SMS passcodes sent"),
            ("\(ldaps) -D cn=bob,\(base) -w push", "Invalid credentials (49): bob denies the push"),
            ("\(ldaps) -D \(base) -w wrong-secret-key", "Invalid credentials (49): wrong secret key"),
        ]
        var lines = [
            "",
            "LDAP (Juniper's Duo LDAP service): StartTLS on tcp 127.0.0.1:\(ldapPort), LDAPS on tcp 127.0.0.1:\(ldapsPort)",
            "  certificate CA: \(folder.appendingPathComponent(Self.ldapCAFile).path)",
            "",
            "Try these (ldapwhoami and ldapsearch come with Debian's ldap-utils):",
            "  export LDAPTLS_CACERT=\(folder.appendingPathComponent(Self.ldapCAFile).path)",
        ]
        for attempt in tries {
            lines.append("  \(attempt.command)")
            lines.append("      -> \(attempt.answer)")
        }
        return lines
    }

    private func instructions(duoPort: Int, folder: URL) -> String {
        var lines = [
            "",
            "twofold demo: RADIUS on udp 127.0.0.1:\(port), shared secret \(Self.secret)",
            "  primary: [local_client] with alice, bob, carol and dave (password \(Self.password))",
            "  Duo:     the built-in simulator at https://127.0.0.1:\(duoPort)",
            "  config:  \(folder.appendingPathComponent("authproxy.cfg").path)",
            "",
            "Try these (radtest comes with Debian's freeradius-utils):",
        ]
        let width = Self.users.flatMap { user in user.tries.map { "radtest \(user.name) '\($0.password)' 127.0.0.1:\(port) 0 \(Self.secret)".count } }.max() ?? 0
        for user in Self.users {
            for attempt in user.tries {
                let command = "radtest \(user.name) '\(attempt.password)' 127.0.0.1:\(port) 0 \(Self.secret)"
                lines.append("  \(command.padding(toLength: width, withPad: " ", startingAt: 0))  -> \(attempt.answer)")
            }
        }
        lines += ldapInstructions(folder: folder)
        lines += ["", "Stop with Ctrl-C."]
        return lines.joined(separator: "\n")
    }
}
