import Metrics

/// What the Duo client counts, for `/metrics`: each request by endpoint and outcome, and its time.
///
/// `twofold_duo_requests_total{api_host, endpoint, outcome}`: outcome is the HTTP status class
/// (`2xx`, `4xx`, `429`, `5xx`) or the failure's kind (`timeout`, `connectionRefused`, `tls`, ...).
/// `twofold_duo_request_duration_seconds{api_host, endpoint}`: a `auth_status` long poll lasts as
/// long as the user takes to answer.
struct DuoClientMetrics: Sendable {
    let apiHost: String
    let factory: any MetricsFactory

    func record(path: String, outcome: String, duration: Duration) {
        let endpoint = path.split(separator: "/").last.map(String.init) ?? path
        Counter(
            label: "twofold_duo_requests_total", dimensions: [("api_host", apiHost), ("endpoint", endpoint), ("outcome", outcome)],
            factory: factory
        ).increment()
        Timer(label: "twofold_duo_request_duration_seconds", dimensions: [("api_host", apiHost), ("endpoint", endpoint)], factory: factory)
            .recordNanoseconds(duration.nanoseconds)
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
