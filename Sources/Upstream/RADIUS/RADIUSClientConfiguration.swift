#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import RADIUSWire

/// `[radius_client]`: the upstream RADIUS servers that check passwords, validated.
///
/// Built from values the INI layer has already parsed; every refusal is a
/// ``RADIUSClientConfigurationError`` naming the key (`host_2`, `retry_wait`, ...) and what would be
/// valid. Values that are allowed but unwise are listed in ``warnings`` for the startup log.
public struct RADIUSClientConfiguration: Sendable, Hashable {
    /// One upstream server: `host`/`port`, `host_2`/`port_2`, ...
    public struct Server: Sendable, Hashable, CustomStringConvertible {
        /// An IP address or a DNS name, resolved when the client starts.
        public var host: String
        public var port: Int

        public init(host: String, port: Int = RADIUSClientConfiguration.defaultPort) {
            self.host = host
            self.port = port
        }

        /// `host:port`, with an IPv6 literal in brackets.
        public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    /// RFC 2865 §3: "The UDP port number for RADIUS Access-Request packets is 1812."
    public static let defaultPort = 1812
    /// The reference proxy's defaults: 3 retransmissions, 2 seconds apart.
    public static let defaultRetries = 3
    public static let defaultRetryWait = Duration.seconds(2)
    /// Upper bounds that keep a login inside a device's own timeout (typically 30-60 s): with the
    /// maximum of each, one silent host alone would hold a login for 11 minutes.
    public static let maximumRetries = 10
    public static let maximumRetryWait = Duration.seconds(60)
    /// Below this the retransmissions would outrun any real server's answer.
    public static let minimumRetryWait = Duration.milliseconds(10)
    /// How many `host_N` entries a section may list.
    public static let maximumServers = 16
    /// Shorter secrets are accepted with a warning. RFC 2865 §3: "It is preferred that the secret
    /// be at least 16 octets. This is to ensure a sufficiently large range for the secret to
    /// provide protection against exhaustive search attacks."
    public static let recommendedSecretLength = 16

    /// The servers in the order they are tried.
    public let servers: [Server]
    public let secret: RADIUSSharedSecret
    /// Retransmissions of an unanswered request to one server before the next is tried.
    public let retries: Int
    /// How long to wait for an answer before retransmitting (`retry_wait`, in seconds in the file).
    public let retryWait: Duration
    /// NAS-IP-Address (IPv4) or NAS-IPv6-Address (IPv6) added to every request (`nas_ip`).
    public let nasIPAttribute: RADIUSAttribute?
    /// Which attributes of the upstream's replies reach the device.
    public let passThrough: RADIUSPassThroughFilter
    /// `pw_codec`. Passwords are forwarded as the bytes the device sent, which is what the
    /// reference proxy's decode-then-encode with one codec amounts to; the value is kept for
    /// completeness and checked only for being present.
    public let passwordCodec: String
    /// Whether replies without Message-Authenticator are dropped (`require_message_authenticator`).
    /// A Message-Authenticator that is present is always verified.
    public let requireMessageAuthenticator: Bool
    /// Accepted values that weaken security, one sentence each, for the startup log.
    public let warnings: [String]

    /// Validates already-parsed values of a `[radius_client]` section.
    ///
    /// - Parameters:
    ///   - servers: `host`/`port`, `host_2`/`port_2`, ... in order; at least one.
    ///   - secret: `secret`, shared by every server, as in the reference proxy. Not empty.
    ///   - passThroughAttributeNames: `pass_through_attr_names`, already split at commas (see
    ///     ``splitNameList(_:)``); each a name of `RADIUSDictionary.standard`, in any case.
    /// - Throws: ``RADIUSClientConfigurationError`` naming the first key in error.
    public init(
        servers: [Server],
        secret: RADIUSSharedSecret,
        retries: Int = defaultRetries,
        retryWait: Duration = defaultRetryWait,
        nasIP: String? = nil,
        passThroughAttributeNames: [String] = [],
        passThroughAll: Bool = false,
        passwordCodec: String = "utf-8",
        requireMessageAuthenticator: Bool = true
    ) throws(RADIUSClientConfigurationError) {
        var warnings: [String] = []
        guard !servers.isEmpty else {
            throw .init(.missingServer, key: "host", "[radius_client] needs at least one server: set host (and port, default 1812)")
        }
        guard servers.count <= Self.maximumServers else {
            throw .init(
                .invalidHost, key: "host_\(servers.count)",
                "\(servers.count) servers are listed; at most \(Self.maximumServers) (host ... host_\(Self.maximumServers)) are allowed")
        }
        for (index, server) in servers.enumerated() {
            try Self.check(server, hostKey: Self.key("host", index), portKey: Self.key("port", index))
        }
        guard !secret.bytes.isEmpty else {
            throw .init(
                .emptySecret, key: "secret",
                "the shared secret is empty; set the secret the RADIUS server has for this proxy (16 characters or more)")
        }
        if secret.bytes.count < Self.recommendedSecretLength {
            warnings.append(
                "[radius_client] secret has \(secret.bytes.count) characters; use \(Self.recommendedSecretLength) or more random characters: a short shared secret can be guessed offline from one captured reply")
        }
        guard (0...Self.maximumRetries).contains(retries) else {
            throw .init(.invalidRetries, key: "retries", "\(retries) is out of range; use 0 to \(Self.maximumRetries)")
        }
        guard retryWait >= Self.minimumRetryWait, retryWait <= Self.maximumRetryWait else {
            throw .init(
                .invalidRetryWait, key: "retry_wait",
                "\(retryWait) is out of range; use \(Self.minimumRetryWait) to \(Self.maximumRetryWait) (seconds, fractions allowed)")
        }
        var nasIPAttribute: RADIUSAttribute?
        if let nasIP {
            guard let attribute = Self.nasIPAttribute(nasIP) else {
                throw .init(
                    .invalidNASIP, key: "nas_ip",
                    "'\(nasIP)' is not an IP address; use an IPv4 address such as 192.0.2.10 (sent as NAS-IP-Address) or an IPv6 address (sent as NAS-IPv6-Address)")
            }
            nasIPAttribute = attribute
        }
        var definitions: [RADIUSAttributeDefinition] = []
        for raw in passThroughAttributeNames {
            let name = raw.trimmingSpaces
            guard !name.isEmpty else { continue }
            guard let definition = RADIUSDictionary.standard.definition(named: name) else {
                throw .init(
                    .unknownAttributeName, key: "pass_through_attr_names",
                    "'\(name)' is not a RADIUS attribute name; use dictionary names separated by commas, such as Class, Filter-Id, Reply-Message, Session-Timeout or Juniper-Local-User-Name")
            }
            if definition.vendor == 0, RADIUSPassThroughFilter.neverPassed.contains(RADIUSAttributeType(definition.code)) {
                throw .init(
                    .unknownAttributeName, key: "pass_through_attr_names",
                    "\(definition.name) belongs to one RADIUS hop and is never passed through; remove it")
            }
            definitions.append(definition)
        }
        if passThroughAll && !definitions.isEmpty {
            warnings.append("[radius_client] pass_through_all is true, so pass_through_attr_names is ignored: every attribute is passed through")
        }
        let codec = passwordCodec.trimmingSpaces
        guard !codec.isEmpty else {
            throw .init(.invalidPasswordCodec, key: "pw_codec", "pw_codec is empty; leave it out (utf-8) or name a codec")
        }
        if !requireMessageAuthenticator {
            warnings.append(Self.messageAuthenticatorWarning)
        }
        self.servers = servers
        self.secret = secret
        self.retries = retries
        self.retryWait = retryWait
        self.nasIPAttribute = nasIPAttribute
        self.passThrough = passThroughAll ? .all : (definitions.isEmpty ? .none : .names(definitions))
        self.passwordCodec = codec
        self.requireMessageAuthenticator = requireMessageAuthenticator
        self.warnings = warnings
    }

    /// The warning logged when `require_message_authenticator=false`.
    public static let messageAuthenticatorWarning = """
        [radius_client] require_message_authenticator=false: replies without Message-Authenticator are \
        accepted. An attacker on the path can then forge an Access-Accept from an Access-Reject by an MD5 \
        collision (BlastRADIUS, CVE-2024-3596) and log in without the password. Use it only for a server that \
        cannot send Message-Authenticator (such as FreeRADIUS before 3.2.5), on a network path no attacker \
        can reach, and upgrade the server.
        """

    /// Splits `pass_through_attr_names` at commas, trimming spaces and dropping empty entries.
    public static func splitNameList(_ raw: String) -> [String] {
        raw.split(separator: ",").map { String($0).trimmingSpaces }.filter { !$0.isEmpty }
    }

    /// Every retransmission to every server, in the worst case: how long a login may wait here.
    public var worstCaseDuration: Duration {
        retryWait * ((retries + 1) * servers.count)
    }

    /// `host`, `host_2`, `host_3`, ...
    static func key(_ base: String, _ index: Int) -> String { index == 0 ? base : "\(base)_\(index + 1)" }

    private static func check(_ server: Server, hostKey: String, portKey: String) throws(RADIUSClientConfigurationError) {
        let host = server.host
        guard !host.isEmpty else {
            throw .init(.invalidHost, key: hostKey, "the host is empty; use an IP address or a DNS name")
        }
        guard host.utf8.count <= 253 else {
            throw .init(.invalidHost, key: hostKey, "the host has \(host.utf8.count) characters; a DNS name has at most 253")
        }
        if ipBytes(host) == nil {
            // RFC 1123 §2.1 host names: letters, digits, hyphens and dots.
            let valid = host.utf8.allSatisfy { byte in
                (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                    || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
            }
            guard valid, !host.hasPrefix("."), !host.hasPrefix("-") else {
                throw .init(
                    .invalidHost, key: hostKey,
                    "'\(host)' is neither an IP address nor a DNS name (letters, digits, '-' and '.')")
            }
        }
        guard (1...65535).contains(server.port) else {
            throw .init(.invalidPort, key: portKey, "\(server.port) is not a UDP port; use 1 to 65535 (default 1812)")
        }
    }

    private static func nasIPAttribute(_ text: String) -> RADIUSAttribute? {
        guard let bytes = ipBytes(text.trimmingSpaces) else { return nil }
        return RADIUSAttribute(bytes.count == 4 ? .nasIPAddress : .nasIPv6Address, bytes)
    }

    /// The 4 or 16 octets of an IPv4 or IPv6 literal, or nil.
    static func ipBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }
}

/// Why a `[radius_client]` section was refused: a kind, the key, and what would be valid.
public struct RADIUSClientConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case missingServer, invalidHost, invalidPort, emptySecret, invalidRetries, invalidRetryWait
            case invalidNASIP, unknownAttributeName, invalidPasswordCodec
        }
        fileprivate var base: Base

        public static let missingServer = Kind(base: .missingServer)
        public static let invalidHost = Kind(base: .invalidHost)
        public static let invalidPort = Kind(base: .invalidPort)
        public static let emptySecret = Kind(base: .emptySecret)
        public static let invalidRetries = Kind(base: .invalidRetries)
        public static let invalidRetryWait = Kind(base: .invalidRetryWait)
        public static let invalidNASIP = Kind(base: .invalidNASIP)
        public static let unknownAttributeName = Kind(base: .unknownAttributeName)
        public static let invalidPasswordCodec = Kind(base: .invalidPasswordCodec)

        public var description: String { base.rawValue }
    }

    public var kind: Kind
    /// The `authproxy.cfg` key in error (`host_2`, `pass_through_attr_names`, ...).
    public var key: String
    /// What is wrong and what would be valid. Never contains the secret.
    public var diagnostic: String

    init(_ kind: Kind, key: String, _ diagnostic: String) {
        self.kind = kind
        self.key = key
        self.diagnostic = diagnostic
    }

    public var description: String { "\(key): \(diagnostic)" }
}

extension String {
    var trimmingSpaces: String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return String(slice)
    }
}
