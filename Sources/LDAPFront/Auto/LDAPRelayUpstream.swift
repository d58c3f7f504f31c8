import LDAPWire
import Synchronization
import Upstream

/// One client connection's own connection to an `[ldap_server_auto]` section's directory: opened
/// at the first operation relayed there, closed when the client goes (or when a bind Duo refused
/// may have left it bound as the user). Never shared between client connections, so one client's
/// bind can never lend its identity to another's operations.
final class LDAPRelayUpstream: Sendable {
    private let directory: ADClient
    private let timeout: Duration?

    private struct State {
        var connection: LDAPClientConnection?
        /// The client is gone: a connection still being opened is closed when it arrives.
        var closed = false
    }
    private let state = Mutex(State())

    init(directory: ADClient, timeout: Duration?) {
        self.directory = directory
        self.timeout = timeout
    }

    /// The open connection, or a new one.
    func connection() async throws(LDAPClientError) -> LDAPClientConnection {
        let existing = state.withLock { state -> LDAPClientConnection? in
            guard let connection = state.connection, connection.isActive else {
                state.connection = nil
                return nil
            }
            return connection
        }
        if let existing { return existing }
        let opened = try await directory.openRelayConnection(timeout: timeout)
        let closed = state.withLock { state -> Bool in
            if !state.closed { state.connection = opened }
            return state.closed
        }
        if closed {
            opened.closeSoon()
            throw LDAPClientError(.connectionClosed, diagnostic: "\(opened.endpoint): the client left while the connection was opened")
        }
        return opened
    }

    /// Closes the connection (an unbind first); the next operation opens a new one unless `final`.
    func close(final: Bool) {
        let connection = state.withLock { state -> LDAPClientConnection? in
            if final { state.closed = true }
            defer { state.connection = nil }
            return state.connection
        }
        connection?.closeSoon()
    }

    /// Relays one request and returns its responses.
    func relay(_ message: LDAPMessage, limits: LDAPRelayLimits) async throws(LDAPClientError) -> [LDAPMessage] {
        let connection = try await connection()
        do throws(LDAPClientError) {
            return try await connection.relay(message.protocolOp, controls: message.controls, limits: limits)
        } catch {
            // The connection cannot be trusted to pair later responses: the next operation opens anew.
            close(final: false)
            throw error
        }
    }
}
