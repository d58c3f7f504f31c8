import DuoAPI
import DuoSim
import Foundation
import LDAPWire
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `twofold run` with `[ldap_server_duo_only]` sections, driven as a Juniper device drives Duo's
/// LDAP service: ldapwhoami / ldapsearch over LDAPS and StartTLS with the test CA, and ldap3 for the
/// whole sequence on one connection. Duo is the simulator over TLS.
@Suite(.serialized) struct LDAPRunCommandTests {
    static let ikey = "DIWJ8X6AEYOR5OMC6TQ1"
    static let skey = "Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep"
    static let ikey2 = "DI2NDINTEGRATION0002"
    static let skey2 = "second-integration-secret-key-0000000002"
    static let base = "dc=\(ikey),dc=duosecurity,dc=com"
    static let base2 = "dc=\(ikey2),dc=duosecurity,dc=com"

    struct Running {
        var sim: DuoSimServer
        var proxy: PeerProcess
        var port: Int
        var sslPort: Int
        var folder: URL
        var caFile: String

        var clearURL: String { "ldap://127.0.0.1:\(port)" }
        var ldapsURL: String { "ldaps://127.0.0.1:\(sslPort)" }

        func stop() async {
            await proxy.stop(grace: .seconds(25))
            await sim.stop()
            try? FileManager.default.removeItem(at: folder)
        }
    }

    static func start(failmode: String = "safe", extra: String = "", main: String = "") async throws -> Running {
        let sim = try await DuoSimServer.start(DuoSimConfiguration(
            integrations: [ikey: skey, ikey2: skey2],
            users: DuoSimUsers(users: [
                "alice": DuoSimUser(push: .approve, passcodes: ["123456"]),
                "bob": DuoSimUser(push: .deny),
                "slow": DuoSimUser(push: .approve, pushDelayMilliseconds: 3_000),
            ]),
            tls: .selfSigned))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("twofold-ldap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try (sim.caCertificatePEM ?? "").write(to: folder.appendingPathComponent("duo-ca.pem"), atomically: true, encoding: .utf8)
        let certificates = try DuoSimCertificates.generate(caName: "twofold LDAP test CA")
        try certificates.caCertificatePEM.write(to: folder.appendingPathComponent("ldap-ca.pem"), atomically: true, encoding: .utf8)
        try certificates.leafCertificatePEM.write(to: folder.appendingPathComponent("ldap-cert.pem"), atomically: true, encoding: .utf8)
        try certificates.leafPrivateKeyPEM.write(to: folder.appendingPathComponent("ldap-key.pem"), atomically: true, encoding: .utf8)
        let port = try FreePort.tcp()
        let sslPort = try FreePort.tcp()
        func section(_ name: String, _ ikey: String, _ skey: String) -> String {
            """
            [\(name)]
            ikey=\(ikey)
            skey=\(skey)
            api_host=127.0.0.1
            api_port=\(sim.port)
            failmode=\(failmode)
            interface=127.0.0.1
            port=\(port)
            ssl_port=\(sslPort)
            ssl_cert_path=ldap-cert.pem
            ssl_key_path=ldap-key.pem
            \(extra)
            """
        }
        let config = """
            [main]
            http_ca_certs_file=\(folder.appendingPathComponent("duo-ca.pem").path)
            log_auth_events=true
            log_dir=\(folder.path)
            \(main)

            \(section("ldap_server_duo_only", ikey, skey))

            \(section("ldap_server_duo_only2", ikey2, skey2))
            """
        let path = folder.appendingPathComponent("authproxy.cfg").path
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        let proxy = try PeerProcess(RunCommandTests.twofold, ["run", "--config", path, "--grace", "20"])
        try await Wait.until("twofold listens for LDAP and LDAPS", timeout: .seconds(20)) {
            guard proxy.isRunning else { throw PeerMissing(peer: "twofold run exited: \(proxy.transcript)") }
            return proxy.standardError.contains("(LDAPS)") && proxy.standardError.contains("(LDAP with StartTLS)")
        }
        return Running(
            sim: sim, proxy: proxy, port: port, sslPort: sslPort, folder: folder, caFile: folder.appendingPathComponent("ldap-ca.pem").path)
    }

    /// Runs an OpenLDAP client tool trusting only the test CA (LDAPTLS_CACERT).
    static func tool(_ name: String, _ arguments: [String], _ running: Running) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await PeerProcess.run(
            try Peers.tool(name), arguments,
            environment: ["LDAPTLS_CACERT": running.caFile, "LDAPTLS_REQCERT": "demand", "LDAPCONF": "/dev/null", "LDAPRC": "/dev/null"],
            timeout: .seconds(60))
    }

    static func whoami(_ url: String, startTLS: Bool = false, _ dn: String, _ password: String, _ running: Running) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await tool("ldapwhoami", ["-H", url, "-x"] + (startTLS ? ["-ZZ"] : []) + ["-D", dn, "-w", password], running)
    }

    /// What the Duo Web frame would send back for alice: Duo's AUTH cookie (signed with the secret
    /// key, as Duo signs it) and the APP cookie of the request in the failed `web` bind's message.
    static func frameResponse(toFailedBind stderr: String) throws -> String {
        let request = try #require(stderr.range(of: "TX|").map { String(stderr[$0.lowerBound...].prefix { !$0.isWhitespace }) })
        let application = try #require(request.split(separator: ":").last)
        let authentication = try DuoWeb.signedCookie(
            prefix: DuoWeb.authenticationPrefix, key: skey, username: "alice", integrationKey: ikey,
            now: Int64(Date().timeIntervalSince1970), lifetime: 300)
        return authentication + ":" + application
    }

    // MARK: - ldapwhoami and ldapsearch

    @Test(.enabled(if: Peers.shouldRun("ldapwhoami", "ldapsearch")), .timeLimit(.minutes(3)))
    func theJuniperSequenceWithTheOpenLDAPTools() async throws {
        let running = try await Self.start()
        // The integration bind, over LDAPS and over StartTLS.
        let ldaps = try await Self.whoami(running.ldapsURL, Self.base, Self.skey, running)
        #expect(ldaps.status == 0, "\(ldaps.stderr)\n\(running.proxy.transcript)")
        #expect(ldaps.stdout.contains("dn:\(Self.base)"))
        let startTLS = try await Self.whoami(running.clearURL, startTLS: true, Self.base, Self.skey, running)
        #expect(startTLS.status == 0, "\(startTLS.stderr)")

        // The device's search for the user.
        let search = try await Self.tool("ldapsearch", [
            "-H", running.ldapsURL, "-x", "-LLL", "-D", Self.base, "-w", Self.skey, "-b", Self.base, "(cn=alice)", "cn",
        ], running)
        #expect(search.status == 0, "\(search.stderr)")
        #expect(search.stdout.contains("dn: cn=alice,\(Self.base)"), "\(search.stdout)")
        #expect(search.stdout.contains("cn: alice"))
        let enumerate = try await Self.tool("ldapsearch", [
            "-H", running.ldapsURL, "-x", "-LLL", "-D", Self.base, "-w", Self.skey, "-b", Self.base, "(cn=*)",
        ], running)
        #expect(enumerate.status == 0 && !enumerate.stdout.contains("dn:"), "no enumeration: \(enumerate.stdout)")
        // ldapsearch without -D binds anonymously first, which is refused.
        let anonymousSearch = try await Self.tool("ldapsearch", ["-H", running.ldapsURL, "-x", "-LLL", "-b", Self.base, "(cn=alice)"], running)
        #expect(anonymousSearch.status == 48, "\(anonymousSearch.stderr)")

        // The user's bind with the second factor.
        let push = try await Self.whoami(running.ldapsURL, "cn=alice,\(Self.base)", "push", running)
        #expect(push.status == 0, "\(push.stderr)\n\(running.proxy.transcript)")
        #expect(push.stdout.contains("dn:cn=alice,\(Self.base)"))
        let passcode = try await Self.whoami(running.clearURL, startTLS: true, "cn=alice,\(Self.base)", "123456", running)
        #expect(passcode.status == 0, "\(passcode.stderr)")
        let wrongPasscode = try await Self.whoami(running.ldapsURL, "cn=alice,\(Self.base)", "654321", running)
        #expect(wrongPasscode.status == 49, "\(wrongPasscode.stderr)")
        let denied = try await Self.whoami(running.ldapsURL, "cn=bob,\(Self.base)", "push", running)
        #expect(denied.status == 49, "\(denied.stderr)")
        let sms = try await Self.whoami(running.ldapsURL, "cn=alice,\(Self.base)", "sms", running)
        #expect(sms.status == 49)
        #expect(sms.stderr.contains("New SMS passcodes sent"), "\(sms.stderr)")

        // The Duo Web frame: `web` gets the signed request in the failed bind's message; the
        // frame's whole signed response (Duo's AUTH cookie and the request's APP cookie) is a password.
        let web = try await Self.whoami(running.ldapsURL, "cn=alice,\(Self.base)", "web", running)
        #expect(web.status == 49, "\(web.stderr)")
        let response = try Self.frameResponse(toFailedBind: web.stderr)
        let framed = try await Self.whoami(running.ldapsURL, "cn=alice,\(Self.base)", response, running)
        #expect(framed.status == 0, "\(framed.stderr)\n\(running.proxy.transcript)")
        let framedForBob = try await Self.whoami(running.ldapsURL, "cn=bob,\(Self.base)", response, running)
        #expect(framedForBob.status == 49, "alice's response opens no other user's bind")

        // Refusals: wrong secret key, unknown IKEY, empty password (never reaches Duo), clear bind.
        let wrongKey = try await Self.whoami(running.ldapsURL, Self.base, "not-the-secret-key", running)
        #expect(wrongKey.status == 49, "\(wrongKey.stderr)")
        let otherKey = try await Self.whoami(running.ldapsURL, Self.base2, Self.skey, running)
        #expect(otherKey.status == 49, "one integration's secret key does not open another")
        let unknown = try await Self.whoami(running.ldapsURL, "dc=DIUNKNOWN00000000000,dc=duosecurity,dc=com", Self.skey, running)
        #expect(unknown.status == 49)
        let authsBefore = running.sim.stats().users["alice"]?.auth ?? 0
        let empty = try await Self.whoami(running.ldapsURL, "cn=alice,\(Self.base)", "", running)
        #expect(empty.status == 53, "\(empty.stderr)")
        #expect(running.sim.stats().users["alice"]?.auth ?? 0 == authsBefore)
        let clear = try await Self.whoami(running.clearURL, Self.base, Self.skey, running)
        #expect(clear.status == 13, "a bind before StartTLS is refused: \(clear.stderr)")

        // The second integration on the same ports.
        let second = try await Self.whoami(running.ldapsURL, Self.base2, Self.skey2, running)
        #expect(second.status == 0, "\(second.stderr)")
        let secondUser = try await Self.whoami(running.ldapsURL, "cn=alice,\(Self.base2)", "push", running)
        #expect(secondUser.status == 0, "\(secondUser.stderr)")

        await running.proxy.stop(grace: .seconds(25))
        #expect(running.proxy.terminationStatus == 0, "\(running.proxy.transcript)")
        #expect(!running.proxy.transcript.contains(Self.skey), "the secret key is never logged")
        let events = try String(contentsOf: running.folder.appendingPathComponent("authevents.log"), encoding: .utf8)
        #expect(events.contains("\"server_section\": \"ldap_server_duo_only2\""), "\(events)")
        await running.stop()
    }

    /// `[main] state_key` seals the LDAP continuation too: the Duo Web request one twofold hands out
    /// (its APP cookie is signed with an `akey` derived from the key) is answered on another twofold
    /// with the same key and configuration; a twofold with another key refuses it.
    @Test(.enabled(if: Peers.shouldRun("ldapwhoami")), .timeLimit(.minutes(3)))
    func aDuoWebRequestBegunOnOneProcessIsAnsweredOnAnother() async throws {
        let shared = "state_key=the-key-every-twofold-here-shares"
        let first = try await Self.start(main: shared)
        let second = try await Self.start(main: shared)
        let other = try await Self.start(main: "state_key=a-key-of-another-deployment-entirely")
        let web = try await Self.whoami(first.ldapsURL, "cn=alice,\(Self.base)", "web", first)
        #expect(web.status == 49, "\(web.stderr)")
        let response = try Self.frameResponse(toFailedBind: web.stderr)
        let refused = try await Self.whoami(other.ldapsURL, "cn=alice,\(Self.base)", response, other)
        #expect(refused.status == 49, "another state_key cannot open the request: \(refused.stderr)")
        let answered = try await Self.whoami(second.ldapsURL, "cn=alice,\(Self.base)", response, second)
        #expect(answered.status == 0, "\(answered.stderr)\n\(second.proxy.transcript)")
        #expect(second.sim.stats().users["alice"]?.auth ?? 0 == 0, "a verified Duo Web response needs no Duo call")
        await first.stop()
        await second.stop()
        await other.stop()
    }

    /// `max_connections_per_address`: past it, a connection from that address is closed at once
    /// and the refusal logged; once one closes, the address is served again.
    @Test(.enabled(if: Peers.shouldRun("ldapwhoami")), .timeLimit(.minutes(2)))
    func theConnectionCapsAreConfigurable() async throws {
        let metricsPort = try FreePort.tcp()
        let running = try await Self.start(extra: "max_connections=10\nmax_connections_per_address=1", main: "metrics_listen=127.0.0.1:\(metricsPort)")
        defer { try? FileManager.default.removeItem(at: running.folder) }
        let held = try await TCPExchange(to: running.port)
        try await Wait.until("the first connection is admitted", timeout: .seconds(10)) { !held.isClosedByServer }
        let refused = try await TCPExchange(to: running.port)
        try await Wait.until("the second connection is closed", timeout: .seconds(30)) { refused.isClosedByServer }
        #expect(running.proxy.standardError.contains("127.0.0.1 has 1 connections open (the per-address limit)"), "\(running.proxy.transcript)")
        let metrics = try await MetricsEndpointTests.get("/metrics", port: metricsPort)
        #expect(metrics.contains("twofold_ldap_connections_open{listener=\"127.0.0.1:\(running.port)\"} 1"), "\(metrics)")
        #expect(metrics.contains(
            "twofold_ldap_connections_refused_total{listener=\"127.0.0.1:\(running.port)\",reason=\"max_connections_per_address\"} 1"), "\(metrics)")
        await held.close()
        try await Wait.until("the address is served again", timeout: .seconds(30)) {
            try await Self.whoami(running.ldapsURL, Self.base, Self.skey, running).status == 0
        }
        await running.proxy.stop(grace: .seconds(25))
        await running.stop()
    }

    // MARK: - ldap3: one connection, as a Juniper device keeps it

    static let ldap3Script = """
        import json, ssl, sys
        from ldap3 import Server, Connection, Tls, SIMPLE
        url, ca, base, skey = sys.argv[1:5]
        tls = Tls(ca_certs_file=ca, validate=ssl.CERT_REQUIRED)
        server = Server(url, use_ssl=url.startswith("ldaps"), tls=tls, get_info=None)
        out = {}
        conn = Connection(server, user=base, password=skey, authentication=SIMPLE, raise_exceptions=False)
        conn.open()
        if not url.startswith("ldaps"):
            out["start_tls"] = conn.start_tls()
        out["integration"] = conn.bind()
        conn.search(base, "(cn=alice)", attributes=["cn"])
        out["entries"] = [e.entry_dn for e in conn.entries]
        out["cn"] = [str(e.cn) for e in conn.entries]
        for name, password in [("alice", "push"), ("alice", "push1"), ("bob", "push"), ("alice", "sms"), ("alice", "123456")]:
            ok = conn.rebind(user="cn=%s,%s" % (name, base), password=password)
            out["%s/%s" % (name, password)] = [ok, conn.result["result"], conn.result["message"]]
        conn.search(base, "(cn=alice)")
        out["search_as_user"] = conn.result["result"]
        out["whoami"] = str(conn.extend.standard.who_am_i())
        conn.unbind()
        print(json.dumps(out))
        """

    static func ldap3(_ url: String, _ running: Running) async throws -> [String: Any] {
        let result = try await PeerProcess.run(
            try Peers.python(), ["-c", ldap3Script, url, running.caFile, base, skey], timeout: .seconds(90))
        #expect(result.status == 0, "\(result.stderr)\n\(running.proxy.transcript)")
        let line = result.stdout.split(separator: "\n").last.map(String.init) ?? "{}"
        return try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
    }

    @Test(.enabled(if: Peers.shouldRunPython), .timeLimit(.minutes(3)))
    func theJuniperSequenceOnOneConnectionWithLdap3() async throws {
        let running = try await Self.start()
        for url in [running.ldapsURL, running.clearURL] {
            let out = try await Self.ldap3(url, running)
            if url == running.clearURL { #expect(out["start_tls"] as? Bool == true) }
            #expect(out["integration"] as? Bool == true, "\(url): \(out)")
            #expect(out["entries"] as? [String] == ["cn=alice,\(Self.base)"], "\(out)")
            #expect(out["cn"] as? [String] == ["alice"])
            #expect((out["alice/push"] as? [Any])?.first as? Bool == true, "\(out)")
            #expect((out["alice/push1"] as? [Any])?.first as? Bool == true, "push1 is the first push device: \(out)")
            #expect((out["bob/push"] as? [Any])?[1] as? Int == 49)
            let sms = out["alice/sms"] as? [Any]
            #expect(sms?[1] as? Int == 49)
            #expect((sms?[2] as? String)?.contains("New SMS passcodes sent") == true, "\(out)")
            #expect((out["alice/123456"] as? [Any])?.first as? Bool == true)
            #expect(out["search_as_user"] as? Int == 50, "a user may not search")
            #expect(out["whoami"] as? String == "dn:cn=alice,\(Self.base)")
        }
        await running.stop()
    }

    @Test(.timeLimit(.minutes(3)))
    func benchLDAPRunsJuniperLoginsAndCountsRefusals() async throws {
        let running = try await Self.start()
        func bench(_ extra: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
            try await PeerProcess.run(RunCommandTests.twofold, [
                "bench", "ldap", "--bind-dn", Self.base, "--ca-file", running.caFile, "--concurrency", "1", "--duration", "1",
            ] + extra, timeout: .seconds(60))
        }
        let logins = try await bench(["--server", running.ldapsURL, "--password", Self.skey, "--user", "alice", "--factor", "123456"])
        #expect(logins.status == 0, "\(logins.stderr)")
        // logins N, succeeded N, refused 0, failed 0
        let numbers = logins.stdout.split(separator: "\n").first.map { $0.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) } } ?? []
        #expect(numbers.count == 4 && numbers[0] > 0 && numbers[0] == numbers[1] && numbers[2...] == [0, 0], "\(logins.stdout)")
        let fresh = try await bench([
            "--server", running.clearURL, "--start-tls", "--password", Self.skey, "--new-connection-each",
        ])
        #expect(fresh.stdout.contains("refused 0, failed 0"), "\(fresh.stdout)")
        let wrong = try await bench(["--server", running.ldapsURL, "--password", "wrong"])
        #expect(wrong.stdout.contains(", succeeded 0,"), "\(wrong.stdout)")
        await running.stop()
    }

    // MARK: - Failmode

    @Test(.enabled(if: Peers.shouldRun("ldapwhoami")), .timeLimit(.minutes(3)), arguments: ["safe", "secure"])
    func failmodeWhenDuoIsDown(_ failmode: String) async throws {
        let running = try await Self.start(failmode: failmode, extra: "api_timeout=2")
        running.sim.setFault(.down(path: "/auth/v2/preauth"))
        let answer = try await Self.whoami(running.ldapsURL, "cn=alice,\(Self.base)", "push", running)
        #expect(answer.status == (failmode == "safe" ? 0 : 49), "\(answer.stderr)\n\(running.proxy.transcript)")
        running.sim.clearFaults()
        running.sim.setFault(.status(401, path: "/auth/v2/preauth"))
        let refused = try await Self.whoami(running.ldapsURL, "cn=alice,\(Self.base)", "push", running)
        #expect(refused.status == 49, "a refusal by Duo is denied in every failmode")
        running.sim.clearFaults()
        #expect(try await Self.whoami(running.ldapsURL, "cn=bob,\(Self.base)", "push", running).status == 49)
        #expect(running.proxy.standardError.components(separatedBy: "fail-open").count - 1 == (failmode == "safe" ? 1 : 0))
        await running.stop()
    }

    // MARK: - Hostile input and lifecycle

    @Test(.enabled(if: Peers.shouldRun("ldapwhoami")), .timeLimit(.minutes(3)))
    func hostileBytesCloseOnlyTheirConnection() async throws {
        let running = try await Self.start()
        let cases: [(String, [UInt8])] = [
            ("a length of 4 GiB", [0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]),
            ("an indefinite length", [0x30, 0x80, 0x02, 0x01, 0x01, 0x42, 0x00, 0x00, 0x00]),
            ("five length octets", [0x30, 0x85, 0x00, 0x00, 0x00, 0x00, 0x05]),
            ("a wrong outer tag", [0x31, 0x03, 0x02, 0x01, 0x01]),
            ("over the limit before a bind", [0x30, 0x83, 0x01, 0x00, 0x00]),
        ]
        for (what, bytes) in cases {
            let connection = try await TCPExchange(to: running.port)
            try await connection.send(bytes)
            let answer = try await connection.waitForClose()
            #expect(answer.isEmpty, "\(what): closed without an answer")
        }
        // messageID 0: a Notice of Disconnection with protocolError, then the close.
        let zero = try await TCPExchange(to: running.port)
        try await zero.send([0x30, 0x05, 0x02, 0x01, 0x00, 0x42, 0x00])
        let notice = try LDAPMessage.decode(bytes: try await zero.waitForClose())
        guard case .extendedResponse(let response) = notice.protocolOp else {
            Issue.record("expected a Notice of Disconnection")
            return
        }
        #expect(notice.messageID == 0 && response.responseName == LDAPOID.noticeOfDisconnection)
        #expect(response.result.resultCode == .protocolError)

        // An element longer than its parent, and a constructed password string: the same notice.
        for bytes: [UInt8] in [
            [0x30, 0x05, 0x02, 0x09, 0x01, 0x42, 0x00],
            [0x30, 0x0C, 0x02, 0x01, 0x01, 0x60, 0x07, 0x02, 0x01, 0x03, 0x04, 0x00, 0xA0, 0x00],
        ] {
            let connection = try await TCPExchange(to: running.port)
            try await connection.send(bytes)
            let answer = try LDAPMessage.decode(bytes: try await connection.waitForClose())
            #expect(answer.messageID == 0, "\(bytes): \(answer)")
        }

        // A bind with version 2: a protocolError BindResponse, and the connection goes on.
        let version = try await TCPExchange(to: running.port)
        var bind = LDAPMessage(messageID: 1, protocolOp: .bindRequest(.simple(name: Self.base, password: Array(Self.skey.utf8)))).encodedBytes()
        bind[bind.firstIndex(of: 0x03)!] = 0x02
        try await version.send(bind)
        let refused = try LDAPMessage.decode(bytes: try await version.waitForBytes(10))
        guard case .bindResponse(let bindResponse) = refused.protocolOp else {
            Issue.record("expected a BindResponse, got \(refused)")
            return
        }
        #expect(bindResponse.result.resultCode == .protocolError)
        #expect(!version.isClosedByServer)
        await version.close()

        // StartTLS with plaintext pipelined behind it: closed, never taken as protected.
        let pipelined = try await TCPExchange(to: running.port)
        var bytes = LDAPMessage(messageID: 1, protocolOp: .extendedRequest(.startTLS)).encodedBytes()
        bytes += LDAPMessage(messageID: 2, protocolOp: .bindRequest(.simple(name: Self.base, password: Array(Self.skey.utf8)))).encodedBytes()
        try await pipelined.send(bytes)
        let closing = try await pipelined.waitForClose()
        let first = try LDAPMessage.decode(bytes: closing)
        #expect(first.messageID == 0, "only the Notice of Disconnection, no StartTLS success: \(first)")

        // A connection that says nothing is closed after the first-PDU deadline (10 s).
        let silent = try await TCPExchange(to: running.port)
        _ = try await silent.waitForClose(timeout: .seconds(40))

        // The next client is served.
        #expect(try await Self.whoami(running.ldapsURL, Self.base, Self.skey, running).status == 0)
        await running.stop()
    }

    /// minimum_tls_version is applied: a client that offers at most TLS 1.2 is refused by a section
    /// that asks for 1.3, and accepted by the default (1.2).
    @Test(.enabled(if: Peers.shouldRunPython), .timeLimit(.minutes(2)), arguments: [true, false])
    func minimumTLSVersion(_ requireTLS13: Bool) async throws {
        let running = try await Self.start(extra: requireTLS13 ? "minimum_tls_version=1.3" : "")
        let script = """
            import socket, ssl, sys
            ctx = ssl.create_default_context(cafile=sys.argv[2])
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
            try:
                with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20) as raw:
                    with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                        print("handshake", tls.version())
            except ssl.SSLError as error:
                print("refused", error.reason)
            """
        let result = try await PeerProcess.run(try Peers.python(), ["-c", script, "\(running.sslPort)", running.caFile], timeout: .seconds(60))
        #expect(result.stdout.hasPrefix(requireTLS13 ? "refused" : "handshake TLSv1.2"), "\(result.stdout)\(result.stderr)")
        await running.stop()
    }

    @Test(.enabled(if: Peers.shouldRun("ldapwhoami")), .timeLimit(.minutes(2)))
    func sigtermDuringAPendingPushStillAnswersTheBind() async throws {
        let running = try await Self.start()
        async let pending = Self.whoami(running.ldapsURL, "cn=slow,\(Self.base)", "push", running)
        try await Wait.until("the push is pending at Duo", timeout: .seconds(20)) {
            running.sim.stats().users["slow"]?.auth == 1
        }
        kill(running.proxy.pid, SIGTERM)
        let answer = try await pending
        // The bind is answered with success. ldapwhoami then sends WhoAmI, which may reach a
        // connection the stop is already closing (no bind is in flight any more): it then reports
        // the bind's success and a lost connection. A lost bind answer reads
        // "ldap_sasl_bind(SIMPLE): Can't contact LDAP server" and fails here.
        #expect(answer.status == 0 || answer.stderr.contains("ldap_bind: Success (0)"), "\(answer.stderr)\n\(running.proxy.transcript)")
        #expect(try await running.proxy.waitForExit(timeout: .seconds(30)) == 0)
        await running.stop()
    }

    @Test(.timeLimit(.minutes(1)))
    func configurationErrorsNameTheLine() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("twofold-ldap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("authproxy.cfg").path
        try "[ldap_server_duo_only]\nikey=DI\nskey=s\napi_host=h\nssl_cert_path=c.pem\n".write(toFile: path, atomically: true, encoding: .utf8)
        let result = try await PeerProcess.run(RunCommandTests.twofold, ["run", "--config", path], timeout: .seconds(20))
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(path):5: [ldap_server_duo_only] ssl_cert_path: is set without ssl_key_path"), "\(result.stderr)")
    }
}
