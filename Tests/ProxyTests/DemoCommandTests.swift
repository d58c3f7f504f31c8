import Foundation
import NIOCore
import NIOPosix
import TestSupport
import Testing

/// `twofold demo` as the README tells a newcomer to run it: the printed radtest, ldapwhoami and
/// ldapsearch commands answer as printed, Ctrl-C stops it, and a busy port is one clear line.
@Suite(.serialized) struct DemoCommandTests {
    static var twofold: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("twofold").path
    }

    @Test(.enabled(if: Peers.shouldRun("radtest", "ldapwhoami", "ldapsearch")), .timeLimit(.minutes(2)))
    func thePrintedCommandsAnswerAsPrinted() async throws {
        let port = try FreePort.udp()
        let demo = try PeerProcess(Self.twofold, ["demo", "--port", "\(port)"] + (try Self.ldapPorts()))
        try await Wait.until("the demo prints its commands", timeout: .seconds(30)) {
            guard demo.isRunning else { throw PeerMissing(peer: "twofold demo exited: \(demo.transcript)") }
            return demo.standardOutput.contains("Stop with Ctrl-C.")
        }
        // Every printed command, run as printed, gets the printed answer.
        let commands = demo.standardOutput.split(separator: "\n").filter { $0.hasPrefix("  radtest ") }
        #expect(commands.count == 7)
        for line in commands {
            let parts = line.components(separatedBy: "  -> ")
            let words = parts[0].trimmingCharacters(in: .whitespaces).split(separator: " ").map { $0.replacingOccurrences(of: "'", with: "") }
            let expected = parts[1].hasPrefix("Access-Accept") ? "Received Access-Accept" : "Received Access-Reject"
            let result = try await PeerProcess.run(try Peers.tool("radtest"), Array(words.dropFirst()), timeout: .seconds(30))
            #expect(result.stdout.contains(expected), "\(line)\n\(result.stdout)\n\(demo.transcript)")
        }
        try await Self.checkLDAPCommands(demo)
        await demo.stop(grace: .seconds(15))
        #expect(demo.terminationStatus == 0, "\(demo.transcript)")
        #expect(demo.standardOutput.contains("twofold demo: stopped"))
    }

    /// Free ports for the demo's LDAP listeners, so that the test does not depend on 10389 / 10636.
    static func ldapPorts() throws -> [String] {
        ["--ldap-port", "\(try FreePort.tcp())", "--ldaps-port", "\(try FreePort.tcp())"]
    }

    /// Every printed ldapwhoami / ldapsearch command, run as printed with LDAPTLS_CACERT exported as
    /// printed, gets the printed answer.
    static func checkLDAPCommands(_ demo: PeerProcess) async throws {
        let lines = demo.standardOutput.split(separator: "\n").map(String.init)
        let export = try #require(lines.first { $0.hasPrefix("  export LDAPTLS_CACERT=") })
        let caFile = String(export.dropFirst("  export LDAPTLS_CACERT=".count))
        var checked = 0
        for (index, line) in lines.enumerated() where line.hasPrefix("  ldapwhoami ") || line.hasPrefix("  ldapsearch ") {
            let answer = lines[index + 1]
            let words = line.trimmingCharacters(in: .whitespaces).split(separator: " ").map { $0.replacingOccurrences(of: "'", with: "") }
            let result = try await PeerProcess.run(
                try Peers.tool(words[0]), Array(words.dropFirst()), environment: ["LDAPTLS_CACERT": caFile], timeout: .seconds(30))
            if answer.contains("Invalid credentials (49)") {
                #expect(result.status == 49, "\(line)\n\(result.stderr)")
            } else {
                #expect(result.status == 0, "\(line)\n\(result.stderr)\n\(demo.transcript)")
                let shown = answer.components(separatedBy: "-> ")[1].components(separatedBy: " ")[0].replacingOccurrences(of: "...", with: "")
                #expect(result.stdout.contains(shown), "\(line)\n\(result.stdout)")
            }
            checked += 1
        }
        #expect(checked == 7)
    }

    @Test(.timeLimit(.minutes(1)))
    func aBusyPortIsOneClearLine() async throws {
        let holder = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        defer { holder.close(promise: nil) }
        let port = holder.localAddress!.port!
        let result = try await PeerProcess.run(Self.twofold, ["demo", "--port", "\(port)"] + (try Self.ldapPorts()), timeout: .seconds(30))
        #expect(result.status == 1)
        #expect(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines).hasSuffix(
            "twofold demo: UDP port \(port) on 127.0.0.1 is in use; choose another with --port"), "\(result.stderr)")
    }
}
