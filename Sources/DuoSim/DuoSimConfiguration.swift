/// Everything a simulator listener needs. A value: build it, then `DuoSimServer.start(_:)`.
public struct DuoSimConfiguration: Sendable {
    /// How the listener speaks TLS.
    public enum TLS: Sendable, Hashable {
        /// Plain HTTP (debugging, `--insecure-http`).
        case none
        /// A CA and a leaf for 127.0.0.1, ::1 and localhost, generated in process at start;
        /// `DuoSimServer.caCertificatePEM` is the CA to trust.
        case selfSigned
        /// PEM files: the certificate chain (leaf first) and its private key.
        case files(certificateChain: String, privateKey: String)
    }

    /// The address to bind (`127.0.0.1`, `::1`, ...).
    public var host: String
    /// The port; 0 picks a free one (`DuoSimServer.port` tells which).
    public var port: Int
    /// Integration keys and their secret keys.
    public var integrations: [String: String]
    /// Named users and the entry for everybody else.
    public var users: DuoSimUsers
    public var tls: TLS
    /// How far a request's `Date` may be from the simulator's clock (Duo allows a few minutes).
    public var allowedClockSkew: Duration
    /// When a push that is never answered ends as `timeout` (Duo: 60 s).
    public var pushTimeout: Duration
    /// How long `auth_status` holds a poll for a pending push before it answers `waiting` again.
    /// Duo long-polls: the first poll of a transaction answers at once, later ones when the user
    /// answered (or after this hold), so a client polls once per status change, not in a loop.
    public var authStatusHold: Duration
    /// The largest request body accepted (413 above it).
    public var maximumBodySize: Int

    public init(
        host: String = "127.0.0.1", port: Int = 0, integrations: [String: String],
        users: DuoSimUsers = DuoSimUsers(), tls: TLS = .none,
        allowedClockSkew: Duration = .seconds(300), pushTimeout: Duration = .seconds(60),
        authStatusHold: Duration = .seconds(30), maximumBodySize: Int = 64 * 1024
    ) {
        self.host = host
        self.port = port
        self.integrations = integrations
        self.users = users
        self.tls = tls
        self.allowedClockSkew = allowedClockSkew
        self.pushTimeout = pushTimeout
        self.authStatusHold = authStatusHold
        self.maximumBodySize = maximumBodySize
    }
}

/// An injected failure of the simulated service, to see how a client (and twofold's failmode)
/// behaves when Duo is down, slow or broken.
public struct DuoSimFault: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable, Hashable, CaseIterable {
        /// Close the connection without answering.
        case down
        /// Never answer (the connection stays open until the client gives up or the server stops).
        case hang
        /// Answer normally after `ms` milliseconds.
        case delay
        /// Answer with HTTP `status` and a Duo error body.
        case status
        /// Answer 200 with a body that is not JSON.
        case malformed
    }

    public var kind: Kind
    /// The request path it applies to (`/auth/v2/preauth`); nil for every Duo path.
    public var path: String?
    /// For `delay`.
    public var ms: Int?
    /// For `status`.
    public var status: Int?

    public init(kind: Kind, path: String? = nil, ms: Int? = nil, status: Int? = nil) {
        self.kind = kind
        self.path = path
        self.ms = ms
        self.status = status
    }

    public static func down(path: String? = nil) -> Self { Self(kind: .down, path: path) }
    public static func hang(path: String? = nil) -> Self { Self(kind: .hang, path: path) }
    public static func delay(milliseconds: Int, path: String? = nil) -> Self { Self(kind: .delay, path: path, ms: milliseconds) }
    public static func status(_ status: Int, path: String? = nil) -> Self { Self(kind: .status, path: path, status: status) }
    public static func malformed(path: String? = nil) -> Self { Self(kind: .malformed, path: path) }

    /// Nil when the fault is complete, else what is missing or wrong.
    public var problem: String? {
        if let path, !path.hasPrefix("/") { return "path must start with / (got \"\(path)\")" }
        switch kind {
        case .down, .hang, .malformed: return nil
        case .delay:
            guard let ms, (0...600_000).contains(ms) else { return "a delay fault needs ms between 0 and 600000" }
            return nil
        case .status:
            guard let status, (400...599).contains(status) else { return "a status fault needs status between 400 and 599" }
            return nil
        }
    }
}

/// Counters of a running simulator (`GET /sim/v1/stats`, `DuoSimServer.stats()`).
public struct DuoSimStats: Codable, Sendable, Hashable {
    public struct Endpoint: Codable, Sendable, Hashable {
        public var requests: Int = 0
        /// Answers by HTTP status (`"200"`, `"401"`, ...).
        public var statuses: [String: Int] = [:]
        /// Requests a fault took over.
        public var faults: Int = 0

        public init(requests: Int = 0, statuses: [String: Int] = [:], faults: Int = 0) {
            self.requests = requests
            self.statuses = statuses
            self.faults = faults
        }
    }

    public struct Integration: Codable, Sendable, Hashable {
        /// Requests signed (or claiming to be signed) with this integration key.
        public var requests: Int = 0
        /// Of those, the ones whose signature or date was refused.
        public var rejected: Int = 0

        public init(requests: Int = 0, rejected: Int = 0) {
            self.requests = requests
            self.rejected = rejected
        }
    }

    public struct User: Codable, Sendable, Hashable {
        public var preauth: Int = 0
        public var auth: Int = 0
        /// Pushes (and calls) sent.
        public var push: Int = 0
        /// Pushes not yet answered, now.
        public var pendingPushes: Int = 0

        public init(preauth: Int = 0, auth: Int = 0, push: Int = 0, pendingPushes: Int = 0) {
            self.preauth = preauth
            self.auth = auth
            self.push = push
            self.pendingPushes = pendingPushes
        }

        enum CodingKeys: String, CodingKey {
            case preauth, auth, push
            case pendingPushes = "pending_pushes"
        }
    }

    /// By request path (unknown paths counted under their path too).
    public var endpoints: [String: Endpoint] = [:]
    /// By integration key.
    public var integrations: [String: Integration] = [:]
    /// By username (as sent).
    public var users: [String: User] = [:]
    /// Pushes not yet answered, over all users.
    public var pendingPushes: Int = 0
    /// TCP connections accepted since the start.
    public var connections: Int = 0
    /// Of those, the ones that chose HTTP/2 by ALPN.
    public var http2Connections: Int = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case endpoints, integrations, users, connections
        case pendingPushes = "pending_pushes"
        case http2Connections = "http2_connections"
    }
}
