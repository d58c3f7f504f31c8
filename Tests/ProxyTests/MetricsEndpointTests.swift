import Metrics
import Prometheus
@testable import Proxy
import TestSupport
import Testing

/// `[main] metrics_listen`: what each path answers, and the listener over TCP.
@Suite struct MetricsEndpointTests {
    static func text(_ response: MetricsEndpoint.Response) -> String { String(decoding: response.body, as: UTF8.self) }

    @Test func metricsAreThePrometheusTextOfTheRegistry() {
        let registry = PrometheusCollectorRegistry()
        let factory = PrometheusMetricsFactory(registry: registry)
        let accepted = Counter(label: "twofold_logins_total", dimensions: [("section", "radius_server_auto"), ("result", "accept")], factory: factory)
        accepted.increment(by: 2)
        Gauge(label: "twofold_duo_circuit_state", dimensions: [("api_host", "api-x.duosecurity.com")], factory: factory).record(1)
        let endpoint = MetricsEndpoint(registry: registry)
        let response = endpoint.respond(method: .GET, uri: "/metrics?name=x")
        #expect(response.status == .ok)
        #expect(response.contentType.hasPrefix("text/plain; version=0.0.4"))
        let text = Self.text(response)
        #expect(text.contains("twofold_logins_total{section=\"radius_server_auto\",result=\"accept\"} 2"), "\(text)")
        #expect(text.contains("twofold_duo_circuit_state{api_host=\"api-x.duosecurity.com\"} 1"), "\(text)")
    }

    @Test func healthAndReadinessFollowTheProxysLife() {
        let endpoint = MetricsEndpoint(registry: PrometheusCollectorRegistry())
        #expect(endpoint.respond(method: .GET, uri: "/healthz").status == .ok)
        #expect(endpoint.respond(method: .GET, uri: "/readyz").status == .serviceUnavailable)
        endpoint.readiness = .serving
        #expect(endpoint.respond(method: .HEAD, uri: "/readyz").status == .ok)
        endpoint.readiness = .stopping
        let stopping = endpoint.respond(method: .GET, uri: "/readyz")
        #expect(stopping.status == .serviceUnavailable && Self.text(stopping).hasPrefix("stopping"))
        #expect(endpoint.respond(method: .GET, uri: "/healthz").status == .ok, "alive while it stops")
        #expect(endpoint.respond(method: .GET, uri: "/").status == .notFound)
        #expect(endpoint.respond(method: .POST, uri: "/metrics").status == .methodNotAllowed)
    }

    @Test func theListenerAnswersOneRequestPerConnection() async throws {
        let endpoint = MetricsEndpoint(registry: PrometheusCollectorRegistry())
        endpoint.readiness = .serving
        let server = try await MetricsServer.start(host: "127.0.0.1", port: 0, endpoint: endpoint)
        defer { Task { await server.stop() } }
        let port = try #require(server.localAddress.port)
        let ready = try await Self.get("/readyz", port: port)
        #expect(ready.hasPrefix("HTTP/1.1 200 OK\r\n") && ready.hasSuffix("\r\n\r\nready\n"), "\(ready)")
        #expect(ready.contains("Connection: close"))
        // Garbage gets a 400 and the connection closes; the next client is served.
        let garbage = try await TCPExchange(to: port)
        try await garbage.send(Array("\u{1}\u{2} not http\r\n\r\n".utf8))
        try await Wait.until("the server closes the garbage connection", timeout: .seconds(60)) { garbage.isClosedByServer }
        #expect(String(decoding: garbage.bytes, as: UTF8.self).hasPrefix("HTTP/1.1 400"))
        #expect(try await Self.get("/healthz", port: port).hasSuffix("\r\n\r\nok\n"))
    }

    /// A GET over a raw connection: the whole response, once the server closed.
    static func get(_ path: String, port: Int) async throws -> String {
        let exchange = try await TCPExchange(to: port)
        try await exchange.send(Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
        try await Wait.until("the server answers and closes", timeout: .seconds(60)) { exchange.isClosedByServer }
        return String(decoding: exchange.bytes, as: UTF8.self)
    }
}
