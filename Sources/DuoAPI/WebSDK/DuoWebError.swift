/// Why a Duo Web request could not be signed, or why a Duo Web response was rejected.
///
/// Like `NIOSSHError`: a kind to switch on and a diagnostic for logs. Diagnostics never contain a key
/// or a signature, only lengths and which check failed.
public struct DuoWebError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of problem this is.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            // Signing (duo_web's `ERR|...` answers of `sign_request`).
            case invalidUsername, invalidIntegrationKey, invalidSecretKey, invalidApplicationKey, unknown
            // Verification (duo_web's `verify_response` returning None).
            case malformedResponse, badSignature, wrongPrefix, malformedCookie, wrongIntegrationKey, expired
            case usernameMismatch
        }

        fileprivate var base: Base
        fileprivate init(_ base: Base) { self.base = base }

        /// The username is empty or contains `|` (duo_web `ERR_USER`).
        public static let invalidUsername = Kind(.invalidUsername)
        /// The integration key is not exactly ``DuoWeb/integrationKeyLength`` characters (`ERR_IKEY`).
        public static let invalidIntegrationKey = Kind(.invalidIntegrationKey)
        /// The secret key is not exactly ``DuoWeb/secretKeyLength`` characters (`ERR_SKEY`).
        public static let invalidSecretKey = Kind(.invalidSecretKey)
        /// The application key is shorter than ``DuoWeb/minimumApplicationKeyLength`` (`ERR_AKEY`).
        public static let invalidApplicationKey = Kind(.invalidApplicationKey)
        /// Signing failed for another reason: the expiry time does not fit (`ERR_UNKNOWN`).
        public static let unknown = Kind(.unknown)

        /// The response is not two cookies joined by `:`, or a cookie is not three `|`-separated parts.
        public static let malformedResponse = Kind(.malformedResponse)
        /// A cookie's HMAC does not match its key.
        public static let badSignature = Kind(.badSignature)
        /// A correctly signed cookie with the wrong prefix (say, ENROLL where AUTH was expected).
        public static let wrongPrefix = Kind(.wrongPrefix)
        /// A correctly signed cookie whose payload is not base64 of UTF-8 `user|ikey|expiry`.
        public static let malformedCookie = Kind(.malformedCookie)
        /// A cookie issued for another integration key.
        public static let wrongIntegrationKey = Kind(.wrongIntegrationKey)
        /// A cookie whose expiry time is not after now.
        public static let expired = Kind(.expired)
        /// Both cookies are valid but name different users.
        public static let usernameMismatch = Kind(.usernameMismatch)

        public var description: String { base.rawValue }
    }

    public var kind: Kind
    /// What was wrong, for logs and administrators. Contains no secret.
    public var diagnostic: String

    public init(kind: Kind, diagnostic: String) {
        self.kind = kind
        self.diagnostic = diagnostic
    }

    public var description: String { "DuoWebError.\(kind): \(diagnostic)" }

    /// The string duo_web's `sign_request` returns instead of a signature for this error (the page
    /// hands it to the Duo frame, which shows it), or nil for a verification error.
    public var errorResponse: String? {
        switch kind.base {
        case .invalidUsername: "ERR|The username passed to sign_request() is invalid."
        case .invalidIntegrationKey: "ERR|The Duo integration key passed to sign_request() is invalid."
        case .invalidSecretKey: "ERR|The Duo secret key passed to sign_request() is invalid."
        case .invalidApplicationKey:
            "ERR|The application secret key passed to sign_request() must be at least \(DuoWeb.minimumApplicationKeyLength) characters."
        case .unknown: "ERR|An unknown error has occurred."
        case .malformedResponse, .badSignature, .wrongPrefix, .malformedCookie, .wrongIntegrationKey, .expired,
            .usernameMismatch:
            nil
        }
    }
}

extension DuoWebError {
    @inline(never)
    static func invalidUsername(_ diagnostic: String) -> Self { .init(kind: .invalidUsername, diagnostic: diagnostic) }

    @inline(never)
    static func invalidIntegrationKey(length: Int) -> Self {
        .init(kind: .invalidIntegrationKey,
              diagnostic: "integration key has \(length) characters, expected \(DuoWeb.integrationKeyLength)")
    }

    @inline(never)
    static func invalidSecretKey(length: Int) -> Self {
        .init(kind: .invalidSecretKey,
              diagnostic: "secret key has \(length) characters, expected \(DuoWeb.secretKeyLength)")
    }

    @inline(never)
    static func invalidApplicationKey(length: Int) -> Self {
        .init(kind: .invalidApplicationKey,
              diagnostic: "application key has \(length) characters, expected at least \(DuoWeb.minimumApplicationKeyLength)")
    }

    @inline(never)
    static func expiryOverflow(now: Int64) -> Self {
        .init(kind: .unknown, diagnostic: "expiry time overflows for now = \(now)")
    }

    @inline(never)
    static func malformedResponse(_ diagnostic: String) -> Self {
        .init(kind: .malformedResponse, diagnostic: diagnostic)
    }

    @inline(never)
    static func badSignature(cookie: String) -> Self {
        .init(kind: .badSignature, diagnostic: "\(cookie) cookie: HMAC does not match")
    }

    @inline(never)
    static func wrongPrefix(cookie: String, expected: String) -> Self {
        .init(kind: .wrongPrefix, diagnostic: "\(cookie) cookie: prefix is not \(expected)")
    }

    @inline(never)
    static func malformedCookie(cookie: String, _ diagnostic: String) -> Self {
        .init(kind: .malformedCookie, diagnostic: "\(cookie) cookie: \(diagnostic)")
    }

    @inline(never)
    static func wrongIntegrationKey(cookie: String) -> Self {
        .init(kind: .wrongIntegrationKey, diagnostic: "\(cookie) cookie: issued for another integration key")
    }

    @inline(never)
    static func expired(cookie: String, now: Int64) -> Self {
        .init(kind: .expired, diagnostic: "\(cookie) cookie: expired (now \(now))")
    }

    @inline(never)
    static func usernameMismatch() -> Self {
        .init(kind: .usernameMismatch, diagnostic: "the Duo cookie and the application cookie name different users")
    }
}
