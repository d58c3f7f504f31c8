import Foundation
import Testing
import Upstream

/// Admission follows how long checks take: cheap hashes admit many, slow ones few.
@Suite(.serialized) struct PasswordCheckPoolTests {
    @Test(.timeLimit(.minutes(1))) func admissionFollowsTheDurationOfChecks() async throws {
        let pool = PasswordCheckPool(configuration: .init(threads: 1, maximumPending: 500, maximumWait: .seconds(1)))
        #expect(pool.admissionLimit == 500)  // nothing measured yet: the hard bound
        for _ in 0..<4 { try await pool.run { usleep(100_000) } }  // ~100 ms a check
        // About 1 s / 100 ms = 10 (fewer when this machine is loaded and checks run slower).
        #expect((1...11).contains(pool.admissionLimit), "\(pool.admissionLimit)")
        for _ in 0..<40 { try await pool.run { } }  // cheap checks: the average falls
        #expect(pool.admissionLimit > 100, "\(pool.admissionLimit)")
        try await pool.shutdown()
    }
}
