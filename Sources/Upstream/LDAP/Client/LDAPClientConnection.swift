#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LDAPWire
import NIOCore
import NIOPosix
import NIOSSL
import Policy

/// How a connection is protected; the TLS context is built once per ``ADClient`` and shared.
public enum LDAPClientSecurity: Sendable {
    case clear
    /// TLS from the first byte (LDAPS).
    case ldaps(NIOSSLContext)
    /// Plain LDAP upgraded with StartTLS before anything else is sent.
    case startTLS(NIOSSLContext)
}

/// One LDAP client connection over NIO: connect (with LDAPS or StartTLS), then bind and search, each
/// with a deadline. Operations may be pipelined; responses are matched by messageID.
///
/// Its answers are the server's `LDAPResult`s; only transport and protocol failures throw
/// (``LDAPClientError``).
public final class LDAPClientConnection: Sendable {
    public let endpoint: ADClientConfiguration.Endpoint
    private let channel: any Channel
    private let timeout: Duration

    /// Limits for what the server sends. Entries of users in many groups are large (AD returns up
    /// to 1500 memberOf values before range retrieval), so PDUs up to 4 MiB and 5000 values per
    /// attribute are accepted; anything larger closes the connection before it is buffered.
    public static let responseLimits = LDAPLimits(maximumPDUSize: 4 << 20, maximumElements: 5000)

    private init(endpoint: ADClientConfiguration.Endpoint, channel: any Channel, timeout: Duration) {
        self.endpoint = endpoint
        self.channel = channel
        self.timeout = timeout
    }

    /// Whether the connection is still open.
    public var isActive: Bool { channel.isActive }

    /// Connects to `endpoint`; returns once TCP is up and, for LDAPS and StartTLS, the TLS handshake
    /// has completed. Each step (connect, handshake, StartTLS) has its own `timeout`.
    public static func connect(
        to endpoint: ADClientConfiguration.Endpoint,
        security: LDAPClientSecurity,
        timeout: Duration,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(LDAPClientError) -> LDAPClientConnection {
        let label = endpoint.description
        let eventLoop = group.next()
        // SNI and hostname verification use the name; an IP address is verified against the
        // certificate's IP addresses from the connected address instead (NIOSSL refuses IPs in SNI).
        let serverHostname: String? = isIPAddress(endpoint.host) ? nil : endpoint.host
        let tlsContext: NIOSSLContext?
        let ldaps: Bool
        switch security {
        case .clear: (tlsContext, ldaps) = (nil, false)
        case .ldaps(let context): (tlsContext, ldaps) = (context, true)
        case .startTLS(let context): (tlsContext, ldaps) = (context, false)
        }
        let makeTLSHandler: (@Sendable () throws -> NIOSSLClientHandler)?
        if let tlsContext {
            makeTLSHandler = { try NIOSSLClientHandler(context: tlsContext, serverHostname: serverHostname) }
        } else {
            makeTLSHandler = nil
        }
        let tlsEstablished = ldaps ? eventLoop.makePromise(of: Void.self) : nil

        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: eventLoop)
                .connectTimeout(TimeAmount(timeout))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if ldaps, let makeTLSHandler {
                            try channel.pipeline.syncOperations.addHandler(makeTLSHandler())
                        }
                        try channel.pipeline.syncOperations.addHandler(
                            LDAPClientHandler(
                                endpoint: label, timeout: timeout, limits: LDAPClientConnection.responseLimits,
                                tlsEstablished: tlsEstablished, makeTLSHandler: ldaps ? nil : makeTLSHandler))
                    }
                }
                .connect(host: endpoint.host, port: endpoint.port)
                .get()
        } catch let error as ChannelError {
            tlsEstablished?.fail(error)
            if case .connectTimeout = error {
                throw .timedOut(label, "connect", after: timeout)
            }
            throw .connectFailed(label, "\(error)")
        } catch {
            tlsEstablished?.fail(error)
            throw .connectFailed(label, connectFailureReason(error))
        }
        let connection = LDAPClientConnection(endpoint: endpoint, channel: channel, timeout: timeout)

        if let tlsEstablished {
            let deadline = eventLoop.scheduleTask(in: TimeAmount(timeout)) {
                tlsEstablished.fail(LDAPClientError.timedOut(label, "the TLS handshake", after: timeout))
                channel.close(promise: nil)
            }
            do {
                try await tlsEstablished.futureResult.get()
                deadline.cancel()
            } catch {
                deadline.cancel()
                await connection.close()
                throw error as? LDAPClientError ?? .tlsFailed(label, "\(error)")
            }
        } else if case .startTLS = security {
            do throws(LDAPClientError) {
                let response = try await connection.execute(.startTLS)
                guard case .startedTLS = response else {
                    throw LDAPClientError.protocolViolation(label, "unexpected answer to StartTLS")
                }
            } catch {
                await connection.close()
                throw error
            }
        }
        return connection
    }

    /// A simple bind; returns the server's result (success, invalidCredentials, ...).
    public func bind(name: String, password: Password) async throws(LDAPClientError) -> LDAPResult {
        guard case .bind(let result) = try await execute(.bind(name: name, password: password)) else {
            throw .protocolViolation(endpoint.description, "unexpected answer to a bind")
        }
        return result
    }

    /// A search; keeps at most `maximumEntries` entries (the rest are counted).
    public func search(
        _ request: LDAPMessage.SearchRequest, maximumEntries: Int
    ) async throws(LDAPClientError) -> LDAPSearchOutcome {
        guard case .search(let outcome) = try await execute(.search(request, maximumEntries: maximumEntries)) else {
            throw .protocolViolation(endpoint.description, "unexpected answer to a search")
        }
        return outcome
    }

    /// Relays one request of a proxied client as it came (with its controls) and returns every
    /// response to it, the final one last. Referrals and references come back as they are: the
    /// client decides, and nothing here follows them.
    public func relay(
        _ op: LDAPMessage.ProtocolOp, controls: [LDAPControl], limits: LDAPRelayLimits = LDAPRelayLimits()
    ) async throws(LDAPClientError) -> [LDAPMessage] {
        guard case .relayed(let responses) = try await execute(.relay(op, controls: controls, limits: limits)) else {
            throw .protocolViolation(endpoint.description, "unexpected answer to a relayed \(op.kind)")
        }
        return responses
    }

    /// Sends an UnbindRequest when the connection is still open, then closes it.
    public func close() async {
        if channel.isActive {
            _ = try? await execute(.unbind)
        }
        try? await channel.close()
    }

    /// Closes the connection without waiting (an unbind is written first when it is open).
    public func closeSoon() {
        let channel = self.channel
        guard channel.isActive else { return }
        let promise = channel.eventLoop.makePromise(of: LDAPClientResponse.self)
        channel.writeAndFlush(LDAPClientRequest(operation: .unbind, promise: promise)).whenComplete { result in
            // The handler answers an unbind when it writes it; a channel already torn down does not.
            if case .failure(let error) = result { promise.fail(error) }
            channel.close(promise: nil)
        }
    }

    func execute(_ operation: LDAPClientOperation) async throws(LDAPClientError) -> LDAPClientResponse {
        let promise = channel.eventLoop.makePromise(of: LDAPClientResponse.self)
        let label = endpoint.description
        channel.writeAndFlush(LDAPClientRequest(operation: operation, promise: promise)).whenFailure { error in
            // The handler fails the operation itself; this covers a channel already torn down.
            promise.fail(error as? LDAPClientError ?? .connectionClosed(label, "before \(operation) was sent: \(error)"))
        }
        do {
            return try await promise.futureResult.get()
        } catch let error as LDAPClientError {
            throw error
        } catch {
            throw .connectionClosed(label, "during \(operation): \(error)")
        }
    }

    private static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }

    private static func connectFailureReason(_ error: any Error) -> String {
        if let error = error as? NIOConnectionError {
            let reasons = error.connectionErrors.map { attempt in
                let address = attempt.target.ipAddress ?? "\(attempt.target)"
                return "\(address): \(describe(attempt.error))"
            }
            if !reasons.isEmpty { return reasons.joined(separator: ", ") }
            if let dns = error.dnsAAAAError ?? error.dnsAError { return "the name was not resolved: \(dns)" }
        }
        return describe(error)
    }

    /// `connection refused` rather than NIO's `connection reset (error set): Connection refused) (errno: 111)`.
    private static func describe(_ error: any Error) -> String {
        if let error = error as? IOError {
            return String(cString: strerror(error.errnoCode)).lowercased()
        }
        return "\(error)"
    }
}
