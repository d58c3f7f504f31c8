import DuoSim
import Foundation
import TestSupport
import Testing

/// `twofold run` with `[ldap_server_auto]` sections in front of a test slapd, driven as a device
/// drives a directory (ldapwhoami, ldapsearch, and ldap3 for several binds on one connection), Duo
/// being the simulator. Its counters (per user, per integration key) say which binds reached Duo.
///
/// One process serves two listeners: `port` with one section (the reference's defaults plus
/// `exempt_ou_1`), and `realmsPort` with two sections told apart by `match_bind_dn_suffix`, each its
/// own Duo integration, with `exempt_primary_bind=false` so that every bind there goes to Duo.
@Suite(.serialized) struct LDAPAutoRunCommandTests {
    static let ikey = "DIAUTO00000000000001"
    static let ikeyPeople = "DIAUTOPEOPLE00000002"
    static let ikeyRest = "DIAUTOREST0000000003"
    /// An `[ldap_server_duo_only]` section on the realms' port.
    static let ikeyDuoOnly = "DIAUTODUOONLY0000004"
    static let skey = "auto-section-secret-key-000000000000000001"
    static let service = SlapdPeer.ServiceAccount(name: "vpn", password: "vpn-service-secret")

    struct Running {
        var directory: SlapdPeer
        var sim: DuoSimServer
        var proxy: PeerProcess
        var port: Int
        var realmsPort: Int
        /// LDAPS of the first listener, when started with TLS.
        var sslPort: Int?
        var folder: URL

        var caFile: String { folder.appendingPathComponent("ldap-ca.pem").path }

        var url: String { "ldap://127.0.0.1:\(port)" }
        var realmsURL: String { "ldap://127.0.0.1:\(realmsPort)" }
        var adminDN: String { directory.adminDN }
        var serviceDN: String { directory.serviceAccountDN! }
        var aliceDN: String { directory.dn(of: "alice") }
        var bobDN: String { directory.dn(of: "bob") }

        func stop() async {
            await proxy.stop(grace: .seconds(25))
            await sim.stop()
            await directory.stop()
            try? FileManager.default.removeItem(at: folder)
        }
    }

    /// - Parameter tls: the first listener gets a certificate: LDAPS on its own port, StartTLS on `port`.
    /// - Parameter apiTimeout: a short `api_timeout` for the failmode tests only: under load a Duo
    ///   answer may take longer, and `safe` would then let a login in without Duo having seen it.
    static func start(failmode: String = "safe", apiTimeout: Int? = nil, tls: Bool = false) async throws -> Running {
        let directory = try await SlapdPeer.start(serviceAccount: service)
        let sim = try await DuoSimServer.start(DuoSimConfiguration(
            integrations: [ikey: skey, ikeyPeople: skey, ikeyRest: skey, ikeyDuoOnly: skey],
            users: DuoSimUsers(users: [
                "alice": DuoSimUser(push: .approve, passcodes: ["123456"]),
                "bob": DuoSimUser(push: .deny),
                "admin": DuoSimUser(push: .approve),
            ]),
            tls: .selfSigned))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("twofold-ldap-auto-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try (sim.caCertificatePEM ?? "").write(to: folder.appendingPathComponent("duo-ca.pem"), atomically: true, encoding: .utf8)
        let port = try FreePort.tcp()
        let realmsPort = try FreePort.tcp()
        var tlsLines = ""
        var sslPort: Int?
        if tls {
            let certificates = try DuoSimCertificates.generate(caName: "twofold LDAP auto test CA")
            try certificates.caCertificatePEM.write(to: folder.appendingPathComponent("ldap-ca.pem"), atomically: true, encoding: .utf8)
            try certificates.leafCertificatePEM.write(to: folder.appendingPathComponent("ldap-cert.pem"), atomically: true, encoding: .utf8)
            try certificates.leafPrivateKeyPEM.write(to: folder.appendingPathComponent("ldap-key.pem"), atomically: true, encoding: .utf8)
            let port = try FreePort.tcp()
            sslPort = port
            tlsLines = "\nssl_port=\(port)\nssl_cert_path=ldap-cert.pem\nssl_key_path=ldap-key.pem"
        }
        func section(_ name: String, _ ikey: String, port: Int, _ lines: String) -> String {
            """
            [\(name)]
            ikey=\(ikey)
            skey=\(skey)
            api_host=127.0.0.1
            api_port=\(sim.port)
            \(name.hasPrefix("ldap_server_auto") ? "client=ad_client" : "")
            failmode=\(failmode)
            \(apiTimeout.map { "api_timeout=\($0)" } ?? "")
            interface=127.0.0.1
            port=\(port)
            \(lines)

            """
        }
        let config = """
            [main]
            http_ca_certs_file=\(folder.appendingPathComponent("duo-ca.pem").path)


            """
            + RunCommandTests.adClient(directory)
            + "\n"
            + section("ldap_server_auto", ikey, port: port, "exempt_ou_1=ou=services,\(directory.baseDN)" + tlsLines)
            + section("ldap_server_auto2", ikeyPeople, port: realmsPort, "exempt_primary_bind=false\nmatch_bind_dn_suffix=\(directory.peopleDN)")
            + section("ldap_server_auto3", ikeyRest, port: realmsPort, "exempt_primary_bind=false\nmatch_bind_dn_suffix=\(directory.baseDN)")
            + section("ldap_server_duo_only", ikeyDuoOnly, port: realmsPort, "")
        let path = folder.appendingPathComponent("authproxy.cfg").path
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        let proxy = try PeerProcess(RunCommandTests.twofold, ["run", "--config", path, "--grace", "20"])
        try await Wait.until("twofold listens on both LDAP ports", timeout: .seconds(20)) {
            guard proxy.isRunning else { throw PeerMissing(peer: "twofold run exited: \(proxy.transcript)") }
            let clear = proxy.standardError.components(separatedBy: "(clear LDAP, no TLS)").count - 1
            return tls ? clear == 1 && proxy.standardError.contains("(LDAPS)") && proxy.standardError.contains("(LDAP with StartTLS)") : clear == 2
        }
        return Running(
            directory: directory, sim: sim, proxy: proxy, port: port, realmsPort: realmsPort, sslPort: sslPort, folder: folder)
    }

    /// Runs an OpenLDAP client tool; with `caFile`, trusting only that CA.
    static func tool(_ name: String, _ arguments: [String], caFile: String? = nil) async throws -> (status: Int32, stdout: String, stderr: String) {
        var environment = ["LDAPCONF": "/dev/null", "LDAPRC": "/dev/null"]
        if let caFile {
            environment["LDAPTLS_CACERT"] = caFile
            environment["LDAPTLS_REQCERT"] = "demand"
        }
        return try await PeerProcess.run(try Peers.tool(name), arguments, environment: environment, timeout: .seconds(60))
    }

    static func whoami(
        _ url: String, _ dn: String, _ password: String, startTLS: Bool = false, caFile: String? = nil
    ) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await tool("ldapwhoami", ["-H", url, "-x"] + (startTLS ? ["-ZZ"] : []) + ["-D", dn, "-w", password], caFile: caFile)
    }

    static func duoRequests(_ running: Running, _ ikey: String) -> Int {
        running.sim.stats().integrations[ikey]?.requests ?? 0
    }

    // MARK: - ldapwhoami and ldapsearch

    @Test(.enabled(if: Peers.shouldRun("ldapwhoami", "ldapsearch", "slapd")), .timeLimit(.minutes(3)))
    func theOpenLDAPToolsThroughTheProxy() async throws {
        let running = try await Self.start()

        // One bind per connection: the exempt primary bind, checked by the directory alone.
        let service = try await Self.whoami(running.url, running.serviceDN, Self.service.password)
        #expect(service.status == 0, "\(service.stderr)\n\(running.proxy.transcript)")
        #expect(service.stdout.contains("dn:\(running.serviceDN)"), "\(service.stdout)")
        let wrong = try await Self.whoami(running.url, running.serviceDN, "not-the-password")
        #expect(wrong.status == 49, "\(wrong.stderr)")
        let unknown = try await Self.whoami(running.url, "cn=nobody,ou=services,\(running.directory.baseDN)", "whatever")
        #expect(unknown.status == 49, "an unknown user looks like a wrong password: \(unknown.stderr)")
        let empty = try await Self.whoami(running.url, running.serviceDN, "")
        #expect(empty.status == 53, "\(empty.stderr)")
        // The directory's admin is outside exempt_ou_1: only the primary-bind exemption spares it Duo.
        let admin = try await Self.whoami(running.url, running.adminDN, running.directory.adminPassword)
        #expect(admin.status == 0, "\(admin.stderr)")
        #expect(Self.duoRequests(running, Self.ikey) == 0, "no Duo call for primary binds")

        // Searches are relayed on the client's connection: the entries come back from slapd.
        let search = try await Self.tool("ldapsearch", [
            "-H", running.url, "-x", "-LLL", "-D", running.serviceDN, "-w", Self.service.password, "-b", running.directory.peopleDN,
            "(objectClass=inetOrgPerson)", "uid", "cn",
        ])
        #expect(search.status == 0, "\(search.stderr)")
        #expect(search.stdout.contains("dn: \(running.aliceDN)") && search.stdout.contains("dn: \(running.bobDN)"), "\(search.stdout)")
        #expect(search.stdout.contains("cn: Alice Liddell"), "\(search.stdout)")
        // Anonymous (ldapsearch without -D) is refused, and nothing is relayed before a bind.
        let anonymous = try await Self.tool("ldapsearch", ["-H", running.url, "-x", "-LLL", "-b", running.directory.peopleDN, "(uid=alice)"])
        #expect(anonymous.status == 48, "\(anonymous.stderr)")

        // Two realms on one port, by the bind DN's suffix, each its own Duo integration.
        let people = try await Self.whoami(running.realmsURL, running.aliceDN, "alice-secret-1")
        #expect(people.status == 0, "\(people.stderr)\n\(running.proxy.transcript)")
        #expect(Self.duoRequests(running, Self.ikeyPeople) > 0)
        #expect(Self.duoRequests(running, Self.ikeyRest) == 0)
        let rest = try await Self.whoami(running.realmsURL, running.adminDN, running.directory.adminPassword)
        #expect(rest.status == 0, "\(rest.stderr)\n\(running.proxy.transcript)")
        #expect(Self.duoRequests(running, Self.ikeyRest) > 0)
        let peopleRequests = Self.duoRequests(running, Self.ikeyPeople)
        let denied = try await Self.whoami(running.realmsURL, running.bobDN, "bob-secret-2")
        #expect(denied.status == 49, "Duo denied bob's push: \(denied.stderr)")
        #expect(Self.duoRequests(running, Self.ikeyPeople) > peopleRequests)
        let nowhere = try await Self.whoami(running.realmsURL, "uid=alice,dc=example,dc=org", "alice-secret-1")
        #expect(nowhere.status == 49)
        #expect(nowhere.stderr.contains("no realm matched"), "\(nowhere.stderr)")
        #expect(Self.duoRequests(running, Self.ikey) == 0, "the first listener's integration was never asked")
        // A duo-only section on the same port keeps its DNs: the integration bind with its secret key.
        let integration = try await Self.whoami(running.realmsURL, "dc=\(Self.ikeyDuoOnly),dc=duosecurity,dc=com", Self.skey)
        #expect(integration.status == 0, "\(integration.stderr)\n\(running.proxy.transcript)")
        #expect(integration.stdout.contains("dn:dc=\(Self.ikeyDuoOnly),dc=duosecurity,dc=com"), "\(integration.stdout)")

        await running.proxy.stop(grace: .seconds(25))
        #expect(running.proxy.terminationStatus == 0, "\(running.proxy.transcript)")
        #expect(!running.proxy.transcript.contains("alice-secret-1"), "passwords are never logged")
        await running.stop()
    }

    // MARK: - TLS

    /// The listener options of `[ldap_server_duo_only]` serve auto sections too: LDAPS, StartTLS,
    /// and no bind in the clear where StartTLS is offered.
    @Test(.enabled(if: Peers.shouldRun("ldapwhoami", "ldapsearch", "slapd")), .timeLimit(.minutes(3)))
    func ldapsAndStartTLS() async throws {
        let running = try await Self.start(tls: true)
        let ldapsURL = "ldaps://127.0.0.1:\(running.sslPort!)"
        let ldaps = try await Self.whoami(ldapsURL, running.serviceDN, Self.service.password, caFile: running.caFile)
        #expect(ldaps.status == 0, "\(ldaps.stderr)\n\(running.proxy.transcript)")
        let startTLS = try await Self.whoami(running.url, running.serviceDN, Self.service.password, startTLS: true, caFile: running.caFile)
        #expect(startTLS.status == 0, "\(startTLS.stderr)")
        let clear = try await Self.whoami(running.url, running.serviceDN, Self.service.password)
        #expect(clear.status == 13, "a bind before StartTLS is refused: \(clear.stderr)")
        let search = try await Self.tool("ldapsearch", [
            "-H", ldapsURL, "-x", "-LLL", "-D", running.serviceDN, "-w", Self.service.password, "-b", running.directory.peopleDN, "(uid=bob)", "cn",
        ], caFile: running.caFile)
        #expect(search.status == 0 && search.stdout.contains("cn: Bob Builder"), "\(search.stdout)\n\(search.stderr)")
        #expect(Self.duoRequests(running, Self.ikey) == 0)
        await running.stop()
    }

    // MARK: - Failmode

    /// Duo down: `safe` lets a user in once the directory accepted the password, `secure` does not;
    /// a wrong password is refused in both, and a refusal by Duo (401) is a refusal in both.
    @Test(.enabled(if: Peers.shouldRun("ldapwhoami", "slapd")), .timeLimit(.minutes(3)), arguments: ["safe", "secure"])
    func failmodeWhenDuoIsDown(_ failmode: String) async throws {
        let running = try await Self.start(failmode: failmode, apiTimeout: 2)
        running.sim.setFault(.down(path: "/auth/v2/preauth"))
        let answer = try await Self.whoami(running.realmsURL, running.aliceDN, "alice-secret-1")
        #expect(answer.status == (failmode == "safe" ? 0 : 49), "\(answer.stderr)\n\(running.proxy.transcript)")
        let wrong = try await Self.whoami(running.realmsURL, running.aliceDN, "wrong")
        #expect(wrong.status == 49, "safe opens only after the directory accepted the password")
        running.sim.clearFaults()
        running.sim.setFault(.status(401, path: "/auth/v2/preauth"))
        let refused = try await Self.whoami(running.realmsURL, running.aliceDN, "alice-secret-1")
        #expect(refused.status == 49, "a refusal by Duo is denied in every failmode")
        running.sim.clearFaults()
        #expect(running.proxy.standardError.components(separatedBy: "fail-open").count - 1 == (failmode == "safe" ? 1 : 0))
        await running.stop()
    }

    // MARK: - ldap3: several binds on one connection, as a device keeps it

    static let ldap3Script = """
        import json, sys
        from ldap3 import Server, Connection, SIMPLE, MODIFY_REPLACE
        url, service_dn, service_pw, alice_dn, bob_dn, admin_dn, admin_pw, base = sys.argv[1:9]
        server = Server(url, get_info=None)
        out = {}

        def bound(user, password):
            conn = Connection(server, user=user, password=password, authentication=SIMPLE, raise_exceptions=False)
            conn.open()
            return conn, conn.bind()

        # Before any bind: a write is refused and never forwarded.
        conn = Connection(server, raise_exceptions=False)
        conn.open()
        conn.add("cn=early,%s" % base, "device", {"cn": "early"})
        out["write_before_bind"] = conn.result["result"]
        conn.unbind()

        # The device: service bind, search, the user's bind (push), then a further bind.
        conn, ok = bound(service_dn, service_pw)
        out["service"] = ok
        conn.search("ou=people," + base, "(uid=alice)", attributes=["cn"])
        out["entries"] = [e.entry_dn for e in conn.entries]
        out["alice_push"] = [conn.rebind(user=alice_dn, password="alice-secret-1"), conn.result["result"]]
        try:
            again = conn.rebind(user=service_dn, password=service_pw)
        except Exception as error:
            again = "closed: %s" % type(error).__name__
        out["further_bind"] = again if isinstance(again, str) else [again, conn.result.get("result") if conn.result else None]
        out["closed"] = conn.closed or (conn.socket is None)

        # A passcode after the password.
        conn, ok = bound(service_dn, service_pw)
        out["alice_passcode"] = [conn.rebind(user=alice_dn, password="alice-secret-1,123456"), conn.result["result"]]
        conn.unbind()

        # A wrong password: the directory refuses, Duo is never asked.
        conn, ok = bound(service_dn, service_pw)
        out["alice_wrong"] = [conn.rebind(user=alice_dn, password="wrong,123456"), conn.result["result"]]
        conn.unbind()

        # An exempt OU: a second bind below ou=services skips Duo.
        conn, ok = bound(service_dn, service_pw)
        out["exempt_ou"] = [conn.rebind(user=service_dn, password=service_pw), conn.result["result"]]
        conn.unbind()

        # Duo denies bob: 49 with Duo's message.
        conn, ok = bound(service_dn, service_pw)
        out["bob_denied"] = [conn.rebind(user=bob_dn, password="bob-secret-2"), conn.result["result"], conn.result["message"]]
        # The refused bind dropped the service account's identity too.
        conn.search("ou=people," + base, "(uid=alice)")
        out["search_after_denied"] = conn.result["result"]
        conn.unbind()

        # Writes are relayed after a bind (the directory's admin may write).
        conn, ok = bound(admin_dn, admin_pw)
        conn.add("cn=router1,%s" % base, "device", {"cn": "router1", "description": "added through twofold"})
        out["write_after_bind"] = conn.result["result"]
        conn.search(base, "(cn=router1)", attributes=["description"])
        out["written"] = [str(e.description) for e in conn.entries]
        conn.search(base, "(cn=early)")
        out["early_entries"] = len(conn.entries)
        conn.unbind()
        print(json.dumps(out))
        """

    @Test(.enabled(if: Peers.shouldRunPython && Peers.shouldRun("slapd")), .timeLimit(.minutes(3)))
    func bindsSearchesAndWritesOnOneConnectionWithLdap3() async throws {
        let running = try await Self.start()
        let result = try await PeerProcess.run(
            try Peers.python(),
            ["-c", Self.ldap3Script, running.url, running.serviceDN, Self.service.password, running.aliceDN, running.bobDN,
             running.adminDN, running.directory.adminPassword, running.directory.baseDN],
            timeout: .seconds(90))
        #expect(result.status == 0, "\(result.stderr)\n\(running.proxy.transcript)")
        let line = result.stdout.split(separator: "\n").last.map(String.init) ?? "{}"
        let out = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]

        #expect(out["write_before_bind"] as? Int == 50, "\(out)")
        #expect(out["service"] as? Bool == true, "\(out)\n\(running.proxy.transcript)")
        #expect(out["entries"] as? [String] == [running.aliceDN], "\(out)")
        #expect((out["alice_push"] as? [Any])?.first as? Bool == true, "\(out)\n\(running.proxy.transcript)")
        #expect((out["further_bind"] as? [Any])?.first as? Bool != true, "allow_unlimited_binds=false: \(out)")
        #expect(out["closed"] as? Bool == true, "\(out)")
        #expect(running.proxy.standardError.contains("allow_unlimited_binds=false"), "the log says why the connection closed")
        #expect((out["alice_passcode"] as? [Any])?.first as? Bool == true, "\(out)")
        #expect((out["alice_wrong"] as? [Any])?[1] as? Int == 49, "\(out)")
        #expect((out["exempt_ou"] as? [Any])?.first as? Bool == true, "\(out)")
        let bob = out["bob_denied"] as? [Any]
        #expect(bob?[1] as? Int == 49, "\(out)")
        #expect((bob?[2] as? String)?.isEmpty == false, "Duo's message: \(out)")
        #expect(out["search_after_denied"] as? Int == 50, "\(out)")
        #expect(out["write_after_bind"] as? Int == 0, "\(out)")
        #expect(out["written"] as? [String] == ["added through twofold"], "\(out)")
        #expect(out["early_entries"] as? Int == 0, "nothing was written before the bind (that it is never relayed is the state machine tests' to show): \(out)")

        let stats = running.sim.stats()
        #expect(stats.users["alice"]?.auth == 2, "one push, one passcode; the wrong password never reached Duo: \(stats.users)")
        #expect(stats.users["vpn"] == nil, "neither the primary bind nor the exempt OU asked Duo: \(stats.users)")
        #expect(stats.users["bob"]?.auth == 1)
        await running.stop()
    }
}
