import DuoAPI
import DuoSim
import Foundation
import RADIUSWire
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `twofold run` as an administrator runs it: the built binary, a config file, Duo over TLS (the
/// simulator with its CA in http_ca_certs_file), radclient as the device, SIGTERM to stop.
@Suite(.serialized) struct RunCommandTests {
    static let ikey = "DIWJ8X6AEYOR5OMC6TQ1"
    static let skey = "Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep"
    static let secret = "device-secret-0123456789"

    static var twofold: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("twofold").path
    }

    struct Running {
        var sim: DuoSimServer
        var proxy: PeerProcess
        var port: Int
        var folder: URL
    }

    static func start(failmode: String = "safe", mode: String = "radius_server_duo_only", extra: String = "", sections: String = "") async throws -> Running {
        let sim = try await DuoSimServer.start(DuoSimConfiguration(
            integrations: [ikey: skey],
            users: DuoSimUsers(users: [
                "alice": DuoSimUser(push: .approve, passcodes: ["123456"]),
                "bob": DuoSimUser(push: .deny),
                "slow": DuoSimUser(push: .approve, pushDelayMilliseconds: 3_000),
            ]),
            tls: .selfSigned))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("twofold-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try (sim.caCertificatePEM ?? "").write(to: folder.appendingPathComponent("duo-ca.pem"), atomically: true, encoding: .utf8)
        let port = try FreePort.udp()
        let config = """
            [main]
            http_ca_certs_file=\(folder.appendingPathComponent("duo-ca.pem").path)
            log_auth_events=true
            log_dir=\(folder.path)

            \(sections)

            [\(mode)]
            ikey=\(ikey)
            skey=\(skey)
            api_host=127.0.0.1
            api_port=\(sim.port)
            failmode=\(failmode)
            radius_ip_1=127.0.0.1
            radius_secret_1=\(secret)
            interface=127.0.0.1
            port=\(port)
            \(extra)
            """
        let path = folder.appendingPathComponent("authproxy.cfg").path
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        let proxy = try PeerProcess(twofold, ["run", "--config", path, "--grace", "20"])
        try await Wait.until("twofold listens", timeout: .seconds(20)) {
            guard proxy.isRunning else { throw PeerMissing(peer: "twofold run exited: \(proxy.transcript)") }
            return proxy.standardError.contains("listening for RADIUS on udp")
        }
        return Running(sim: sim, proxy: proxy, port: port, folder: folder)
    }

    static func radclient(_ user: String, _ password: String, port: Int, attributes: String = "") async throws -> (status: Int32, stdout: String, stderr: String) {
        try await PeerProcess.run(
            try Peers.tool("radclient"), ["-x", "-r", "1", "-t", "15", "127.0.0.1:\(port)", "auth", secret],
            stdin: Data("User-Name = \"\(user)\", User-Password = \"\(password)\", Message-Authenticator = 0x00\(attributes)".utf8),
            timeout: .seconds(30))
    }

    @Test(.enabled(if: Peers.shouldRun("radclient")), .timeLimit(.minutes(2)))
    func loginsThroughTheBinaryAndACleanStop() async throws {
        let running = try await Self.start()
        defer { try? FileManager.default.removeItem(at: running.folder) }

        let push = try await Self.radclient("alice", "push", port: running.port)
        #expect(push.stdout.contains("Received Access-Accept"), "\(push.stdout)\n\(running.proxy.transcript)")
        let passcode = try await Self.radclient("alice", "123456", port: running.port)
        #expect(passcode.stdout.contains("Received Access-Accept"))
        let denied = try await Self.radclient("bob", "push", port: running.port)
        #expect(denied.stdout.contains("Received Access-Reject"))

        await running.proxy.stop(grace: .seconds(25))
        #expect(running.proxy.terminationStatus == 0, "\(running.proxy.transcript)")
        await running.sim.stop()

        let events = try String(contentsOf: running.folder.appendingPathComponent("authevents.log"), encoding: .utf8)
            .split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(events.count == 3)
        #expect(events.compactMap { $0?["status"] as? String } == ["Allow", "Allow", "Reject"])
        #expect(events.compactMap { $0?["server_section"] as? String }.allSatisfy { $0 == "radius_server_duo_only" })
    }

    /// Also `[main] metrics_listen`: ready while serving, not ready (but alive) once the stop began.
    @Test(.enabled(if: Peers.shouldRun("radclient")), .timeLimit(.minutes(2)))
    func sigtermDuringAPendingPushStillAnswersIt() async throws {
        let metricsPort = try FreePort.tcp()
        let running = try await Self.start(sections: "metrics_listen=127.0.0.1:\(metricsPort)")
        defer { try? FileManager.default.removeItem(at: running.folder) }
        #expect(try await MetricsEndpointTests.get("/readyz", port: metricsPort).hasPrefix("HTTP/1.1 200 OK"))
        #expect(try await Self.radclient("alice", "push", port: running.port).stdout.contains("Received Access-Accept"))
        let metrics = try await MetricsEndpointTests.get("/metrics", port: metricsPort)
        #expect(metrics.contains("twofold_logins_total{section=\"radius_server_duo_only\",result=\"accept\"} 1"), "\(metrics)")
        #expect(metrics.contains("twofold_duo_circuit_state{api_host=\"127.0.0.1\"} 0"), "\(metrics)")
        #expect(metrics.contains("twofold_radius_logins_in_flight{listener=\"127.0.0.1:\(running.port)\"} 0"), "\(metrics)")
        #expect(metrics.contains("twofold_duo_requests_total{api_host=\"127.0.0.1\",endpoint=\"preauth\",outcome=\"2xx\"} 1"), "\(metrics)")
        #expect(metrics.contains("twofold_duo_request_duration_seconds_count{api_host=\"127.0.0.1\",endpoint=\"preauth\"} 1"), "\(metrics)")
        // A datagram too short to be RADIUS is dropped, and counted.
        let session = try await UDPExchange.Session(to: running.port)
        try await session.send([1, 2, 3])
        try await Wait.until("the drop is counted", timeout: .seconds(10)) {
            try await MetricsEndpointTests.get("/metrics", port: metricsPort)
                .contains("twofold_radius_dropped_total{listener=\"127.0.0.1:\(running.port)\",reason=\"malformed\"} 1")
        }

        async let pending = Self.radclient("slow", "push", port: running.port)
        try await Wait.until("the push is pending at Duo", timeout: .seconds(15)) {
            running.sim.stats().users["slow"]?.auth == 1
        }
        kill(running.proxy.pid, SIGTERM)
        // The push has 3 s to go: the stop has begun and waits for it.
        try await Wait.until("/readyz says the proxy is stopping", timeout: .seconds(10)) {
            let answer = try await MetricsEndpointTests.get("/readyz", port: metricsPort)
            return answer.hasPrefix("HTTP/1.1 503") && answer.hasSuffix("stopping: finishing the logins in progress\n")
        }
        #expect(try await MetricsEndpointTests.get("/healthz", port: metricsPort).hasPrefix("HTTP/1.1 200 OK"))
        let answer = try await pending
        #expect(answer.stdout.contains("Received Access-Accept"), "\(answer.stdout)\n\(running.proxy.transcript)")
        #expect(try await running.proxy.waitForExit(timeout: .seconds(30)) == 0)
        await running.sim.stop()
    }

    @Test(.enabled(if: Peers.shouldRun("radclient") && Peers.shouldRun("freeradius")), .timeLimit(.minutes(2)))
    func anUpstreamRADIUSServerAsThePrimary() async throws {
        let upstream = try await FreeRADIUSPeer.start(
            secret: "upstream-secret-0123456789",
            users: [.init("alice", password: "alice-pass", reply: [.init("Class", "staff"), .init("Reply-Message", "Welcome")])])
        defer { Task { await upstream.stop() } }
        let running = try await Self.start(
            mode: "radius_server_auto",
            extra: "client=radius_client",
            sections: """
                [radius_client]
                host=127.0.0.1
                port=\(upstream.port)
                secret=upstream-secret-0123456789
                pass_through_attr_names=Class
                ; FreeRADIUS 3.2 sends no Message-Authenticator in its replies
                require_message_authenticator=false
                """)
        defer { try? FileManager.default.removeItem(at: running.folder) }

        let accepted = try await Self.radclient("alice", "alice-pass,123456", port: running.port)
        #expect(accepted.stdout.contains("Received Access-Accept"), "\(accepted.stdout)\n\(running.proxy.transcript)")
        #expect(accepted.stdout.contains("Class = 0x7374616666"))  // "staff", passed through
        let wrong = try await Self.radclient("alice", "wrong-pass,123456", port: running.port)
        #expect(wrong.stdout.contains("Received Access-Reject"))
        #expect(!wrong.stdout.contains("Class"))
        #expect(running.sim.stats().users["alice"]?.auth == 1)
        #expect(running.proxy.standardError.contains("BlastRADIUS"))  // the legacy option is warned about

        await running.proxy.stop(grace: .seconds(25))
        #expect(running.proxy.terminationStatus == 0)
        await running.sim.stop()
    }

    /// An `[ad_client]` section for the test directory: plain binds as its service account (the
    /// admin when it has none), users by uid.
    static func adClient(_ directory: SlapdPeer) -> String {
        """
        [ad_client]
        host=127.0.0.1
        port=\(directory.port)
        auth_type=plain
        bind_dn=\(directory.serviceAccountDN ?? directory.adminDN)
        service_account_password=\(directory.serviceAccount?.password ?? directory.adminPassword)
        search_dn=\(directory.peopleDN)
        username_attribute=uid

        """
    }

    @Test(.enabled(if: Peers.shouldRun("radclient") && Peers.shouldRun("slapd")), .timeLimit(.minutes(2)))
    func aDirectoryAsThePrimary() async throws {
        let directory = try await SlapdPeer.start()
        defer { Task { await directory.stop() } }
        let running = try await Self.start(
            mode: "radius_server_auto",
            extra: "client=ad_client",
            sections: Self.adClient(directory))
        defer { try? FileManager.default.removeItem(at: running.folder) }

        let accepted = try await Self.radclient("alice", "alice-secret-1,push", port: running.port)
        #expect(accepted.stdout.contains("Received Access-Accept"), "\(accepted.stdout)\n\(running.proxy.transcript)")
        let wrong = try await Self.radclient("alice", "wrong,push", port: running.port)
        #expect(wrong.stdout.contains("Received Access-Reject"))
        let injected = try await Self.radclient("*)(uid=*", "alice-secret-1,push", port: running.port)
        #expect(injected.stdout.contains("Received Access-Reject"))
        #expect(running.sim.stats().users["alice"]?.auth == 1)

        await running.proxy.stop(grace: .seconds(25))
        #expect(running.proxy.terminationStatus == 0)
        await running.sim.stop()
        let events = try String(contentsOf: running.folder.appendingPathComponent("authevents.log"), encoding: .utf8)
        #expect(events.contains("\"dn\": \"uid=alice,ou=people,dc=example,dc=com\""))
    }

    /// The same user logging in again from the same place while the first push is pending joins
    /// it: one Duo auth call, both answered. Another factor, or no user address, is a login of its own.
    @Test(.enabled(if: Peers.shouldRun("radclient")), .timeLimit(.minutes(2)))
    func anIdenticalLoginJoinsThePendingPush() async throws {
        let running = try await Self.start(extra: "max_pushes_per_user=20")
        defer { try? FileManager.default.removeItem(at: running.folder) }
        let fromLaptop = ", Calling-Station-Id = \"198.51.100.7\""
        func auths() -> Int { running.sim.stats().users["slow"]?.auth ?? 0 }

        async let first = Self.radclient("slow", "push", port: running.port, attributes: fromLaptop)
        try await Wait.until("the first push is pending", timeout: .seconds(15)) { auths() == 1 }
        async let second = Self.radclient("slow", "push", port: running.port, attributes: fromLaptop)
        let answers = try await [first, second]
        for answer in answers { #expect(answer.stdout.contains("Received Access-Accept"), "\(answer.stdout)\n\(running.proxy.transcript)") }
        #expect(auths() == 1)
        #expect(running.proxy.standardError.contains("decision of an identical one in progress"))

        // A different password (here the factor) never rides on the pending push.
        async let push = Self.radclient("slow", "push", port: running.port, attributes: fromLaptop)
        try await Wait.until("the push is pending", timeout: .seconds(15)) { auths() == 2 }
        async let phone = Self.radclient("slow", "phone", port: running.port, attributes: fromLaptop)
        _ = try await [push, phone]
        #expect(auths() == 3)

        // Without the user's address two logins cannot be told apart: no joining.
        async let bare = Self.radclient("slow", "push", port: running.port)
        try await Wait.until("the push is pending", timeout: .seconds(15)) { auths() == 4 }
        async let bareAgain = Self.radclient("slow", "push", port: running.port)
        for answer in try await [bare, bareAgain] { #expect(answer.stdout.contains("Received Access-Accept")) }
        #expect(auths() == 5)
        await running.proxy.stop(grace: .seconds(25))
        await running.sim.stop()
    }

    /// One Access-Request from pyrad: the reply's code, whether pyrad verified its Response
    /// Authenticator and Message-Authenticator, its Reply-Messages joined, and its State.
    struct PyradReply {
        var code: Int
        var verified: Bool
        var firstAttribute: Int
        var message: String
        var state: String?
    }

    static let pyradLogin = #"""
        import json, socket, sys
        from pyrad.dictionary import Dictionary
        from pyrad import packet

        port, secret, user, password, state = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3], sys.argv[4], sys.argv[5]
        dictionary = Dictionary(sys.argv[-1])
        request = packet.AuthPacket(code=packet.AccessRequest, secret=secret, dict=dictionary)
        request["User-Name"] = user
        request["User-Password"] = request.PwCrypt(password)
        request["Calling-Station-Id"] = "198.51.100.7"
        if state:
            request["State"] = bytes.fromhex(state)
        request.add_message_authenticator()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.settimeout(20)
        sock.sendto(request.RequestPacket(), ("127.0.0.1", port))
        raw = sock.recv(4096)
        reply = request.CreateReply(packet=raw)
        print(json.dumps({
            "code": reply.code,
            "verified": bool(request.VerifyReply(reply, raw, enforce_ma=True)),
            "first_attribute": raw[20],
            "message": "".join(reply["Reply-Message"]) if "Reply-Message" in reply else "",
            "state": reply["State"][0].hex() if "State" in reply else None,
        }))
        """#

    static func pyrad(_ user: String, _ password: String, state: String? = nil, port: Int) async throws -> PyradReply {
        let result = try await Pyrad.run(script: pyradLogin, arguments: [String(port), secret, user, password, state ?? ""])
        guard result.status == 0, let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw PeerMissing(peer: "a pyrad reply: \(result.stdout) \(result.stderr)")
        }
        return PyradReply(
            code: json["code"] as? Int ?? 0, verified: json["verified"] as? Bool ?? false, firstAttribute: json["first_attribute"] as? Int ?? 0,
            message: json["message"] as? String ?? "", state: json["state"] as? String)
    }

    /// pyrad as the device of a `radius_server_challenge`: every reply verified by pyrad
    /// (Message-Authenticator first), a menu answered, a denied push, a user who must enroll.
    @Test(.enabled(if: Peers.shouldRunPython), .timeLimit(.minutes(2)))
    func pyradThroughTheBinaryWithAChallengeSection() async throws {
        let running = try await Self.start(
            mode: "radius_server_challenge", extra: "client=duo_only_client\nprompt_format=short\nfactors=push,phone,sms,passcode", sections: "[duo_only_client]")
        defer { try? FileManager.default.removeItem(at: running.folder) }

        let menu = try await Self.pyrad("alice", "password", port: running.port)
        #expect(menu.code == 11 && menu.verified && menu.firstAttribute == 80, "\(menu)\n\(running.proxy.transcript)")
        #expect(menu.message == "Choose a secondary factor from ('push1', 'phone1', 'sms1') or enter passcode:")
        let accepted = try await Self.pyrad("alice", "push1", state: try #require(menu.state), port: running.port)
        #expect(accepted.code == 2 && accepted.verified && accepted.firstAttribute == 80, "\(accepted)")

        let bobMenu = try await Self.pyrad("bob", "password", port: running.port)
        let rejected = try await Self.pyrad("bob", "1", state: try #require(bobMenu.state), port: running.port)
        #expect(rejected.code == 3 && rejected.verified && rejected.firstAttribute == 80, "\(rejected)")
        // The State is single use.
        let replayed = try await Self.pyrad("alice", "push1", state: try #require(menu.state), port: running.port)
        #expect(replayed.code == 3 && replayed.verified)

        let enroll = try await Self.pyrad("newbie", "password", port: running.port)
        #expect(enroll.code == 11 && enroll.verified, "\(enroll)")
        #expect(enroll.message.contains("https://127.0.0.1/portal/enroll?code=simulated"), "\(enroll.message)")
        let afterEnroll = try await Self.pyrad("newbie", "1", state: try #require(enroll.state), port: running.port)
        #expect(afterEnroll.code == 3 && afterEnroll.message == "Please complete the enrollment process and login again")
        #expect(running.sim.stats().users["alice"]?.auth == 1)
        #expect(running.sim.stats().users["newbie"]?.auth ?? 0 == 0)
        await running.proxy.stop(grace: .seconds(25))
        #expect(running.proxy.terminationStatus == 0)
        await running.sim.stop()
    }

    /// `[main] state_key`: a challenge begun on one twofold is answered on another with the same
    /// key and configuration; a twofold with another key cannot open the State.
    @Test(.enabled(if: Peers.shouldRunPython), .timeLimit(.minutes(2)))
    func aChallengeBegunOnOneProcessIsAnsweredOnAnother() async throws {
        let first = try await Self.start(
            mode: "radius_server_challenge", extra: "client=duo_only_client\nprompt_format=short\nfactors=push,phone,sms,passcode",
            sections: "state_key=the-key-every-twofold-here-shares\n\n[duo_only_client]")
        defer { try? FileManager.default.removeItem(at: first.folder) }
        #expect(first.proxy.standardError.contains("sealed with [main] state_key"), "\(first.proxy.transcript)")

        /// The same configuration on another port, with `state_key` replaced when asked.
        func another(stateKey: String? = nil) async throws -> (PeerProcess, Int) {
            var config = try String(contentsOf: first.folder.appendingPathComponent("authproxy.cfg"), encoding: .utf8)
            let port = try FreePort.udp()
            config = config.replacingOccurrences(of: "port=\(first.port)\n", with: "port=\(port)\n")
            if let stateKey { config = config.replacingOccurrences(of: "the-key-every-twofold-here-shares", with: stateKey) }
            let path = first.folder.appendingPathComponent("authproxy-\(port).cfg").path
            try config.write(toFile: path, atomically: true, encoding: .utf8)
            let proxy = try PeerProcess(Self.twofold, ["run", "--config", path, "--grace", "5"])
            try await Wait.until("the other twofold listens", timeout: .seconds(20)) {
                guard proxy.isRunning else { throw PeerMissing(peer: "twofold run exited: \(proxy.transcript)") }
                return proxy.standardError.contains("listening for RADIUS on udp")
            }
            return (proxy, port)
        }
        let (second, secondPort) = try await another()
        let (stranger, strangerPort) = try await another(stateKey: "a-key-of-some-other-installation")

        let menu = try await Self.pyrad("alice", "password", port: first.port)
        #expect(menu.code == 11 && menu.verified, "\(menu)\n\(first.proxy.transcript)")
        let state = try #require(menu.state)
        let refused = try await Self.pyrad("alice", "push1", state: state, port: strangerPort)
        #expect(refused.code == 3 && refused.verified, "\(refused)\n\(stranger.transcript)")
        let accepted = try await Self.pyrad("alice", "push1", state: state, port: secondPort)
        #expect(accepted.code == 2 && accepted.verified, "\(accepted)\n\(second.transcript)")
        // Once redeemed there, the State is spent there.
        let replayed = try await Self.pyrad("alice", "push1", state: state, port: secondPort)
        #expect(replayed.code == 3 && replayed.verified)
        #expect(first.sim.stats().users["alice"]?.auth == 1)

        await stranger.stop(grace: .seconds(10))
        await second.stop(grace: .seconds(10))
        await first.proxy.stop(grace: .seconds(10))
        await first.sim.stop()
    }

    /// The Juniper iframe round trip through the binary: the challenge carries a Duo Web request;
    /// the test plays Duo's frame (an AUTH cookie signed with the secret key) and types its answer
    /// back with the State, as the Juniper page's script does.
    @Test(.enabled(if: Peers.shouldRunPython), .timeLimit(.minutes(2)))
    func theIframeRoundTripThroughTheBinary() async throws {
        let running = try await Self.start(
            mode: "radius_server_iframe", extra: "client=duo_only_client\ntype=juniper", sections: "[duo_only_client]")
        defer { try? FileManager.default.removeItem(at: running.folder) }

        func frameAnswer(_ challenge: PyradReply, user: String) throws -> String {
            let start = try #require(challenge.message.range(of: "Duo_Init('"))
            let request = challenge.message[start.upperBound...].prefix { $0 != "'" }
            #expect(request.hasPrefix("TX|"))
            return try DuoWeb.signedCookie(
                prefix: DuoWeb.authenticationPrefix, key: Self.skey, username: user, integrationKey: Self.ikey,
                now: Int64(Date().timeIntervalSince1970), lifetime: 300)
        }

        let challenge = try await Self.pyrad("alice", "password", port: running.port)
        #expect(challenge.code == 11 && challenge.verified && challenge.firstAttribute == 80, "\(challenge)\n\(running.proxy.transcript)")
        #expect(challenge.message.hasPrefix("<script src='https://127.0.0.1:\(running.sim.port)/frame/hosted/Duo-Juniper-v1.js'></script>"))
        let accepted = try await Self.pyrad("alice", try frameAnswer(challenge, user: "alice"), state: challenge.state, port: running.port)
        #expect(accepted.code == 2 && accepted.verified, "\(accepted)\n\(running.proxy.transcript)")

        // Duo's answer for another user does not let alice in.
        let second = try await Self.pyrad("alice", "password", port: running.port)
        let rejected = try await Self.pyrad("alice", try frameAnswer(second, user: "bob"), state: second.state, port: running.port)
        #expect(rejected.code == 3 && rejected.verified && rejected.message == "Invalid login from iframe", "\(rejected)")
        // Preauth ran for each login (failmode applies there); the frame itself never calls auth.
        #expect(running.sim.stats().users["alice"]?.preauth == 2)
        #expect(running.sim.stats().users["alice"]?.auth ?? 0 == 0)
        await running.proxy.stop(grace: .seconds(25))
        #expect(running.proxy.terminationStatus == 0)
        await running.sim.stop()
    }

    @Test(.timeLimit(.minutes(2)))
    func benchRadiusDrivesTheProxyAndVerifiesTheReplies() async throws {
        let running = try await Self.start()
        defer { try? FileManager.default.removeItem(at: running.folder) }
        let bench = try await PeerProcess.run(Self.twofold, [
            "bench", "radius", "--server", "127.0.0.1:\(running.port)", "--secret", Self.secret, "--user", "alice",
            "--password", "123456", "--concurrency", "4", "--duration", "2", "--message-authenticator",
        ], timeout: .seconds(60))
        #expect(bench.status == 0, "\(bench.stderr)")
        let summary = try #require(bench.stdout.split(separator: "\n").first.map(String.init))
        // sent N, accepted N, rejected 0, challenged 0, timeouts 0
        let numbers = summary.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        #expect(numbers.count == 5, "\(bench.stdout)")
        #expect(numbers[0] > 0 && numbers[0] == numbers[1], "\(bench.stdout)")
        #expect(numbers[2...] == [0, 0, 0], "\(bench.stdout)")
        #expect(bench.stdout.contains("logins/s"))
        // The same bench with the wrong secret: nothing verifies, so nothing is accepted.
        let wrong = try await PeerProcess.run(Self.twofold, [
            "bench", "radius", "--server", "127.0.0.1:\(running.port)", "--secret", "not-the-secret-0123", "--user", "alice",
            "--password", "123456", "--concurrency", "2", "--duration", "1", "--timeout", "1",
        ], timeout: .seconds(60))
        #expect(wrong.stdout.contains("accepted 0,"), "\(wrong.stdout)")
        await running.proxy.stop(grace: .seconds(25))
        await running.sim.stop()
    }

    /// DESIGN.md's failmode table through the binary: the simulator fails preauth in each way,
    /// radclient sees what each failmode answers. Refusals (4xx, unreadable) come first: they do
    /// not count against the circuit breaker, and the three outages stay under its threshold.
    @Test(.enabled(if: Peers.shouldRun("radclient")), .timeLimit(.minutes(3)), arguments: ["safe", "secure"])
    func theFailmodeTableThroughTheBinary(_ failmode: String) async throws {
        let running = try await Self.start(failmode: failmode, extra: "api_timeout=2")
        defer { try? FileManager.default.removeItem(at: running.folder) }
        let rows: [(DuoSimFault, Bool)] = [
            (.status(401, path: "/auth/v2/preauth"), false),
            (.status(400, path: "/auth/v2/preauth"), false),
            (.malformed(path: "/auth/v2/preauth"), false),
            (.down(path: "/auth/v2/preauth"), failmode == "safe"),
            (.status(503, path: "/auth/v2/preauth"), failmode == "safe"),
            (.hang(path: "/auth/v2/preauth"), failmode == "safe"),
        ]
        for (fault, opens) in rows {
            running.sim.clearFaults()
            running.sim.setFault(fault)
            let answer = try await Self.radclient("alice", "push", port: running.port)
            let expected = opens ? "Received Access-Accept" : "Received Access-Reject"
            #expect(answer.stdout.contains(expected), "failmode=\(failmode), \(fault.kind): \(answer.stdout)")
            if opens { #expect(answer.stdout.contains("Failmode Safe - Allowed Duo login on preauth failure")) }
        }
        running.sim.clearFaults()
        // Healthy again: a denied push is denied, whatever the failmode.
        #expect(try await Self.radclient("bob", "push", port: running.port).stdout.contains("Received Access-Reject"))
        // Every fail-open was logged as such.
        #expect(running.proxy.standardError.components(separatedBy: "fail-open").count - 1 == (failmode == "safe" ? 3 : 0))
        await running.proxy.stop(grace: .seconds(25))
        await running.sim.stop()
    }

    @Test(.enabled(if: Peers.shouldRun("radclient")), .timeLimit(.minutes(2)))
    func sighupReloadsTheLocalUsersFile() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("twofold-users-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let users = folder.appendingPathComponent("users")
        func entry(_ name: String, _ password: String) async throws -> String {
            let result = try await PeerProcess.run(
                Self.twofold, ["hash-password", "--username", name, "--iterations", "1000", "--allow-weak-cost"],
                stdin: Data("\(password)\n".utf8), timeout: .seconds(30))
            return result.stdout.split(separator: "\n").last.map(String.init) ?? ""
        }
        try (try await entry("alice", "first-pass") + "\n").write(to: users, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: users.path)
        let running = try await Self.start(
            mode: "radius_server_auto", extra: "client=local_client",
            sections: "[local_client]\nusers_file=\(users.path)\nminimum_pbkdf2_iterations=1000\n")
        defer { try? FileManager.default.removeItem(at: running.folder) }
        #expect(try await Self.radclient("alice", "first-pass,123456", port: running.port).stdout.contains("Received Access-Accept"))

        try (try await entry("alice", "second-pass") + "\n").write(to: users, atomically: true, encoding: .utf8)
        kill(running.proxy.pid, SIGHUP)
        try await Wait.until("the users file is reloaded", timeout: .seconds(15)) { running.proxy.standardError.contains("reloaded: 1 users") }
        #expect(try await Self.radclient("alice", "second-pass,123456", port: running.port).stdout.contains("Received Access-Accept"))
        #expect(try await Self.radclient("alice", "first-pass,123456", port: running.port).stdout.contains("Received Access-Reject"))

        // A broken file keeps the users in use.
        try "alice:not-a-hash\n".write(to: users, atomically: true, encoding: .utf8)
        kill(running.proxy.pid, SIGHUP)
        try await Wait.until("the reload fails", timeout: .seconds(15)) { running.proxy.standardError.contains("reload failed") }
        #expect(try await Self.radclient("alice", "second-pass,123456", port: running.port).stdout.contains("Received Access-Accept"))
        await running.proxy.stop(grace: .seconds(25))
        #expect(running.proxy.terminationStatus == 0)
        await running.sim.stop()
    }

    /// A SIGTERM while the proxy starts is not lost: the signals are watched before anything
    /// else (a SIGTERM between "listening" and the handler used to be ignored, and the process ran
    /// on until SIGKILL), and the stop is graceful once the start is done.
    @Test(.timeLimit(.minutes(2)))
    func aSigtermDuringTheStartIsKept() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("twofold-signals-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("authproxy.cfg").path
        try """
            [radius_server_duo_only]
            ikey=\(Self.ikey)
            skey=\(Self.skey)
            api_host=127.0.0.1
            radius_ip_1=127.0.0.1
            radius_secret_1=\(Self.secret)
            interface=127.0.0.1
            port=\(try FreePort.udp())
            """.write(toFile: path, atomically: true, encoding: .utf8)
        // The moment the log says it listens: the end of the start.
        let listening = try PeerProcess(Self.twofold, ["run", "--config", path])
        try await Wait.until("twofold says it listens", timeout: .seconds(20)) {
            guard listening.isRunning else { throw PeerMissing(peer: "twofold run exited: \(listening.transcript)") }
            return listening.standardError.contains("listening for RADIUS on udp")
        }
        kill(listening.pid, SIGTERM)
        #expect(try await listening.waitForExit(timeout: .seconds(30)) == 0, "\(listening.transcript)")
        #expect(listening.standardError.contains("SIGTERM received"))
        // At once after the exec: before main, the default action may still end the process (143);
        // from main on, the stop is graceful (0). Never ignored.
        for _ in 0..<5 {
            let early = try PeerProcess(Self.twofold, ["run", "--config", path])
            kill(early.pid, SIGTERM)
            let status = try await early.waitForExit(timeout: .seconds(30))
            #expect(status == 0 || status == 128 + SIGTERM, "\(early.transcript)")
        }
    }

    @Test(.enabled(if: Peers.shouldRun("radclient")), .timeLimit(.minutes(2)))
    func logFileGetsTheLogLines() async throws {
        let running = try await Self.start(extra: "", sections: "")
        await running.proxy.stop(grace: .seconds(25))
        await running.sim.stop()
        defer { try? FileManager.default.removeItem(at: running.folder) }
        // The same configuration with log_file: the lines go to the file, not to stderr.
        let config = try String(contentsOfFile: running.folder.appendingPathComponent("authproxy.cfg").path, encoding: .utf8)
            .replacingOccurrences(of: "[main]\n", with: "[main]\nlog_file=twofold.log\n")
        let path = running.folder.appendingPathComponent("with-log-file.cfg").path
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        let proxy = try PeerProcess(Self.twofold, ["run", "--config", path])
        let logFile = running.folder.appendingPathComponent("twofold.log").path
        try await Wait.until("twofold logs to its file", timeout: .seconds(20)) {
            guard proxy.isRunning else { throw PeerMissing(peer: "twofold run exited: \(proxy.transcript)") }
            return ((try? String(contentsOfFile: logFile, encoding: .utf8)) ?? "").contains("listening for RADIUS on udp")
        }
        #expect(!proxy.standardError.contains("listening for RADIUS"))
        await proxy.stop(grace: .seconds(25))
        #expect(proxy.terminationStatus == 0)
    }

    @Test(.timeLimit(.minutes(1)))
    func aBadConfigurationStopsTheStartNamingTheLine() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("twofold-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("authproxy.cfg").path
        try "[radius_server_auto]\nikey=DI\nskey=s\napi_host=h\nfailmode=open\n".write(toFile: path, atomically: true, encoding: .utf8)
        let result = try await PeerProcess.run(Self.twofold, ["run", "--config", path], timeout: .seconds(20))
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(path):5: [radius_server_auto] failmode: 'open' is not valid (choose one of safe, secure)"), "\(result.stderr)")
    }
}
