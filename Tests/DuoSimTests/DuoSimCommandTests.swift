import DuoAPI
import Foundation
import TestSupport
import Testing

/// `twofold duo-sim` as an administrator runs it: the built binary, its shipped users file, a
/// self-signed CA written to disk, the DuoAPI client against it, and a clean stop on SIGTERM.
@Suite(.serialized) struct DuoSimCommandTests {
    static let ikey = "DIXXXXXXXXXXXXXXXXXX"
    static let skey = String(repeating: "s", count: 40)

    /// The `twofold` executable next to the test bundle (both are built by `swift build --build-tests`).
    static var twofold: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("twofold").path
    }

    @Test(.timeLimit(.minutes(1)))
    func servesTheShippedUsersOverTLSAndStopsOnSIGTERM() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("twofold-duo-sim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let caFile = folder.appendingPathComponent("ca.pem").path
        let users = Peers.packageRoot.appendingPathComponent("Examples/duo-sim/users.json").path
        let port = try FreePort.tcp()
        let sim = try PeerProcess(Self.twofold, [
            "duo-sim", "--listen", "127.0.0.1:\(port)", "--integration", "\(Self.ikey):\(Self.skey)",
            "--users", users, "--self-signed", "--write-ca", caFile,
        ])
        try await Wait.until("duo-sim says it listens", timeout: .seconds(20)) {
            guard sim.isRunning else { throw PeerMissing(peer: "duo-sim exited: \(sim.transcript)") }
            return sim.standardOutput.contains("listening on https://127.0.0.1:\(port)")
        }
        let client = try DuoClient(configuration: DuoClientConfiguration(
            integrationKey: Self.ikey, secretKey: Self.skey, apiHost: "127.0.0.1", apiPort: port,
            trustRoots: .pemFile(caFile)))
        guard case .auth(let devices, _) = try await client.preauth(username: "alice") else {
            Issue.record("alice from the shipped users file is not asked for a second factor"); return
        }
        #expect(devices.first?.device == "DPFZRS9FB0D46QFTM899")
        guard case .allow = try await client.auth(DuoAuthRequest(username: "alice", factor: .passcode("654321"))) else {
            Issue.record("alice's passcode from the shipped file"); return
        }
        try await client.shutdown()

        await sim.stop(grace: .seconds(10))
        #expect(sim.terminationStatus == 0, "\(sim.transcript)")
        #expect(sim.standardOutput.contains("stopped"))
    }

    @Test(.timeLimit(.minutes(1)), arguments: [
        (["--insecure-http", "--integration", "NO-COLON"], "--integration"),
        (["--insecure-http", "--integration", "\(ikey):\(skey)", "--users", "/nonexistent/users.json"], "/nonexistent/users.json"),
        (["--insecure-http", "--integration", "\(ikey):\(skey)", "--listen", "not-an-address"], "--listen"),
        (["--integration", "\(ikey):\(skey)"], "--self-signed"),
    ])
    func badArgumentsFailNamingWhatIsWrong(_ arguments: [String], _ named: String) async throws {
        let result = try await PeerProcess.run(Self.twofold, ["duo-sim"] + arguments, timeout: .seconds(20))
        #expect(result.status != 0)
        #expect(result.stderr.contains(named), "\(result.stderr)")
    }
}
