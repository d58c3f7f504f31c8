import Foundation
import Policy
import Upstream

/// Local password checks per second per hash cost, on one core (the calling thread), then through
/// `LocalUsersClient` on a pool with one thread per core: what a `[local_client]` can answer at
/// most, and what each cost buys.
func runLocalUsersBenchmark() async throws {
    print("Local users file: password checks (one core, best of 3 rounds of at least 1 s)")
    let header = "cost".padding(toLength: 34, withPad: " ", startingAt: 0)
    print("\(header)   ms/check   checks/s   memory/check")
    let costs: [PasswordHashCost] = [
        .pbkdf2SHA256(iterations: 600_000),
        .pbkdf2SHA256(iterations: 310_000),
        .pbkdf2SHA256(iterations: 100_000),
        .scrypt(logN: 17, blockSize: 8, parallelism: 1),
        .scrypt(logN: 15, blockSize: 8, parallelism: 1),
    ]
    let password = Array("correct horse battery staple".utf8)
    let clock = ContinuousClock()
    for cost in costs {
        let hash = try PasswordHash.make(password: password, cost: cost)
        var best = Double.infinity
        for _ in 0..<3 {
            var checks = 0
            let start = clock.now
            repeat {
                guard try hash.verify(password) else { fatalError("the benchmark's own hash does not verify") }
                checks += 1
            } while clock.now - start < .seconds(1)
            best = min(best, seconds(clock.now - start) / Double(checks))
        }
        let name = cost.description.padding(toLength: 34, withPad: " ", startingAt: 0)
        let memory = cost.memoryBytes == 0 ? "-" : "\(cost.memoryBytes >> 20) MiB"
        print("\(name) \(format(best * 1000, width: 10, decimals: 1)) \(format(1 / best, width: 10, decimals: 1))   \(memory)")
    }

    // The whole path: LocalUsersClient, the pool's threads, the decoy for unknown users.
    let pool = PasswordCheckPool()
    let threads = pool.configuration.threads
    let entry = "alice:" + (try PasswordHash.make(password: password, cost: .pbkdf2SHA256Default)).phcString
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("twofold-bench-users-\(UUID().uuidString)").path
    try (entry + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: path) }
    let client = try LocalUsersClient(configuration: .init(usersFile: path), pool: pool)
    let logins = threads * 8
    let start = clock.now
    let accepted = await withTaskGroup(of: Bool.self) { group in
        for index in 0..<logins {
            group.addTask {
                let name = index % 2 == 0 ? "alice" : "mallory"
                let outcome = await client.authenticate(PrimaryRequest(username: name, password: Password(password)))
                if case .accepted = outcome { return true }
                return false
            }
        }
        return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
    }
    let elapsed = seconds(clock.now - start)
    try await pool.shutdown()
    print("LocalUsersClient, pbkdf2-sha256 i=600000, \(threads) thread(s): \(logins) logins (half unknown users) in \(format(elapsed, width: 0, decimals: 2)) s = \(format(Double(logins) / elapsed, width: 0, decimals: 1)) logins/s; \(accepted) accepted")
}

private func seconds(_ duration: Duration) -> Double {
    let (whole, attoseconds) = duration.components
    return Double(whole) + Double(attoseconds) / 1e18
}

private func format(_ value: Double, width: Int, decimals: Int) -> String {
    String(format: "%\(width).\(decimals)f", value)
}
