import NIOHTTP1
import Prometheus
import Synchronization

/// What `[main] metrics_listen` answers, as pure decisions: `/metrics` in Prometheus' text format,
/// `/healthz` (the process answers) and `/readyz` (its listeners are serving: a load balancer or an
/// orchestrator stops sending logins once a stop has begun).
struct MetricsEndpoint: Sendable {
    /// Where the proxy is in its life, for `/readyz`.
    enum Readiness: UInt8, Sendable {
        case starting
        case serving
        case stopping
    }

    struct Response: Sendable, Equatable {
        var status: HTTPResponseStatus
        var contentType: String
        var body: [UInt8]

        init(_ status: HTTPResponseStatus, contentType: String = "text/plain; charset=utf-8", _ body: [UInt8]) {
            self.status = status
            self.contentType = contentType
            self.body = body
        }

        init(_ status: HTTPResponseStatus, _ text: String) {
            self.init(status, Array(text.utf8))
        }
    }

    let registry: PrometheusCollectorRegistry
    private let state: ReadinessState

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        self.state = ReadinessState()
    }

    var readiness: Readiness {
        get { Readiness(rawValue: state.value.load(ordering: .acquiring)) ?? .starting }
        nonmutating set { state.value.store(newValue.rawValue, ordering: .releasing) }
    }

    /// The answer to one request. Only GET and HEAD are served; query strings are ignored.
    func respond(method: HTTPMethod, uri: String) -> Response {
        guard method == .GET || method == .HEAD else {
            return Response(.methodNotAllowed, "only GET and HEAD are served here\n")
        }
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? uri
        switch path {
        case "/metrics":
            var body: [UInt8] = []
            body.reserveCapacity(4096)
            registry.emit(into: &body)
            return Response(.ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body)
        case "/healthz":
            return Response(.ok, "ok\n")
        case "/readyz":
            switch readiness {
            case .serving: return Response(.ok, "ready\n")
            case .starting: return Response(.serviceUnavailable, "starting\n")
            case .stopping: return Response(.serviceUnavailable, "stopping: finishing the logins in progress\n")
            }
        default:
            return Response(.notFound, "not found: /metrics, /healthz and /readyz are served here\n")
        }
    }
}

/// The readiness shared by the endpoint's copies.
private final class ReadinessState: Sendable {
    let value = Atomic<UInt8>(MetricsEndpoint.Readiness.starting.rawValue)
}
