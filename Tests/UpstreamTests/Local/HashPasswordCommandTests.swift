import Foundation
import Policy
import TestSupport
import Testing
import Upstream

/// `twofold hash-password` as an administrator runs it: the built binary, the password piped to
/// standard input, and the printed line loaded and checked by `LocalUsersClient`.
@Suite(.serialized) struct HashPasswordCommandTests {
    /// The `twofold` executable next to the test bundle (both are built by `swift build --build-tests`).
    static var twofold: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("twofold").path
    }

    static func hashPassword(_ arguments: [String], stdin: String) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await PeerProcess.run(Self.twofold, ["hash-password"] + arguments, stdin: Data(stdin.utf8), timeout: .seconds(60))
    }

    @Test(.timeLimit(.minutes(2)), arguments: [
        (["--iterations", "1000", "--allow-weak-cost"], "$pbkdf2-sha256$i=1000$"),
        (["--algorithm", "scrypt", "--log-n", "10", "--allow-weak-cost"], "$scrypt$ln=10,r=8,p=1$"),
        (["--algorithm", "scrypt", "--log-n", "8", "--block-size", "4", "--parallelism", "2", "--allow-weak-cost"], "$scrypt$ln=8,r=4,p=2$"),
    ])
    func thePrintedEntryLogsIn(_ arguments: [String], _ prefix: String) async throws {
        // Only the first line is the password; a CR before the LF (a Windows pipe) is not part of it.
        let result = try await Self.hashPassword(arguments + ["--username", "ålice"], stdin: "pässword with spaces\r\nsecond line\n")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("ålice:" + prefix), "\(result.stdout)")
        #expect(result.stdout.hasSuffix("\n"))
        #expect(!result.stdout.contains("pässword") && !result.stderr.contains("pässword"), "the password is never printed")

        let folder = try UsersFolder()
        let path = try folder.write(result.stdout)
        try await LocalUsersClientTests.withPool(.init(threads: 1)) { pool in
            let client = try LocalUsersClient(configuration: .init(usersFile: path, costFloor: .none), pool: pool)
            #expect(await LocalUsersClientTests.login(client, "ålice", "pässword with spaces") == "accepted")
            #expect(await LocalUsersClientTests.login(client, "ålice", "pässword with spaces\r") == "rejected: wrong password")
            #expect(await LocalUsersClientTests.login(client, "ålice", "second line") == "rejected: wrong password")
        }
    }

    /// Without options the cost is OWASP's, and the entry loads under OWASP's floor.
    @Test(.timeLimit(.minutes(2))) func theDefaultIsOWASPsPBKDF2() async throws {
        let result = try await Self.hashPassword([], stdin: "correct horse battery staple")
        #expect(result.status == 0, "\(result.stderr)")
        let line = result.stdout.trimmingCharacters(in: .newlines)
        #expect(line.hasPrefix("$pbkdf2-sha256$i=600000$"))
        let hash = try PasswordHash(phcString: line[...])
        #expect(hash.salt.count == 16)
        #expect(PasswordCostFloor.owasp.shortfall(of: hash.cost) == nil)
        #expect(try hash.verify(Array("correct horse battery staple".utf8)))
    }

    @Test(.timeLimit(.minutes(1)), arguments: [
        (["--log-n", "10"], "secret\n", "--algorithm scrypt"),
        (["--algorithm", "scrypt", "--iterations", "700000"], "secret\n", "--iterations is for pbkdf2-sha256"),
        (["--iterations", "1000"], "secret\n", "--allow-weak-cost"),
        (["--algorithm", "scrypt", "--log-n", "15"], "secret\n", "--allow-weak-cost"),
        (["--algorithm", "scrypt", "--log-n", "21"], "secret\n", "ln=21"),
        (["--algorithm", "argon2"], "secret\n", "argon2"),
        (["--username", "a:b"], "secret\n", "--username"),
        (["--username", "#root"], "secret\n", "comment"),
        ([], "", "no password on standard input"),
        ([], "\n", "the password is empty"),
        ([], String(repeating: "x", count: 2000), "longer than 1024 bytes"),
    ])
    func badInputFailsNamingWhatIsWrong(_ arguments: [String], _ stdin: String, _ named: String) async throws {
        let result = try await Self.hashPassword(arguments, stdin: stdin)
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty, "\(result.stdout)")
        #expect(result.stderr.contains(named), "\(result.stderr)")
    }

    /// At a terminal (a pseudo-terminal driven by Python's `pty`): asked twice, nothing echoed.
    static let terminalDriver = #"""
        import os, pty, select, sys, time
        twofold, first, second = sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode()
        pid, fd = pty.fork()
        if pid == 0:
            os.execv(twofold, [twofold, "hash-password", "--iterations", "1000", "--allow-weak-cost", "--username", "tty"])
        out = b""
        def read(until=None):
            global out
            deadline = time.time() + 30
            while until is None or until not in out:
                ready, _, _ = select.select([fd], [], [], max(0, deadline - time.time()))
                if not ready:
                    sys.exit("timed out waiting for %r, got %r" % (until, out))
                try:
                    chunk = os.read(fd, 1024)
                except OSError:
                    return
                if not chunk:
                    return
                out += chunk
        read(b"Password: ")
        os.write(fd, first + b"\n")
        read(b"Again: ")
        os.write(fd, second + b"\n")
        read()
        _, status = os.waitpid(pid, 0)
        sys.stdout.write(out.decode("utf-8", "replace"))
        sys.exit(os.waitstatus_to_exitcode(status))
        """#

    @Test(.timeLimit(.minutes(1)), .enabled(if: Peers.shouldRun("python3")))
    func atATerminalThePasswordIsAskedTwiceWithoutEcho() async throws {
        let python = try Peers.tool("python3")
        let typed = try await PeerProcess.run(python, ["-c", Self.terminalDriver, Self.twofold, "tty-s3cret", "tty-s3cret"])
        #expect(typed.status == 0, "\(typed.stdout)\(typed.stderr)")
        #expect(!typed.stdout.contains("tty-s3cret"), "the password was echoed: \(typed.stdout)")
        let line = typed.stdout.split(whereSeparator: \.isNewline).first { $0.hasPrefix("tty:$pbkdf2-sha256$i=1000$") }
        let entry = try #require(line, "\(typed.stdout)")
        #expect(try PasswordHash(phcString: entry.dropFirst("tty:".count)).verify(Array("tty-s3cret".utf8)))

        let mismatch = try await PeerProcess.run(python, ["-c", Self.terminalDriver, Self.twofold, "one", "two"])
        #expect(mismatch.status == 1, "\(mismatch.stdout)\(mismatch.stderr)")
        #expect(mismatch.stdout.contains("the two passwords differ"))
        #expect(!mismatch.stdout.contains("$pbkdf2"))
    }
}
