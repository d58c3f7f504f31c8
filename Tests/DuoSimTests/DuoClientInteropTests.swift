import DuoSim
import Foundation
import TestSupport
import Testing

/// Duo's own Python client (`duo-client` from PyPI) against the simulator, for every endpoint,
/// over plain HTTP and TLS (trusting the simulator's generated CA), with signatures v5 and v2:
/// the simulator accepts what Duo's client sends and answers what it can read.
@Suite struct DuoClientInteropTests {
    static let script = #"""
        import json, sys, time
        import duo_client

        cfg = json.load(sys.stdin)

        def client(skey=None):
            return duo_client.Auth(ikey=cfg["ikey"], skey=skey or cfg["skey"], host="127.0.0.1", port=cfg["port"],
                                   ca_certs=cfg["ca"], sig_version=cfg["sig_version"], timeout=20)

        out = {}
        def call(name, fn):
            try:
                out[name] = {"ok": fn()}
            except RuntimeError as e:
                data = getattr(e, "data", None)
                if isinstance(data, bytes):
                    data = data.decode("utf-8", "replace")
                out[name] = {"status": getattr(e, "status", None), "error": str(e), "data": data}

        c = client()
        call("ping", c.ping)
        call("check", c.check)
        call("preauth_alice", lambda: c.preauth(username="alice", ipaddr="192.0.2.7"))
        call("preauth_by_id", lambda: c.preauth(user_id="DUALICE00000000000001"))
        call("preauth_unknown", lambda: c.preauth(username="nobody"))
        call("preauth_dave", lambda: c.preauth(username="dave"))
        call("preauth_erin", lambda: c.preauth(username="erin"))
        call("push_approve", lambda: c.auth("push", username="alice", device="auto", ipaddr="192.0.2.7",
                                             pushinfo="from=vpn&ip=192.0.2.7", display_username="Alice Ä"))
        call("push_deny", lambda: c.auth("push", username="bob", device="auto"))
        call("auto_approve", lambda: c.auth("auto", username="alice", device="auto"))
        call("passcode_right", lambda: c.auth("passcode", username="alice", passcode="123456"))
        call("passcode_wrong", lambda: c.auth("passcode", username="alice", passcode="000000"))
        call("sms", lambda: c.auth("sms", username="alice", device="auto"))
        call("missing_username", lambda: c.auth("push", device="auto"))
        call("async", lambda: c.auth("push", username="steady", device="auto", async_txn=True))
        statuses = []
        if "ok" in out["async"]:
            txid = out["async"]["ok"]["txid"]
            for _ in range(200):
                status = c.auth_status(txid)
                statuses.append(status)
                if not status["waiting"]:
                    break
                time.sleep(0.05)
        out["auth_status"] = statuses
        call("wrong_skey", client(skey="not-the-secret-key-000000000000000000000").check)
        print(json.dumps(out))
        """#

    struct Variant: Sendable, CustomTestStringConvertible {
        var tls: Bool
        var sigVersion: Int
        var testDescription: String { "\(tls ? "TLS" : "HTTP") sig v\(sigVersion)" }
    }

    static let variants = [
        Variant(tls: false, sigVersion: 5), Variant(tls: false, sigVersion: 2),
        Variant(tls: true, sigVersion: 5), Variant(tls: true, sigVersion: 2),
    ]

    @Test(.enabled(if: Peers.shouldRunPython), .timeLimit(.minutes(1)), arguments: variants)
    func duoClientCallsEveryEndpoint(_ variant: Variant) async throws {
        try await SimHarness.with(tls: variant.tls) { sim async throws in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("twofold-duosim-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let script = folder.appendingPathComponent("client.py")
            try Self.script.write(to: script, atomically: true, encoding: .utf8)
            var ca = "HTTP"
            if variant.tls {
                let caFile = folder.appendingPathComponent("ca.pem")
                try #require(sim.server.caCertificatePEM).write(to: caFile, atomically: true, encoding: .utf8)
                ca = caFile.path
            }
            let input: [String: Any] = [
                "port": sim.server.port, "ca": ca, "ikey": SimHarness.ikey, "skey": SimHarness.skey,
                "sig_version": variant.sigVersion,
            ]
            let result = try await PeerProcess.run(
                try Peers.python(), [script.path], stdin: try JSONSerialization.data(withJSONObject: input), timeout: .seconds(50))
            try #require(result.status == 0, "duo_client script failed: \(result.stderr)")
            let out = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])

            func ok(_ name: String) -> [String: Any] {
                let entry = out[name] as? [String: Any]
                let value = entry?["ok"] as? [String: Any]
                if value == nil { Issue.record("\(name) failed: \(entry ?? [:])") }
                return value ?? [:]
            }
            func failure(_ name: String) -> (status: Int?, error: String) {
                let entry = out[name] as? [String: Any] ?? [:]
                return (entry["status"] as? Int, entry["error"] as? String ?? "")
            }

            let now = Int64(Date().timeIntervalSince1970)
            for name in ["ping", "check"] {
                let time = ok(name)["time"] as? Int64 ?? 0
                #expect(abs(time - now) < 60, "\(name) time \(time)")
            }
            let alice = ok("preauth_alice")
            #expect(alice["result"] as? String == "auth")
            #expect(alice["status_msg"] as? String == "Account is active")
            let devices = alice["devices"] as? [[String: Any]] ?? []
            #expect(devices.first?["device"] as? String == DuoSimUser.defaultDevice.device)
            #expect((devices.first?["capabilities"] as? [String])?.contains("push") == true)
            #expect(ok("preauth_by_id")["result"] as? String == "auth")
            let unknown = ok("preauth_unknown")
            #expect(unknown["result"] as? String == "enroll")
            #expect(unknown["status_msg"] as? String == "Enroll an authentication device to proceed")
            #expect((unknown["enroll_portal_url"] as? String)?.hasPrefix("https://") == true)
            #expect(ok("preauth_dave")["result"] as? String == "allow")
            #expect(ok("preauth_erin")["result"] as? String == "deny")

            let approve = ok("push_approve")
            #expect(approve["result"] as? String == "allow")
            #expect(approve["status"] as? String == "allow")
            #expect(approve["status_msg"] as? String == "Success. Logging you in...")
            #expect(ok("auto_approve")["result"] as? String == "allow")
            let deny = ok("push_deny")
            #expect(deny["result"] as? String == "deny")
            #expect(deny["status_msg"] as? String == "Login request denied.")
            #expect(ok("passcode_right")["result"] as? String == "allow")
            let wrong = ok("passcode_wrong")
            #expect(wrong["result"] as? String == "deny")
            #expect(wrong["status_msg"] as? String == "Incorrect passcode. Please try again.")
            #expect(ok("sms")["status"] as? String == "sent")

            let missing = failure("missing_username")
            #expect(missing.status == 400)
            #expect(missing.error.contains("Invalid request parameters"))
            #expect(missing.error.contains("username"))

            #expect((ok("async")["txid"] as? String)?.isEmpty == false)
            let statuses = out["auth_status"] as? [[String: Any]] ?? []
            #expect(statuses.count >= 2, "the push takes 1.5 s, so the first poll waits")
            #expect(statuses.first?["waiting"] as? Bool == true)
            #expect(statuses.first?["status"] as? String == "pushed")
            #expect(statuses.first?["status_msg"] as? String == "Pushed a login request to your device...")
            #expect(statuses.last?["waiting"] as? Bool == false)
            #expect(statuses.last?["success"] as? Bool == true)

            let badKey = failure("wrong_skey")
            #expect(badKey.status == 401)
            #expect(badKey.error.contains("Invalid signature in request credentials"))
            let entry = out["wrong_skey"] as? [String: Any] ?? [:]
            #expect((entry["data"] as? [String: Any])?["code"] as? Int == 40103, "duo_client read the error envelope")

            let stats = sim.server.stats()
            #expect(stats.integrations[SimHarness.ikey]?.requests ?? 0 >= 15)
            #expect(stats.integrations[SimHarness.ikey]?.rejected == 1)
        }
    }
}
