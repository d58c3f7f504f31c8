import AsyncHTTPClient
import DuoSim
import Foundation
import NIOCore
import NIOSSL
import TestSupport
import Testing

/// Over TLS the simulator speaks HTTP/2 to clients that offer it by ALPN, and HTTP/1.1 to the rest,
/// with the same answers and faults on both.
@Suite struct ProtocolNegotiationTests {
    static func client(_ sim: SimHarness, _ version: HTTPClient.Configuration.HTTPVersion) throws -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.httpVersion = version
        configuration.connectionPool.retryConnectionEstablishment = false
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates([try NIOSSLCertificate(bytes: Array((sim.server.caCertificatePEM ?? "").utf8), format: .pem)])
        configuration.tlsConfiguration = tls
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    @Test(.timeLimit(.minutes(1)))
    func http2WhenOfferedHTTP1Otherwise() async throws {
        try await SimHarness.with(tls: true) { sim in
            for (version, expected) in [(HTTPClient.Configuration.HTTPVersion.automatic, 2), (.http1Only, 1)] {
                let client = try Self.client(sim, version)
                do {
                    let response = try await client.execute(sim.signed(.POST, "/auth/v2/preauth", ["username": "alice"]), timeout: .seconds(10))
                    #expect(response.version.major == expected)
                    #expect(response.status == .ok)
                    #expect(response.headers["connection"].isEmpty, "no Connection header, which HTTP/2 forbids")
                    let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
                    #expect(body.contains(#""result":"auth""#), "\(body)")
                } catch {
                    Issue.record("\(version): \(error)")
                }
                try await client.shutdown()
            }
            let stats = sim.server.stats()
            #expect(stats.connections == 2)
            #expect(stats.http2Connections == 1)
        }
    }

    /// `down` over HTTP/2 closes the connection, as an outage would, not only the stream.
    @Test(.timeLimit(.minutes(1)))
    func downClosesTheHTTP2Connection() async throws {
        try await SimHarness.with(tls: true) { sim in
            let client = try Self.client(sim, .automatic)
            // A request that waits on the connection (steady's push is answered after 8 s)...
            let txid = try await sim.send(sim.signed(.POST, "/auth/v2/auth", ["username": "steady", "factor": "push", "async": "1"]))
                .response["txid"] as? String ?? ""
            let held = Task {
                try await client.execute(sim.signed(.POST, "/auth/v2/auth", ["username": "steady", "factor": "push"]), timeout: .seconds(30))
            }
            try await Wait.until("the synchronous push is pending", timeout: .seconds(10)) { sim.server.stats().pendingPushes == 2 }
            sim.server.setFault(.down(path: "/auth/v2/auth_status"))
            // ...fails with the connection when another stream of it meets the outage.
            await #expect(throws: (any Error).self) {
                _ = try await client.execute(sim.signed(.GET, "/auth/v2/auth_status", ["txid": txid]), timeout: .seconds(10))
            }
            await #expect(throws: (any Error).self) { _ = try await held.value }
            #expect(sim.server.stats().http2Connections == 2, "this client's and the harness's")
            try await client.shutdown()
        }
    }
}
