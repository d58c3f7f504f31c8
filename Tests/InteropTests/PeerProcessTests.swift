import Foundation
import TestSupport
import Testing

/// The process helper every interop test relies on.
@Suite struct PeerProcessTests {
    @Test(.timeLimit(.minutes(1)))
    func childrenStartWithNoBlockedSignalsAndStopOnSIGTERM() async throws {
        let sleeper = try PeerProcess("/bin/sleep", ["300"])
        try await Wait.until("sleep runs", timeout: .seconds(5)) {
            FileManager.default.fileExists(atPath: "/proc/\(sleeper.pid)/status")
        }
        let status = try String(contentsOfFile: "/proc/\(sleeper.pid)/status", encoding: .utf8)
        let blocked = status.split(separator: "\n").first { $0.hasPrefix("SigBlk:") }
        #expect(blocked?.split(separator: "\t").last == "0000000000000000")
        // SIGTERM alone ends it: the grace is long, and the status says "killed by signal 15".
        await sleeper.stop(grace: .seconds(20))
        #expect(!sleeper.isRunning)
        #expect(sleeper.terminationStatus == 128 + SIGTERM)
    }

    @Test(.timeLimit(.minutes(1)))
    func oneShotCommandsReportStatusOutputAndInput() async throws {
        let result = try await PeerProcess.run("/bin/sh", ["-c", "cat; echo err >&2; exit 3"], stdin: Data("hello".utf8))
        #expect(result.status == 3)
        #expect(result.stdout == "hello")
        #expect(result.stderr == "err\n")
    }
}
