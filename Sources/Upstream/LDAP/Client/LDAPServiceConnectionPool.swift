import NIOConcurrencyHelpers

/// A few connections to one server, each already bound as the service account, reused across
/// logins: a login costs one search instead of connect + TLS + bind + search.
///
/// Only the service account's searches use these connections. A user's password is always checked
/// on a fresh connection of its own, so a user bind can never change the identity a pooled
/// connection searches with.
final class LDAPServiceConnectionPool: Sendable {
    private struct State {
        var idle: [LDAPClientConnection] = []
        var isShutDown = false
    }

    /// A pthread mutex rather than `Synchronization.Mutex`: on Linux the latter locks with raw
    /// futexes that ThreadSanitizer cannot see, so every pool access was reported as a race.
    private let state = NIOLockedValueBox(State())
    /// The most idle connections kept; a burst opens more and closes the surplus afterwards.
    let maximumIdle: Int
    /// Connects and binds as the service account.
    private let open: @Sendable () async throws(LDAPClientError) -> LDAPClientConnection

    init(maximumIdle: Int, open: @escaping @Sendable () async throws(LDAPClientError) -> LDAPClientConnection) {
        self.maximumIdle = maximumIdle
        self.open = open
    }

    /// A client dropped without ``shutdown()`` still closes its idle connections.
    deinit {
        for connection in state.withLockedValue({ $0.idle }) { connection.closeSoon() }
    }

    /// How many idle connections are still open (for tests).
    var activeIdleCount: Int { state.withLockedValue { $0.idle.filter(\.isActive).count } }

    /// Runs `body` on a bound connection: an idle one when there is one, else a new one. A reused
    /// connection that turns out to be closed (the server restarted, an idle timeout) is replaced
    /// once by a fresh one; any failure discards the connection it happened on.
    func withConnection<Result>(
        _ body: (LDAPClientConnection) async throws(LDAPClientError) -> Result
    ) async throws(LDAPClientError) -> Result {
        if let reused = takeIdle() {
            do throws(LDAPClientError) {
                let result = try await body(reused)
                release(reused)
                return result
            } catch {
                reused.closeSoon()
                guard error.kind == .connectionClosed else { throw error }
            }
        }
        let fresh = try await open()
        do throws(LDAPClientError) {
            let result = try await body(fresh)
            release(fresh)
            return result
        } catch {
            fresh.closeSoon()
            throw error
        }
    }

    /// Closes the idle connections; connections in use are closed when they come back.
    func shutdown() async {
        let idle = state.withLockedValue { state in
            state.isShutDown = true
            defer { state.idle = [] }
            return state.idle
        }
        for connection in idle { await connection.close() }
    }

    private func takeIdle() -> LDAPClientConnection? {
        var dead: [LDAPClientConnection] = []
        let found: LDAPClientConnection? = state.withLockedValue { state in
            while let candidate = state.idle.popLast() {
                if candidate.isActive { return candidate }
                dead.append(candidate)
            }
            return nil
        }
        for connection in dead { connection.closeSoon() }
        return found
    }

    private func release(_ connection: LDAPClientConnection) {
        let kept = state.withLockedValue { state in
            guard !state.isShutDown, connection.isActive, state.idle.count < maximumIdle else { return false }
            state.idle.append(connection)
            return true
        }
        if !kept { connection.closeSoon() }
    }
}
