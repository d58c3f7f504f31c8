import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL
import Synchronization

/// A running simulator listener: an HTTPS server (TLS 1.2+, HTTP/2 or HTTP/1.1 by ALPN) or a plain
/// HTTP/1.1 one on swift-nio, one event loop per core, serving Duo's Auth API v2 from `DuoSimEngine`.
/// Over HTTP/2 each stream is one request (at most 100 at once per connection, NIO's default).
///
/// ```swift
/// let sim = try await DuoSimServer.start(DuoSimConfiguration(integrations: ["DIXXX": "secret"], tls: .selfSigned))
/// // point a client at 127.0.0.1:\(sim.port), trusting sim.caCertificatePEM
/// sim.setFault(.status(503, path: "/auth/v2/preauth"))
/// await sim.stop()
/// ```
public final class DuoSimServer: Sendable {
    /// The port the listener is bound to (the free port picked when the configuration said 0).
    public let port: Int
    /// The address the listener is bound to.
    public let host: String
    /// The CA to trust, for `.selfSigned`; nil otherwise.
    public let caCertificatePEM: String?
    /// What TLS the listener speaks, in words (`TLS 1.2+, self-signed CA`, `plain HTTP`).
    public let tlsDescription: String
    /// The service state: faults, transactions, counters.
    public let engine: DuoSimEngine

    private let serverChannel: any Channel
    private let connections: Connections

    /// The open connections, so `stop()` can close them.
    private final class Connections: Sendable {
        struct State {
            var open: [ObjectIdentifier: any Channel] = [:]
            var stopping = false
        }
        let state = Mutex(State())
        func withLockedValue<T: Sendable>(_ body: (inout State) -> T) -> T { state.withLock { body(&$0) } }
    }

    private init(port: Int, host: String, caCertificatePEM: String?, tlsDescription: String, engine: DuoSimEngine,
                 serverChannel: any Channel, connections: Connections) {
        self.port = port
        self.host = host
        self.caCertificatePEM = caCertificatePEM
        self.tlsDescription = tlsDescription
        self.engine = engine
        self.serverChannel = serverChannel
        self.connections = connections
    }

    /// Binds the listener and starts serving.
    public static func start(
        _ configuration: DuoSimConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(DuoSimError) -> DuoSimServer {
        guard (0...65_535).contains(configuration.port) else {
            throw .configuration("port \(configuration.port) is out of range (valid: 0 to 65535, 0 picks a free port)")
        }
        guard !configuration.integrations.isEmpty else {
            throw .configuration("no integration configured (give at least one integration key and its secret key)")
        }
        let (sslContext, caPEM, tlsDescription) = try makeTLS(configuration.tls)
        let engine = DuoSimEngine(configuration: configuration)
        let connections = Connections()
        let maximumBodySize = configuration.maximumBodySize

        @Sendable func http1(_ channel: any Channel) throws {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
            try channel.pipeline.syncOperations.addHandler(DuoSimHTTPHandler(engine: engine, maximumBodySize: maximumBodySize))
        }

        let bootstrap = ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                let admitted = connections.withLockedValue { connections -> Bool in
                    guard !connections.stopping else { return false }
                    connections.open[ObjectIdentifier(channel)] = channel
                    return true
                }
                guard admitted else { return channel.close() }
                engine.countConnection()
                channel.closeFuture.whenComplete { _ in
                    _ = connections.withLockedValue { $0.open.removeValue(forKey: ObjectIdentifier(channel)) }
                }
                guard let sslContext else {
                    return channel.eventLoop.makeCompletedFuture {
                        try http1(channel)
                    }
                }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
                }.flatMap {
                    channel.configureHTTP2SecureUpgrade(
                        h2ChannelConfigurator: { connection in
                            engine.countConnection(http2: true)
                            return connection.configureHTTP2Pipeline(mode: .server) { stream in
                                stream.eventLoop.makeCompletedFuture {
                                    try stream.pipeline.syncOperations.addHandlers(
                                        HTTP2FramePayloadToHTTP1ServerCodec(),
                                        DuoSimHTTPHandler(engine: engine, maximumBodySize: maximumBodySize, isStream: true))
                                }
                            }.map { _ in }
                        },
                        http1ChannelConfigurator: { connection in
                            connection.eventLoop.makeCompletedFuture { try http1(connection) }
                        })
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        } catch {
            throw .listen("cannot listen on \(configuration.host):\(configuration.port): \(error)")
        }
        return DuoSimServer(
            port: channel.localAddress?.port ?? configuration.port, host: configuration.host,
            caCertificatePEM: caPEM, tlsDescription: tlsDescription, engine: engine,
            serverChannel: channel, connections: connections)
    }

    private static func makeTLS(_ tls: DuoSimConfiguration.TLS) throws(DuoSimError)
        -> (NIOSSLContext?, String?, String)
    {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        let ca: String?
        let description: String
        switch tls {
        case .none:
            return (nil, nil, "plain HTTP (no TLS)")
        case .selfSigned:
            let generated = try DuoSimCertificates.generate()
            do {
                chain = [try NIOSSLCertificate(bytes: Array(generated.leafCertificatePEM.utf8), format: .pem)]
                key = try NIOSSLPrivateKey(bytes: Array(generated.leafPrivateKeyPEM.utf8), format: .pem)
            } catch {
                throw .tls("cannot load the generated certificate: \(error)")
            }
            ca = generated.caCertificatePEM
            description = "TLS 1.2+, self-signed (in-process CA, leaf for 127.0.0.1, ::1, localhost)"
        case .files(let certificatePath, let keyPath):
            do {
                chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
            } catch {
                throw .tls("\(certificatePath): cannot read a PEM certificate chain (\(error))")
            }
            guard !chain.isEmpty else { throw .tls("\(certificatePath): no PEM certificate in the file") }
            do {
                key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
            } catch {
                throw .tls("\(keyPath): cannot read a PEM private key (\(error))")
            }
            ca = nil
            description = "TLS 1.2+, certificate \(certificatePath)"
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = ["h2", "http/1.1"]
        do {
            return (try NIOSSLContext(configuration: configuration), ca, description)
        } catch {
            throw .tls("cannot build the TLS context (does the key match the certificate?): \(error)")
        }
    }

    /// The address clients connect to, `host:port` (IPv6 in brackets).
    public var address: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    // MARK: In-process control (the same as `/sim/v1/faults` and `/sim/v1/stats`)

    /// Adds a fault; the newest fault for a path wins over older ones and over global faults.
    public func setFault(_ fault: DuoSimFault) { engine.addFault(fault) }

    /// Removes every fault, or those of one path.
    public func clearFaults(path: String? = nil) { engine.clearFaults(path: path) }

    public func faults() -> [DuoSimFault] { engine.faults() }

    public func stats() -> DuoSimStats { engine.stats() }

    /// Stops gracefully: stops accepting, closes every connection (pending pushes and hangs
    /// included) and forgets pending transactions.
    public func stop() async {
        let open = connections.withLockedValue { connections -> [any Channel] in
            connections.stopping = true
            return Array(connections.open.values)
        }
        try? await serverChannel.close()
        for channel in open {
            try? await channel.close()
        }
        engine.clearTransactions()
    }
}
