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
}
