/// An `[ad_client]` section that cannot work: which key, what was wrong, what would be valid.
///
/// The INI layer adds the file and line; this error names the section and key, so that the message
/// an administrator reads is complete without it (`[ad_client] auth_type: ...`).
public struct ADClientConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case missingKey = "missing key"
            case invalidValue = "invalid value"
            case unsupported = "unsupported"
            case unreadableFile = "unreadable file"
        }
        fileprivate var base: Base

        /// A required key is absent or empty.
        public static let missingKey = Kind(base: .missingKey)
        /// A key has a value that is not valid for it.
        public static let invalidValue = Kind(base: .invalidValue)
        /// A valid setting of the reference proxy that twofold does not implement (NTLM, SSPI).
        public static let unsupported = Kind(base: .unsupported)
        /// A file named by a key (`ssl_ca_certs_file`) cannot be read or holds no certificate.
        public static let unreadableFile = Kind(base: .unreadableFile)

        public var description: String { base.rawValue }
    }

    public var kind: Kind
    /// The section, `ad_client` or `ad_client2`, ...
    public var section: String
    /// The configuration key, as written in authproxy.cfg (`auth_type`, `host_2`, ...).
    public var key: String
    /// What was wrong and what would be valid. Never contains a password.
    public var diagnostic: String

    public init(_ kind: Kind, section: String, key: String, diagnostic: String) {
        self.kind = kind
        self.section = section
        self.key = key
        self.diagnostic = diagnostic
    }

    public var description: String { "[\(section)] \(key): \(diagnostic)" }

    @inline(never)
    static func missing(_ key: String, in section: String, _ diagnostic: String) -> Self {
        Self(.missingKey, section: section, key: key, diagnostic: diagnostic)
    }

    @inline(never)
    static func invalid(_ key: String, in section: String, _ diagnostic: String) -> Self {
        Self(.invalidValue, section: section, key: key, diagnostic: diagnostic)
    }
}
