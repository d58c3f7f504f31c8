import Metrics
import Synchronization

/// What the Duo client counts, for `/metrics`: each request by endpoint and outcome, and its time.
///
/// `twofold_duo_requests_total{api_host, endpoint, outcome}`: outcome is the HTTP status class
/// (`2xx`, `4xx`, `429`, `5xx`) or the failure's kind (`timeout`, `connectionRefused`, `tls`, ...).
/// `twofold_duo_request_duration_seconds{api_host, endpoint}`: a `auth_status` long poll lasts as
/// long as the user takes to answer. The metrics of the API's endpoints are made once, so that a
/// request only looks them up.
struct DuoClientMetrics: Sendable {
    private final class Endpoint: Sendable {
        let duration: Timer
        let byStatus: [String: Counter]
        /// Failure kinds, made at their first occurrence.
        let byFailure = Mutex<[String: Counter]>([:])

        init(duration: Timer, byStatus: [String: Counter]) {
            self.duration = duration
            self.byStatus = byStatus
        }
    }

    static let endpoints = ["/auth/v2/ping", "/auth/v2/check", "/auth/v2/preauth", "/auth/v2/auth", "/auth/v2/auth_status"]
    static let statusOutcomes = ["2xx", "4xx", "429", "5xx", "other"]

    let apiHost: String
    let factory: any MetricsFactory
    private let known: [String: Endpoint]

    init(apiHost: String, factory: any MetricsFactory) {
        self.apiHost = apiHost
        self.factory = factory
        var known: [String: Endpoint] = [:]
        for path in Self.endpoints {
            let name = Self.name(of: path)
            known[path] = Endpoint(
                duration: Timer(
                    label: "twofold_duo_request_duration_seconds", dimensions: [("api_host", apiHost), ("endpoint", name)], factory: factory),
                byStatus: Dictionary(uniqueKeysWithValues: Self.statusOutcomes.map { ($0, Self.counter(apiHost, name, $0, factory)) }))
        }
        self.known = known
    }

    func record(path: String, status: Int, duration: Duration) {
        let outcome = Self.outcome(status: status)
        guard let endpoint = known[path] else { return unlisted(path: path, outcome: outcome, duration: duration) }
        endpoint.byStatus[outcome]?.increment()
        endpoint.duration.recordNanoseconds(duration.nanoseconds)
    }

    func record(path: String, failure: DuoFailure.Kind, duration: Duration) {
        let outcome = "\(failure)"
        guard let endpoint = known[path] else { return unlisted(path: path, outcome: outcome, duration: duration) }
        let counter = endpoint.byFailure.withLock { counters in
            if let counter = counters[outcome] { return counter }
            let counter = Self.counter(apiHost, Self.name(of: path), outcome, factory)
            counters[outcome] = counter
            return counter
        }
        counter.increment()
        endpoint.duration.recordNanoseconds(duration.nanoseconds)
    }

    private func unlisted(path: String, outcome: String, duration: Duration) {
        let name = Self.name(of: path)
        Self.counter(apiHost, name, outcome, factory).increment()
        Timer(label: "twofold_duo_request_duration_seconds", dimensions: [("api_host", apiHost), ("endpoint", name)], factory: factory)
            .recordNanoseconds(duration.nanoseconds)
    }

    private static func counter(_ apiHost: String, _ endpoint: String, _ outcome: String, _ factory: any MetricsFactory) -> Counter {
        Counter(
            label: "twofold_duo_requests_total", dimensions: [("api_host", apiHost), ("endpoint", endpoint), ("outcome", outcome)],
            factory: factory)
    }

    private static func name(of path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    static func outcome(status: Int) -> String {
        switch status {
        case 429: "429"
        case 200..<300: "2xx"
        case 400..<500: "4xx"
        case 500..<600: "5xx"
        default: "other"
        }
    }
}
