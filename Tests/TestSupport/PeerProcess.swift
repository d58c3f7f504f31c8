import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A process a test started (a daemon such as slapd, or a one-shot client such as radclient).
///
/// Started with `posix_spawn` and an empty signal mask: test runner threads block most signals, and
/// a child inherits that mask, so a daemon started from one would ignore the SIGTERM that stops it.
/// Output goes to files, never pipes, so a chatty peer cannot block on a full pipe. The process is
/// stopped by its own PID only: SIGTERM, then SIGKILL if it has not exited by the deadline.
public final class PeerProcess: Sendable {
    public let pid: pid_t
    public let name: String
    public let stdoutURL: URL
    public let stderrURL: URL
    /// The exit status once reaped: the exit code, or 128 + the signal number.
    private let exitStatus = Locked<Int32?>(nil)

    public struct SpawnFailure: Error, CustomStringConvertible {
        public var executable: String
        public var errno: Int32
        public var description: String { "could not start \(executable): \(String(cString: strerror(errno)))" }
    }

    public init(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        stdin: Data? = nil
    ) throws {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("twofold-peer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        name = URL(fileURLWithPath: executable).lastPathComponent
        stdoutURL = folder.appendingPathComponent("stdout")
        stderrURL = folder.appendingPathComponent("stderr")
        let stdinURL = folder.appendingPathComponent("stdin")
        try (stdin ?? Data()).write(to: stdinURL)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdinURL.path, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutURL.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderrURL.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaultSignals = sigset_t()
        sigfillset(&defaultSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let environment = ProcessInfo.processInfo.environment.merging(environment ?? [:]) { $1 }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw SpawnFailure(executable: executable, errno: result) }
        pid = child
    }

    deinit {
        if isRunning {
            kill(pid, SIGKILL)
            _ = reap(blocking: true)
        }
    }

    /// Reaps the child if it has exited; returns whether it has.
    private func reap(blocking: Bool) -> Bool {
        exitStatus.withLock { status in
            if status != nil { return true }
            var raw: Int32 = 0
            let result = waitpid(pid, &raw, blocking ? 0 : WNOHANG)
            guard result == pid else { return result < 0 }  // < 0: already reaped elsewhere
            let signal = raw & 0x7f
            status = signal == 0 ? (raw >> 8) & 0xff : 128 + signal
            return true
        }
    }

    public var isRunning: Bool { !reap(blocking: false) }

    /// The exit status (exit code, or 128 + signal), once the process has exited.
    public var terminationStatus: Int32? {
        _ = reap(blocking: false)
        return exitStatus.value
    }

    public var standardOutput: String {
        (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? ""
    }
    public var standardError: String {
        (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? ""
    }

    /// Waits for the process to exit on its own and returns its status; after `timeout` it is
    /// killed and the wait throws.
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(30)) async throws -> Int32 {
        do {
            try await Wait.until("\(name) (pid \(pid)) exits", timeout: timeout) { !self.isRunning }
        } catch {
            await stop(grace: .zero)
            throw error
        }
        return terminationStatus ?? -1
    }

    /// Stops the process by its PID: SIGTERM, then SIGKILL after `grace`.
    public func stop(grace: Duration = .seconds(5)) async {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        if (try? await Wait.until("\(name) stops", timeout: grace, { !self.isRunning })) == nil {
            kill(pid, SIGKILL)
            _ = try? await Wait.until("\(name) is killed", timeout: .seconds(5)) { !self.isRunning }
        }
    }

    /// Everything the process printed, for failure messages.
    public var transcript: String {
        "\(name) stdout:\n\(standardOutput)\n\(name) stderr:\n\(standardError)"
    }

    /// Runs a command to completion and returns its status and output.
    public static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        stdin: Data? = nil,
        timeout: Duration = .seconds(60)
    ) async throws -> (status: Int32, stdout: String, stderr: String) {
        let peer = try PeerProcess(executable, arguments, environment: environment, stdin: stdin)
        let status = try await peer.waitForExit(timeout: timeout)
        return (status, peer.standardOutput, peer.standardError)
    }
}
