import Logging
import NIOCore
import NIOPosix
import Policy
import RADIUSWire

/// `[radius_client]`: checks passwords against upstream RADIUS servers (PAP, RFC 2865).
///
/// Each login becomes one Access-Request with a fresh random Request Authenticator, the password
/// hidden with the shared secret (RFC 2865 §5.2) and Message-Authenticator first (RFC 3579 §3.2,
/// the BlastRADIUS mitigation). Replies are believed only when they come from the server the
/// request went to and both authenticators verify; Access-Accept, -Reject and -Challenge become
/// ``PrimaryOutcome``s, silence on every server becomes `.unavailable`.
///
/// ```swift
/// let client = try await RADIUSClient.start(configuration: configuration, logger: logger)
/// let outcome = await client.authenticate(PrimaryRequest(username: "alice", password: password))
/// await client.shutdown()
/// ```
public final class RADIUSClient: PrimaryAuthenticator {
    /// Source sockets a client may open: 64 * 256 = 16,384 logins pending at once, far above what
    /// a device sends, and a bound on what a stalled upstream can make this proxy hold.
    public static let defaultMaximumSourceSockets = 64

    public let name: String
    public let configuration: RADIUSClientConfiguration
    private let transport: RADIUSClientTransport

    private init(name: String, configuration: RADIUSClientConfiguration, transport: RADIUSClientTransport) {
        self.name = name
        self.configuration = configuration
        self.transport = transport
    }

    /// Resolves the servers and opens the first source socket.
    ///
    /// - Parameters:
    ///   - name: the section name, for logs and auth events (`radius_client`, `radius_client2`).
    ///   - eventLoopGroup: one of its loops carries every socket and timer of this client.
    ///   - maximumSourceSockets: a cap on pending requests of 256 per socket.
    /// - Throws: ``RADIUSClientStartError`` when a host does not resolve, the hosts mix IPv4 and
    ///   IPv6, or no socket can be opened.
    public static func start(
        name: String = "radius_client",
        configuration: RADIUSClientConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        maximumSourceSockets: Int = defaultMaximumSourceSockets,
        logger: Logger = Logger(label: "twofold.radius_client")
    ) async throws(RADIUSClientStartError) -> RADIUSClient {
        var logger = logger
        logger[metadataKey: "client"] = "\(name)"
        for warning in configuration.warnings { logger.warning("\(warning)") }
        let transport = try await RADIUSClientTransport.start(
            configuration: configuration, eventLoop: eventLoopGroup.next(),
            maximumSockets: max(1, maximumSourceSockets), logger: logger)
        return RADIUSClient(name: name, configuration: configuration, transport: transport)
    }

    public func authenticate(_ request: PrimaryRequest) async -> PrimaryOutcome {
        // An empty password is never sent: some servers treat it as "no password required".
        guard !request.password.isEmpty else {
            return .rejected(PrimaryRejection(.emptyPassword, diagnostic: "empty password, not sent to \(serverList)"))
        }
        let packet: RADIUSPacket
        do throws(RADIUSUpstreamMessages.RequestProblem) {
            packet = try RADIUSUpstreamMessages.accessRequest(
                for: request, configuration: configuration, authenticator: .random())
        } catch {
            switch error {
            case .passwordTooLong(let count):
                return .rejected(
                    PrimaryRejection(
                        .wrongPassword,
                        diagnostic: "a password of \(count) octets is above RADIUS's 128 (RFC 2865 §5.2); not sent to \(serverList)"))
            case .userNameLength(let count):
                return .rejected(
                    PrimaryRejection(
                        .unknownUser, diagnostic: "a user name of \(count) octets cannot be sent in RADIUS (1 to 253)"))
            case .tooLarge(let reason):
                return .unavailable(diagnostic: "the Access-Request for \(serverList) could not be built: \(reason)")
            }
        }
        switch await transport.send(packet) {
        case .reply(let reply, let server):
            return RADIUSUpstreamMessages.outcome(of: reply, from: server, filter: configuration.passThrough)
        case .failure(let diagnostic):
            return .unavailable(diagnostic: diagnostic)
        }
    }

    /// Counters since start: requests, retransmissions, failovers, drops by reason, sockets.
    public var statistics: RADIUSClientStatistics { transport.statistics }

    /// Fails the logins still waiting (as `.unavailable`) and closes every socket.
    public func shutdown() async {
        await transport.shutdown()
    }

    private var serverList: String {
        configuration.servers.map(\.description).joined(separator: ", ")
    }
}
