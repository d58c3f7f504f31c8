import AsyncHTTPClient
import Synchronization

/// The connection pools that carry `auth_status` long-polls. Duo holds each poll until the user
/// answers the push, so every pending push holds a request open for up to its timeout.
///
/// Over HTTP/2 (when Duo offers it by ALPN) a pool is one connection, and a poll is one of its
/// streams: thousands of pending pushes cost a few connections instead of one TLS connection each
/// (about 75 KB with NIOSSL's buffers, and a handshake). A pool never holds more than
/// ``pollsPerPool`` polls, below the ~100 concurrent streams servers allow: past a server's limit
/// a pool would queue the poll behind others that may wait minutes for their users. Over HTTP/1.1
/// a pool holds up to ``pollsPerPool`` connections, which also keeps each pool's bookkeeping short
/// (it scans its connections on every request).
///
/// Pools are created when the ones in use are full, up to enough for `limit` polls, and filled in
/// order, so that few connections carry the polls. Past the limit, polls wait in the emptiest pool.
final class DuoStatusPools: Sendable {
    static let pollsPerPool = 96

    private struct State {
        var pools: [HTTPClient] = []
        var polls: [Int] = []
        var closed = false
    }

    private let state = Mutex(State())
    private let configuration: HTTPClient.Configuration
    private let maximumPools: Int

    /// - Parameter limit: polls in flight at once before they wait (`statusConnectionLimit`).
    init(configuration: HTTPClient.Configuration, limit: Int) {
        var configuration = configuration
        configuration.httpVersion = .automatic
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = Self.pollsPerPool
        self.configuration = configuration
        maximumPools = max(1, (limit + Self.pollsPerPool - 1) / Self.pollsPerPool)
    }

    /// A pool with room for one poll, held until ``release(_:)``.
    struct Lease {
        let pool: HTTPClient
        fileprivate let index: Int
    }

    /// Takes room for one poll in a pool. Synchronous, so that a waiting poll's task frames hold
    /// only the lease, not the pool's bookkeeping.
    func lease() throws -> Lease {
        try state.withLock { state in
            if state.closed { throw HTTPClientError.alreadyShutdown }
            if let index = state.polls.firstIndex(where: { $0 < Self.pollsPerPool }) {
                state.polls[index] += 1
                return Lease(pool: state.pools[index], index: index)
            }
            if state.pools.count < maximumPools {
                state.pools.append(HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration))
                state.polls.append(1)
                return Lease(pool: state.pools[state.pools.count - 1], index: state.pools.count - 1)
            }
            // Every pool is full: wait in the emptiest one.
            let index = state.polls.indices.min { state.polls[$0] < state.polls[$1] }!
            state.polls[index] += 1
            return Lease(pool: state.pools[index], index: index)
        }
    }

    /// Gives back the room a ``lease()`` took.
    func release(_ lease: Lease) {
        state.withLock { $0.polls[lease.index] -= 1 }
    }

    /// Closes every pool, together: one by one, many pools take seconds on a loaded machine.
    func shutdown() async throws {
        let pools = state.withLock { state in
            state.closed = true
            return state.pools
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for pool in pools { group.addTask { try await pool.shutdown() } }
            try await group.waitForAll()
        }
    }
}
