/// Where and how a `DuoClient` reaches one Duo integration.
public struct DuoClientConfiguration: Sendable {
    /// Which certificate authorities the API host's certificate must chain to.
    public enum TrustRoots: Hashable, Sendable {
        /// The system trust store (no `http_ca_certs_file`).
        case system
        /// A PEM file (`[main] http_ca_certs_file`).
        case pemFile(String)
        /// PEM text (tests and the built-in simulator).
        case pem(String)
    }

    public var integrationKey: String
    public var secretKey: String
    /// `api_host`, e.g. `api-xxxxxxxx.duosecurity.com`.
    public var apiHost: String
    /// `api_port`.
    public var apiPort: Int
    /// False only for the simulator's `--insecure-http` debugging mode.
    public var useTLS: Bool
    public var trustRoots: TrustRoots
    public var signatureVersion: DuoSignatureVersion
    /// The HMAC digest for v2 signatures (v4 and v5 always use SHA-512).
    public var signatureDigest: DuoSignatureDigest
    /// How long to wait for a TCP (and proxy) connection.
    public var connectTimeout: Duration
    /// `api_timeout`: the deadline of each HTTP request. Finite, unlike the reference proxy's `0`.
    public var apiTimeout: Duration
    /// How long an authentication may wait for the user in all (push, phone call).
    public var authTimeout: Duration
    /// `http_proxy_host` / `http_proxy_port`: HTTPS goes through the proxy with HTTP CONNECT.
    public var httpProxy: (host: String, port: Int)?
    public var circuitBreaker: DuoCircuitBreaker.Configuration
    /// How often an HTTP 429 is retried (with exponential backoff and jitter) before it counts as
    /// a 4xx failure.
    public var rateLimitRetries: Int
    public var initialBackoff: Duration
    /// How often a failed `auth_status` poll is asked again in a row, once Duo has taken the
    /// authentication (the user is being asked), before the failure goes to failmode; and the
    /// pause before each.
    public var pollRetries: Int
    public var pollRetryPause: Duration
    public var userAgent: String
    /// Keep-alive connections for `ping`, `check`, `preauth` and `auth`: calls beyond it wait for
    /// a free connection.
    public var connectionLimit: Int
    /// `auth_status` polls in flight at once (Duo long-polls them: each pending push holds one until
    /// the user answers): HTTP/2 streams when Duo offers HTTP/2, else connections. Polls past it wait.
    public var statusConnectionLimit: Int

    /// The default `api_timeout` (the reference proxy's `0`, no timeout, is not offered).
    public static let defaultAPITimeout: Duration = .seconds(60)

    public init(
        integrationKey: String,
        secretKey: String,
        apiHost: String,
        apiPort: Int = 443,
        useTLS: Bool = true,
        trustRoots: TrustRoots = .system,
        signatureVersion: DuoSignatureVersion = .v5,
        signatureDigest: DuoSignatureDigest = .sha512,
        connectTimeout: Duration = .seconds(5),
        apiTimeout: Duration = DuoClientConfiguration.defaultAPITimeout,
        authTimeout: Duration = .seconds(75),
        httpProxy: (host: String, port: Int)? = nil,
        circuitBreaker: DuoCircuitBreaker.Configuration = .init(),
        rateLimitRetries: Int = 4,
        initialBackoff: Duration = .seconds(1),
        pollRetries: Int = 3,
        pollRetryPause: Duration = .milliseconds(500),
        userAgent: String = "twofold",
        connectionLimit: Int = 64,
        statusConnectionLimit: Int = 16_384
    ) {
        self.integrationKey = integrationKey
        self.secretKey = secretKey
        self.apiHost = apiHost
        self.apiPort = apiPort
        self.useTLS = useTLS
        self.trustRoots = trustRoots
        self.signatureVersion = signatureVersion
        self.signatureDigest = signatureDigest
        self.connectTimeout = connectTimeout
        self.apiTimeout = apiTimeout
        self.authTimeout = authTimeout
        self.httpProxy = httpProxy
        self.circuitBreaker = circuitBreaker
        self.rateLimitRetries = rateLimitRetries
        self.initialBackoff = initialBackoff
        self.pollRetries = pollRetries
        self.pollRetryPause = pollRetryPause
        self.userAgent = userAgent
        self.connectionLimit = connectionLimit
        self.statusConnectionLimit = statusConnectionLimit
    }

    /// `https://host:port`, or `http://` for the simulator's debugging mode.
    var baseURL: String {
        let host = apiHost.contains(":") && !apiHost.hasPrefix("[") ? "[\(apiHost)]" : apiHost
        return "\(useTLS ? "https" : "http")://\(host):\(apiPort)"
    }
}
