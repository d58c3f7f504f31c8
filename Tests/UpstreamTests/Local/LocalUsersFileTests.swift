import Foundation
import TestSupport
import Testing

@testable import Upstream

/// Temporary users files for the local users tests, removed at the end of each test.
final class UsersFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("twofold-local-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Writes `text` to `name` (mode 0600, replacing it atomically) and returns the path.
    @discardableResult
    func write(_ text: String, to name: String = "users", mode: Int = 0o600) throws -> String {
        let path = url.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    /// A users file line for `name` with a cheap hash of `password`.
    static func entry(_ name: String, _ password: String, cost: PasswordHashCost = .pbkdf2SHA256(iterations: 1_000)) throws -> String {
        "\(name):\(try PasswordHash.make(password: Array(password.utf8), cost: cost).phcString)"
    }
}

/// The users file format: what loads, and for what does not, the file:line and what to do.
@Suite struct LocalUsersFileTests {
    static func parse(_ text: String, floor: PasswordCostFloor = .none) throws(LocalUsersError) -> LocalUsers {
        try LocalUsers.parse(Array(text.utf8), path: "/etc/twofold/users", floor: floor)
    }

    /// The problems of a file that must not load.
    static func problems(_ text: String, floor: PasswordCostFloor = .none) -> [LocalUsersFileProblem] {
        do throws(LocalUsersError) {
            _ = try parse(text, floor: floor)
            Issue.record("the file loaded")
            return []
        } catch {
            #expect(error.kind == .invalidEntries)
            return error.problems
        }
    }

    @Test func commentsBlankLinesCRLFAndWhitespaceAroundLines() throws {
        let alice = try UsersFolder.entry("alice", "a")
        let bob = try UsersFolder.entry("bob", "b", cost: .scrypt(logN: 6, blockSize: 8, parallelism: 1))
        let text = "\u{FEFF}# twofold users\n\n   # indented comment\n\(alice)\r\n\t\(bob)  \n\n"
        let users = try Self.parse(text)
        #expect(users.names == ["alice", "bob"])
        #expect(users["alice"]?.line == 4)
        #expect(users["bob"]?.line == 5)
        #expect(users["bob"]?.hash.cost == .scrypt(logN: 6, blockSize: 8, parallelism: 1))
        #expect(users["carol"] == nil)
        #expect(users.warnings.isEmpty)
    }

    @Test func namesAreUTF8AndMatchedExactly() throws {
        let users = try Self.parse([
            try UsersFolder.entry("jos\u{E9}", "x"),  // precomposed é
            try UsersFolder.entry("ivan.petrov@corp", "y"),
            try UsersFolder.entry("CORP\\mary smith", "z"),
        ].joined(separator: "\n"))
        #expect(users["jose\u{301}"] != nil, "canonically equivalent spellings are one name")
        #expect(users["ivan.petrov@corp"] != nil)
        #expect(users["CORP\\mary smith"] != nil)
        #expect(users["Ivan.Petrov@corp"] == nil, "names are case-sensitive")
    }

    @Test func anEmptyFileLoadsWithAWarning() throws {
        let users = try Self.parse("# nobody yet\n")
        #expect(users.count == 0)
        #expect(users.warnings.contains { $0.contains("no users") })
        #expect(users.decoy.cost == .pbkdf2SHA256Default)
    }

    @Test(arguments: [
        ("alice", LocalUsersFileProblem.Kind.syntax, "expected NAME:HASH"),
        (":$pbkdf2-sha256$i=1000$AAECAwQFBgcICQoLDA0ODw$yLgziMJLXUKzG99wWsh7eOGToZVEF/1XH9+6xoFOyqI", .username, "empty"),
        ("alice :$pbkdf2-sha256$i=1000$AAECAwQFBgcICQoLDA0ODw$yLgziMJLXUKzG99wWsh7eOGToZVEF/1XH9+6xoFOyqI", .username, "whitespace"),
        ("al\u{7}ice:$pbkdf2-sha256$i=1000$AAECAwQFBgcICQoLDA0ODw$yLgziMJLXUKzG99wWsh7eOGToZVEF/1XH9+6xoFOyqI", .username, "U+0007"),
        ("alice\u{200B}:$pbkdf2-sha256$i=1000$AAECAwQFBgcICQoLDA0ODw$yLgziMJLXUKzG99wWsh7eOGToZVEF/1XH9+6xoFOyqI", .username, "U+200B"),
        ("\(String(repeating: "a", count: 254)):$pbkdf2-sha256$i=1000$AAECAwQFBgcICQoLDA0ODw$yLgziMJLXUKzG99wWsh7eOGToZVEF/1XH9+6xoFOyqI", .username, "longer than 253"),
        ("alice: $pbkdf2-sha256$i=1000$AAECAwQFBgcICQoLDA0ODw$yLgziMJLXUKzG99wWsh7eOGToZVEF/1XH9+6xoFOyqI", .hash, "whitespace after ':'"),
        ("alice:secret", .hash, "twofold hash-password --username \"alice\""),
        ("alice:$2b$12$abcdefghijklmnopqrstuv", .hash, "\"2b\" is not supported"),
        ("alice:$pbkdf2-sha256$i=1000$AAECAwQFBgcICQoLDA0ODw$yLgziMJLXUKzG99wWsh7eOGToZVEF/1XH9+6xoFOyq", .hash, "the hash is not"),
    ])
    func badLinesNameTheirLineAndTheFix(line: String, kind: LocalUsersFileProblem.Kind, says: String) throws {
        do throws(LocalUsersError) {
            _ = try Self.parse("# header\n\(line)\n")
            Issue.record("loaded")
        } catch {
            #expect(error.problems.count == 1)
            #expect(error.problems.first?.line == 2)
            #expect(error.problems.first?.kind == kind, "\(error)")
            #expect(error.diagnostic.hasPrefix("/etc/twofold/users:2: "), "\(error)")
            #expect(error.diagnostic.contains(says), "\(error)")
            #expect(!error.diagnostic.contains("yLgziMJLXUKzG99w"), "the hash is never repeated")
            #expect(!error.diagnostic.unicodeScalars.contains { $0.properties.generalCategory == .control && $0 != "\n" },
                    "a name with control characters is escaped in the diagnostic")
        }
    }

    @Test func invalidUTF8AndOverlongLinesAreNamed() {
        var bytes = Array("# ok\n".utf8) + [0x61, 0xFF, 0x3A, 0x0A]
        bytes += Array(repeating: UInt8(ascii: "b"), count: 5000) + [0x0A]
        do throws(LocalUsersError) {
            _ = try LocalUsers.parse(bytes, path: "u", floor: .none)
            Issue.record("loaded")
        } catch {
            #expect(error.problems.map(\.line) == [2, 3])
            #expect(error.problems.map(\.kind) == [.encoding, .tooLong])
        }
    }

    @Test func duplicatesAndCaseVariantsAreRefusedNamingBothLines() throws {
        let problems = Self.problems([
            try UsersFolder.entry("alice", "1"),
            try UsersFolder.entry("bob", "2"),
            try UsersFolder.entry("alice", "3"),
            try UsersFolder.entry("Bob", "4"),
            try UsersFolder.entry("jose\u{301}", "5"),
            try UsersFolder.entry("jos\u{E9}", "6"),
        ].joined(separator: "\n"))
        #expect(problems.map(\.line) == [3, 4, 6])
        #expect(problems.allSatisfy { $0.kind == .duplicate })
        #expect(problems[0].message.contains("already defined on line 1"))
        #expect(problems[1].message.contains("line 2") && problems[1].message.contains("letter case"))
        #expect(problems[2].message.contains("already defined on line 5"))
    }

    @Test func costsBelowTheFloorAreRefused() throws {
        let text = try UsersFolder.entry("alice", "a", cost: .pbkdf2SHA256(iterations: 1_000)) + "\n"
            + UsersFolder.entry("bob", "b", cost: .scrypt(logN: 6, blockSize: 8, parallelism: 1))
        let problems = Self.problems(text, floor: .owasp)
        #expect(problems.map(\.kind) == [.weakCost, .weakCost])
        #expect(problems[0].message.contains("below the floor of 600000"))
        #expect(problems[0].message.contains("twofold hash-password --username \"alice\""))
        #expect(problems[1].message.contains("N·r·p"))
        _ = try Self.parse(text, floor: PasswordCostFloor(minimumPBKDF2Iterations: 1_000, minimumScryptWork: 512))
    }

    @Test func everyProblemIsReportedUpToALimit() throws {
        let text = (1...30).map { "bad line \($0)" }.joined(separator: "\n")
        do throws(LocalUsersError) {
            _ = try Self.parse(text)
            Issue.record("loaded")
        } catch {
            #expect(error.problems.count == 30)
            #expect(error.diagnostic.contains("30 invalid lines"))
            #expect(error.diagnostic.contains("/etc/twofold/users:20: "))
            #expect(!error.diagnostic.contains("/etc/twofold/users:21: "))
            #expect(error.diagnostic.contains("and 10 more"))
        }
    }

    @Test func theDecoyHasTheCostMostEntriesUse() throws {
        let users = try Self.parse([
            try UsersFolder.entry("a", "1", cost: .scrypt(logN: 6, blockSize: 8, parallelism: 1)),
            try UsersFolder.entry("b", "2", cost: .pbkdf2SHA256(iterations: 1_500)),
            try UsersFolder.entry("c", "3", cost: .pbkdf2SHA256(iterations: 1_500)),
        ].joined(separator: "\n"))
        #expect(users.decoy.cost == .pbkdf2SHA256(iterations: 1_500))
        #expect(users.decoy.digest.count == 32)

        // PBKDF2 does its iterations once per 32 bytes of output: the decoy's output is as long
        // as most entries' (64 bytes from another tool here).
        let long = PasswordHash(cost: .pbkdf2SHA256(iterations: 1_500), salt: Array(0..<16), digest: Array(0..<64))
        let other = try Self.parse("a:\(long.phcString)\nb:\(long.phcString)\n\(try UsersFolder.entry("c", "3"))")
        #expect(other.decoy.cost == .pbkdf2SHA256(iterations: 1_500))
        #expect(other.decoy.digest.count == 64)
        #expect(other.decoy.digest != long.digest)
    }

    @Test func filesThatCannotBeReadOrAreWritableByAnyoneAreRefused() throws {
        let folder = try UsersFolder()
        let entry = try UsersFolder.entry("alice", "a")
        #expect(throws: LocalUsersError.self) { try LocalUsers.load(path: folder.url.appendingPathComponent("missing").path, floor: .none) }
        do throws(LocalUsersError) {
            _ = try LocalUsers.load(path: folder.url.path, floor: .none)
            Issue.record("a directory loaded")
        } catch {
            #expect(error.kind == .unreadable)
            #expect(error.diagnostic.contains("not a regular file"))
        }
        let open = try folder.write(entry, to: "open", mode: 0o666)
        do throws(LocalUsersError) {
            _ = try LocalUsers.load(path: open, floor: .none)
            Issue.record("a world-writable file loaded")
        } catch {
            #expect(error.kind == .unsafePermissions)
            #expect(error.diagnostic.contains("chmod o-w \(open)"))
        }
        let readable = try folder.write(entry, to: "readable", mode: 0o644)
        let users = try LocalUsers.load(path: readable, floor: .none)
        #expect(users.count == 1)
        #expect(users.warnings.contains { $0.contains("chmod o-r") })
        let big = folder.url.appendingPathComponent("big").path
        #expect(FileManager.default.createFile(atPath: big, contents: Data(count: LocalUsersLimits.maximumFileBytes + 1)))
        do throws(LocalUsersError) {
            _ = try LocalUsers.load(path: big, floor: .none)
            Issue.record("an oversized file loaded")
        } catch {
            #expect(error.kind == .unreadable)
            #expect(error.diagnostic.contains("larger than"))
        }
    }

    /// The example shipped in Examples/local-users loads under OWASP's floor, and its documented
    /// password for alice verifies.
    @Test(.timeLimit(.minutes(2))) func theShippedExampleLoadsAndAliceVerifies() throws {
        let path = Peers.packageRoot.appendingPathComponent("Examples/local-users/users").path
        let users = try LocalUsers.load(path: path, floor: .owasp)
        #expect(users.names == ["alice", "bob"])
        #expect(users["alice"]?.hash.cost == .pbkdf2SHA256Default)
        #expect(users["bob"]?.hash.cost == .scryptDefault)
        #expect(try users["alice"]?.hash.verify(Array("correct horse battery staple".utf8)) == true)
    }
}
