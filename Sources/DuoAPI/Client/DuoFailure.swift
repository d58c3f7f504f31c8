/// Why a Duo API call did not produce an answer: one type for every failure, classified so that
/// Policy can apply failmode (DESIGN.md's table) without knowing HTTP.
///
/// | class        | failures                                                   | safe  | secure |
/// |--------------|------------------------------------------------------------|-------|--------|
/// | `.unavailable` | refused, reset, TLS, DNS, timeout, HTTP 5xx, circuit open | allow | deny   |
/// | `.refused`     | HTTP 4xx (bad keys, signature, request), 200 unreadable   | deny  | deny   |
public struct DuoFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong. New kinds may be added; decide with `failmodeClass`.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case connectionRefused, connectionReset, tls, dns, timeout, transport
            case serverError, clientError, unreadableBody, circuitOpen
        }
        fileprivate var base: Base

        public static let connectionRefused = Kind(base: .connectionRefused)
        public static let connectionReset = Kind(base: .connectionReset)
        /// The TLS handshake failed (certificate not trusted, protocol version, ...).
        public static let tls = Kind(base: .tls)
        public static let dns = Kind(base: .dns)
        /// No answer within the connect timeout or `api_timeout`.
        public static let timeout = Kind(base: .timeout)
        /// Any other transport failure.
        public static let transport = Kind(base: .transport)
        /// HTTP 5xx.
        public static let serverError = Kind(base: .serverError)
        /// HTTP 4xx (including 429 once retries are exhausted).
        public static let clientError = Kind(base: .clientError)
        /// An answer whose body is not the JSON Duo sends.
        public static let unreadableBody = Kind(base: .unreadableBody)
        /// The circuit breaker for this API host is open: the call was not attempted.
        public static let circuitOpen = Kind(base: .circuitOpen)

        public var description: String { base.rawValue }
    }

    /// How failmode treats a failure.
    public enum FailmodeClass: Hashable, Sendable {
        /// Duo could not be reached or failed on its side: `failmode=safe` allows, `secure` denies.
        case unavailable
        /// Duo answered and refused the request, or answered nonsense: denied in every failmode.
        case refused
    }

    public var kind: Kind
    /// The HTTP status, when there was an answer.
    public var httpStatus: Int?
    /// Duo's error code (`40103`) and message from a `stat: FAIL` body.
    public var duoCode: Int?
    public var duoMessage: String?
    /// What happened and where, for the administrator's log (never a secret key).
    public var diagnostic: String

    public init(_ kind: Kind, diagnostic: String, httpStatus: Int? = nil, duoCode: Int? = nil, duoMessage: String? = nil) {
        self.kind = kind
        self.diagnostic = diagnostic
        self.httpStatus = httpStatus
        self.duoCode = duoCode
        self.duoMessage = duoMessage
    }

    public var failmodeClass: FailmodeClass {
        switch kind.base {
        case .connectionRefused, .connectionReset, .tls, .dns, .timeout, .transport, .serverError, .circuitOpen:
            .unavailable
        case .clientError, .unreadableBody:
            .refused
        }
    }

    /// Whether this failure counts against the circuit breaker (the service, not the request, failed).
    public var countsAgainstCircuit: Bool {
        failmodeClass == .unavailable && kind != .circuitOpen
    }

    public var description: String { diagnostic }
}
