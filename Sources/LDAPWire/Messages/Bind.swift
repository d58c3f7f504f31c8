import SwiftASN1

extension LDAPMessage {
    /// RFC 4511 §4.2.
    ///
    ///     BindRequest ::= [APPLICATION 0] SEQUENCE {
    ///          version                 INTEGER (1 ..  127),
    ///          name                    LDAPDN,
    ///          authentication          AuthenticationChoice }
    ///
    /// Only version 3 is decoded: "If the client sends a BindRequest with a version the server does not
    /// support, the server returns protocolError" — the thrown error's disposition says so.
    public struct BindRequest: Hashable, Sendable {
        public static let version: Int = 3

        /// The bind DN as sent (an LDAPDN string); parse it with ``LDAPDN/init(parsing:)``.
        public var name: String
        public var authentication: AuthenticationChoice

        public init(name: String, authentication: AuthenticationChoice) {
            self.name = name
            self.authentication = authentication
        }

        /// A simple bind with `password` (empty name and password: anonymous, RFC 4513 §5.1.1).
        public static func simple(name: String, password: [UInt8]) -> BindRequest {
            BindRequest(name: name, authentication: .simple(password))
        }

        /// An empty name with an empty password: anonymous authentication (RFC 4513 §5.1.1).
        public var isAnonymous: Bool {
            guard case .simple(let password) = authentication else { return false }
            return name.isEmpty && password.isEmpty
        }

        /// A name with an empty password: "unauthenticated authentication" (RFC 4513 §5.1.2), which a
        /// server must refuse with unwillingToPerform by default.
        public var isUnauthenticated: Bool {
            guard case .simple(let password) = authentication else { return false }
            return !name.isEmpty && password.isEmpty
        }

        /// The bind DN, parsed.
        public func parsedName() throws(LDAPSyntaxError) -> LDAPDN { try LDAPDN(parsing: name) }

        static let identifier = ASN1Identifier.application(0)

        init(node: ASN1Node, limits: LDAPLimits) throws(LDAPDecodingError) {
            var reader = try ComponentReader(node, "BindRequest", limits: limits)
            let version = try reader.read(.integer, "version").integer("BindRequest.version")
            name = try reader.read(.octetString, "name").utf8String("BindRequest.name")
            authentication = try AuthenticationChoice(node: reader.readAny("authentication"), limits: limits)
            try reader.finish(recognizing: [.integer, .octetString] + AuthenticationChoice.tags)
            // The structure is read first, so that a wrong version is answerable with a BindResponse.
            guard version == Int64(Self.version) else { throw .unsupportedVersion(version) }
        }

        func encode(into serializer: inout DER.Serializer) {
            serializer.writeConstructed(Self.identifier) { serializer in
                serializer.writeInteger(Int64(Self.version))
                serializer.writeString(name)
                authentication.encode(into: &serializer)
            }
        }
    }

    /// RFC 4511 §4.2.
    ///
    ///     AuthenticationChoice ::= CHOICE {
    ///          simple                  [0] OCTET STRING,
    ///                                  -- 1 and 2 reserved
    ///          sasl                    [3] SaslCredentials,
    ///          ...  }
    public enum AuthenticationChoice: Hashable, Sendable {
        /// The password (an OCTET STRING: it may be any bytes).
        case simple([UInt8])
        case sasl(SaslCredentials)

        static let simpleTag = ASN1Identifier.context(0)
        static let saslTag = ASN1Identifier.context(3)
        static let tags = [simpleTag, saslTag]

        init(node: ASN1Node, limits: LDAPLimits) throws(LDAPDecodingError) {
            switch node.identifier {
            case Self.simpleTag:
                self = .simple(try node.octets("BindRequest.authentication.simple"))
            case Self.saslTag:
                self = .sasl(try SaslCredentials(node: node, limits: limits))
            default:
                throw .invalidValue(
                    "BindRequest.authentication",
                    "uses \(node.identifier.ldapDescription), which is neither simple [0] nor sasl [3]"
                )
            }
        }

        func encode(into serializer: inout DER.Serializer) {
            switch self {
            case .simple(let password): serializer.writeOctets(password, Self.simpleTag)
            case .sasl(let credentials): credentials.encode(into: &serializer)
            }
        }
    }

    /// RFC 4511 §4.2.
    ///
    ///     SaslCredentials ::= SEQUENCE {
    ///          mechanism               LDAPString,
    ///          credentials             OCTET STRING OPTIONAL }
    public struct SaslCredentials: Hashable, Sendable {
        public var mechanism: String
        public var credentials: [UInt8]?

        public init(mechanism: String, credentials: [UInt8]? = nil) {
            self.mechanism = mechanism
            self.credentials = credentials
        }

        init(node: ASN1Node, limits: LDAPLimits) throws(LDAPDecodingError) {
            var reader = try ComponentReader(node, "SaslCredentials", limits: limits)
            mechanism = try reader.read(.octetString, "mechanism").utf8String("SaslCredentials.mechanism")
            credentials = try reader.readIfPresent(.octetString)?.octets("SaslCredentials.credentials")
            try reader.finish(recognizing: [.octetString])
        }

        func encode(into serializer: inout DER.Serializer) {
            serializer.writeConstructed(AuthenticationChoice.saslTag) { serializer in
                serializer.writeString(mechanism)
                if let credentials { serializer.writeOctets(credentials) }
            }
        }
    }

    /// RFC 4511 §4.2.2.
    ///
    ///     BindResponse ::= [APPLICATION 1] SEQUENCE {
    ///          COMPONENTS OF LDAPResult,
    ///          serverSaslCreds    [7] OCTET STRING OPTIONAL }
    public struct BindResponse: Hashable, Sendable {
        public var result: LDAPResult
        public var serverSaslCreds: [UInt8]?

        public init(result: LDAPResult, serverSaslCreds: [UInt8]? = nil) {
            self.result = result
            self.serverSaslCreds = serverSaslCreds
        }

        static let identifier = ASN1Identifier.application(1)
        static let serverSaslCredsTag = ASN1Identifier.context(7)

        init(node: ASN1Node, limits: LDAPLimits) throws(LDAPDecodingError) {
            var reader = try ComponentReader(node, "BindResponse", limits: limits)
            result = try LDAPResult(components: &reader)
            serverSaslCreds = try reader.readIfPresent(Self.serverSaslCredsTag)?.octets("BindResponse.serverSaslCreds")
            try reader.finish(recognizing: LDAPResult.componentTags + [Self.serverSaslCredsTag])
        }

        func encode(into serializer: inout DER.Serializer) {
            serializer.writeConstructed(Self.identifier) { serializer in
                result.encodeComponents(into: &serializer)
                if let serverSaslCreds { serializer.writeOctets(serverSaslCreds, Self.serverSaslCredsTag) }
            }
        }
    }

    /// RFC 4511 §4.11.
    ///
    ///     AbandonRequest ::= [APPLICATION 16] MessageID
    public struct AbandonRequest: Hashable, Sendable {
        public var messageID: Int32

        public init(messageID: Int32) { self.messageID = messageID }

        init(node: ASN1Node) throws(LDAPDecodingError) {
            let value = try node.integer("AbandonRequest")
            guard let id = Int32(exactly: value), id >= 0 else {
                throw .invalidValue("AbandonRequest", "messageID \(value) is outside 0...2147483647")
            }
            messageID = id
        }

        func encode(into serializer: inout DER.Serializer) {
            serializer.writeInteger(Int64(messageID), LDAPOperationKind.abandonRequest.identifier)
        }
    }
}
