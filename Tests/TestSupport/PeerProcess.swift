import Foundation

/// A process a test started (a daemon such as slapd, or a one-shot client such as radclient).
///
/// Output goes to files, never pipes, so a chatty peer cannot block on a full pipe. The process is
/// stopped by its own PID only: SIGTERM, then SIGKILL if it has not exited by the deadline.
public final class PeerProcess: @unchecked Sendable {
    // @unchecked: `process` is only started in init and then read; Foundation's Process is thread-safe
    // for `isRunning`, `processIdentifier` and `terminationStatus`.
    private let process: Process
    public let name: String
    public let stdoutURL: URL
    public let stderrURL: URL

    public init(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        currentDirectory: URL? = nil,
        stdin: Data? = nil
    ) throws {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("twofold-peer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        name = URL(fileURLWithPath: executable).lastPathComponent
        stdoutURL = folder.appendingPathComponent("stdout")
        stderrURL = folder.appendingPathComponent("stderr")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)

        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        if let stdin {
            let input = folder.appendingPathComponent("stdin")
            try stdin.write(to: input)
            process.standardInput = try FileHandle(forReadingFrom: input)
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    public var standardOutput: String {
        (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? ""
    }
    public var standardError: String {
        (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? ""
    }

    /// Waits for the process to exit on its own; returns its exit status, or throws after the deadline
    /// (and kills it).
    @discardableResult
    public func waitForExit(timeout: Duration = .seconds(30)) async throws -> Int32 {
        try await Wait.until("\(name) (pid \(pid)) exits", timeout: timeout) { !self.process.isRunning }
        return process.terminationStatus
    }

    /// Stops the process by its PID: SIGTERM, then SIGKILL after `grace`.
    public func stop(grace: Duration = .seconds(5)) async {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        if (try? await Wait.until("\(name) stops", timeout: grace, { !self.process.isRunning })) == nil {
            kill(process.processIdentifier, SIGKILL)
            _ = try? await Wait.until("\(name) is killed", timeout: .seconds(5)) { !self.process.isRunning }
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
