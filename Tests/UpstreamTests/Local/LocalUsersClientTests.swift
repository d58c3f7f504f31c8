import Foundation
import NIOCore
import Policy
import TestSupport
import Testing

@testable import Upstream

/// `[local_client]` answering logins: right, wrong, unknown and empty passwords, per-entry costs,
/// the bound on pending checks, and reloads that swap the users in one step or not at all.
/// Serialized: the checks are CPU work, and one test measures time.
@Suite(.serialized) struct LocalUsersClientTests {
    /// A short name for an outcome, to compare.
    static func summary(_ outcome: PrimaryOutcome) -> String {
        switch outcome {
        case .accepted: "accepted"
        case .rejected(let rejection): "rejected: \(rejection.kind)"
        case .challenged: "challenged"
        case .unavailable: "unavailable"
        }
    }

    static func login(_ client: LocalUsersClient, _ name: String, _ password: String) async -> String {
        summary(await client.authenticate(PrimaryRequest(username: name, password: Password(password))))
    }

    /// Runs `body` with a pool, and shuts the pool down afterwards.
    static func withPool<T>(
        _ configuration: PasswordCheckPool.Configuration = .init(threads: 2),
        _ body: (PasswordCheckPool) async throws -> T
    ) async throws -> T {
        let pool = PasswordCheckPool(configuration: configuration)
        do {
            let result = try await body(pool)
            try await pool.shutdown()
            return result
        } catch {
            try? await pool.shutdown()
            throw error
        }
    }

    @Test(.timeLimit(.minutes(2))) func rightWrongUnknownAndEmpty() async throws {
        let folder = try UsersFolder()
        let path = try folder.write([
            "# two users with different algorithms and costs",
            try UsersFolder.entry("alice", "wonderland"),
            try UsersFolder.entry("bob", "bøb's pässword", cost: .scrypt(logN: 8, blockSize: 4, parallelism: 2)),
        ].joined(separator: "\n"))
        try await Self.withPool { pool in
            let client = try LocalUsersClient(
                name: "local_client2", configuration: .init(usersFile: path, costFloor: .none), pool: pool)
            #expect(client.name == "local_client2")
            #expect(await Self.login(client, "alice", "wonderland") == "accepted")
            #expect(await Self.login(client, "bob", "bøb's pässword") == "accepted")
            #expect(await Self.login(client, "alice", "Wonderland") == "rejected: wrong password")
            #expect(await Self.login(client, "alice", "wonderland ") == "rejected: wrong password")
            #expect(await Self.login(client, "bob", "wonderland") == "rejected: wrong password")
            #expect(await Self.login(client, "Alice", "wonderland") == "rejected: unknown user")
            #expect(await Self.login(client, "carol", "wonderland") == "rejected: unknown user")
            #expect(await Self.login(client, "alice", "") == "rejected: empty password")
            #expect(await Self.login(client, "carol", "") == "rejected: empty password")

            let unknown = await client.authenticate(PrimaryRequest(username: "car\nol", password: Password("x")))
            guard case .rejected(let rejection) = unknown else { Issue.record("\(unknown)"); return }
            #expect(rejection.diagnostic.contains("\"car\\u{000A}ol\""), "names are escaped: \(rejection.diagnostic)")
            #expect(rejection.diagnostic.contains(path))

            let wrong = await client.authenticate(PrimaryRequest(username: "alice", password: Password("not her password")))
            guard case .rejected(let rejection) = wrong else { Issue.record("\(wrong)"); return }
            #expect(rejection.diagnostic.contains("\(path):2"))
            #expect(!rejection.diagnostic.contains("not her password"))
        }
    }

    /// The password bytes are checked as sent: RADIUS passwords need not be UTF-8.
    @Test(.timeLimit(.minutes(1))) func nonUTF8PasswordBytes() async throws {
        let folder = try UsersFolder()
        let bytes: [UInt8] = [0xFF, 0x00, 0x80, 0x41]
        let entry = "dave:" + (try PasswordHash.make(password: bytes, cost: .pbkdf2SHA256(iterations: 1_000))).phcString
        let path = try folder.write(entry)
        try await Self.withPool { pool in
            let client = try LocalUsersClient(configuration: .init(usersFile: path, costFloor: .none), pool: pool)
            #expect(Self.summary(await client.authenticate(PrimaryRequest(username: "dave", password: Password(bytes)))) == "accepted")
            #expect(Self.summary(await client.authenticate(PrimaryRequest(username: "dave", password: Password(Array(bytes.dropLast()))))) == "rejected: wrong password")
        }
    }

    /// An unknown user costs a hash of the same cost as a wrong password: without the decoy it
    /// would answer in microseconds instead of the tens of milliseconds a check takes.
    @Test(.timeLimit(.minutes(2))) func unknownUsersTakeAsLongAsWrongPasswords() async throws {
        let folder = try UsersFolder()
        let cost = PasswordHashCost.pbkdf2SHA256(iterations: 100_000)
        let path = try folder.write(try UsersFolder.entry("alice", "right", cost: cost))
        try await Self.withPool(.init(threads: 1)) { pool in
            let client = try LocalUsersClient(configuration: .init(usersFile: path, costFloor: .none), pool: pool)
            #expect(client.users.decoy.cost == cost)
            let clock = ContinuousClock()
            var wrong: [Duration] = []
            var unknown: [Duration] = []
            for _ in 0..<3 {
                var start = clock.now
                #expect(await Self.login(client, "alice", "wrong") == "rejected: wrong password")
                wrong.append(clock.now - start)
                start = clock.now
                #expect(await Self.login(client, "mallory", "wrong") == "rejected: unknown user")
                unknown.append(clock.now - start)
            }
            // Minimums, and a wide margin: load only makes things slower, never an absent hash slower.
            #expect(unknown.min()! * 4 > wrong.min()!, "unknown \(unknown), wrong \(wrong)")
        }
    }

    /// With one thread and room for one check, a second login while the first is being checked
    /// is refused at once instead of queueing.
    @Test(.timeLimit(.minutes(2))) func checksBeyondTheBoundAreRefusedAtOnce() async throws {
        let folder = try UsersFolder()
        let slow = PasswordHashCost.pbkdf2SHA256(iterations: 1_000_000)
        let path = try folder.write(try UsersFolder.entry("alice", "right", cost: slow))
        try await Self.withPool(.init(threads: 1, maximumPending: 1)) { pool in
            let client = try LocalUsersClient(configuration: .init(usersFile: path, costFloor: .none), pool: pool)
            async let first = Self.login(client, "alice", "right")
            try await Wait.until("the first check is admitted", timeout: .seconds(30)) { pool.pendingCount == 1 }
            let second = await client.authenticate(PrimaryRequest(username: "alice", password: Password("right")))
            guard case .unavailable(let diagnostic) = second else { Issue.record("\(second)"); return }
            #expect(diagnostic.contains("already running or queued"))
            #expect(await first == "accepted")
            #expect(pool.pendingCount == 0)
        }
    }

    /// While the pool's thread is busy hashing, tasks on the cooperative pool keep running: with
    /// more checks in flight than there are cores, hashing on the cooperative pool would stall
    /// them for seconds.
    @Test(.timeLimit(.minutes(2))) func hashingLeavesTheCooperativePoolFree() async throws {
        let folder = try UsersFolder()
        // About a second of hashing in all, so that the checks outlast the sleeps on a loaded machine.
        let path = try folder.write(try UsersFolder.entry("alice", "right", cost: .pbkdf2SHA256(iterations: 2_000_000)))
        try await Self.withPool(.init(threads: 1)) { pool in
            let client = try LocalUsersClient(configuration: .init(usersFile: path, costFloor: .none), pool: pool)
            let logins = System.coreCount + 1
            async let outcomes = withTaskGroup(of: String.self) { group in
                for _ in 0..<logins { group.addTask { await Self.login(client, "alice", "right") } }
                return await group.reduce(into: []) { $0.append($1) }
            }
            try await Wait.until("the checks are admitted", timeout: .seconds(30)) { pool.pendingCount == logins }
            // Hashing on the cooperative pool would hold its threads until every check is done, so
            // the sleeps could only resume after the last one: they resume while checks remain.
            // (No time bound: on a loaded machine both the sleeps and the hashing stretch.)
            for _ in 0..<50 { try await Task.sleep(for: .milliseconds(1)) }
            #expect(pool.pendingCount > 0, "the checks were still running while the sleeps resumed")
            #expect(await outcomes == Array(repeating: "accepted", count: logins))
        }
    }

    @Test(.timeLimit(.minutes(1))) func afterShutdownLoginsAreUnavailableNotAccepted() async throws {
        let folder = try UsersFolder()
        let path = try folder.write(try UsersFolder.entry("alice", "right"))
        let pool = PasswordCheckPool(configuration: .init(threads: 1))
        let client = try LocalUsersClient(configuration: .init(usersFile: path, costFloor: .none), pool: pool)
        try await pool.shutdown()
        #expect(await Self.login(client, "alice", "right") == "unavailable")
    }

    @Test(.timeLimit(.minutes(1))) func reloadSwapsInTheNewUsers() async throws {
        let folder = try UsersFolder()
        let path = try folder.write(try UsersFolder.entry("alice", "old"))
        try await Self.withPool { pool in
            let client = try LocalUsersClient(configuration: .init(usersFile: path, costFloor: .none), pool: pool)
            #expect(await Self.login(client, "alice", "old") == "accepted")
            #expect(await Self.login(client, "bob", "builder") == "rejected: unknown user")

            try folder.write([try UsersFolder.entry("alice", "new"), try UsersFolder.entry("bob", "builder")].joined(separator: "\n"))
            let reloaded = try client.reload()
            #expect(reloaded.names == ["alice", "bob"])
            #expect(client.users.count == 2)
            #expect(await Self.login(client, "alice", "old") == "rejected: wrong password")
            #expect(await Self.login(client, "alice", "new") == "accepted")
            #expect(await Self.login(client, "bob", "builder") == "accepted")
        }
    }

    @Test(.timeLimit(.minutes(1))) func aBadReloadKeepsThePreviousUsersAndSaysSo() async throws {
        let folder = try UsersFolder()
        let path = try folder.write([try UsersFolder.entry("alice", "old"), try UsersFolder.entry("bob", "builder")].joined(separator: "\n"))
        try await Self.withPool { pool in
            let client = try LocalUsersClient(configuration: .init(usersFile: path, costFloor: .none), pool: pool)

            // A new file with one good line and one broken one: nothing of it is taken.
            try folder.write([try UsersFolder.entry("alice", "new"), "carol:not-a-hash"].joined(separator: "\n"))
            do throws(LocalUsersError) {
                try client.reload()
                Issue.record("a bad file was loaded")
            } catch {
                #expect(error.kind == .invalidEntries)
                #expect(error.keptPreviousUsers == 2)
                #expect(error.diagnostic.contains("\(path):2: "), "\(error)")
                #expect(error.diagnostic.contains("stays in use"), "\(error)")
            }
            #expect(await Self.login(client, "alice", "old") == "accepted")
            #expect(await Self.login(client, "alice", "new") == "rejected: wrong password")
            #expect(await Self.login(client, "carol", "x") == "rejected: unknown user")

            // A file that went away: the same.
            try FileManager.default.removeItem(atPath: path)
            #expect(throws: LocalUsersError.self) { try client.reload() }
            #expect(await Self.login(client, "bob", "builder") == "accepted")
        }
    }

    @Test func aClientIsNotMadeFromABadFile() async throws {
        let folder = try UsersFolder()
        let path = try folder.write("alice:$pbkdf2-sha256$i=1000$AAECAwQFBgcICQoLDA0ODw$yLgziMJLXUKzG99wWsh7eOGToZVEF/1XH9+6xoFOyqI")
        try await Self.withPool { pool in
            do throws(LocalUsersError) {
                _ = try LocalUsersClient(configuration: .init(usersFile: path), pool: pool)
                Issue.record("a file below OWASP's floor loaded")
            } catch {
                #expect(error.problems.map(\.kind) == [.weakCost])
                #expect(error.keptPreviousUsers == nil)
            }
        }
    }
}
