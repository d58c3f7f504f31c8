/// One attribute of a RADIUS packet: a type and an opaque value of 0...253 octets.
///
/// RFC 2865 §5: "Type (1 octet), Length (1 octet, including Type and Length), Value (0 or more
/// octets)". The value is kept exactly as received; typed views live in `RADIUSDictionary` and in
/// the accessors of `RADIUSPacket`. Attributes are kept in order, repeats included.
public struct RADIUSAttribute: Hashable, Sendable {
    public var type: RADIUSAttributeType
    public var value: [UInt8]

    public init(_ type: RADIUSAttributeType, _ value: [UInt8]) {
        self.type = type
        self.value = value
    }

    public init(_ type: RADIUSAttributeType, text: String) {
        self.init(type, Array(text.utf8))
    }

    public init(_ type: RADIUSAttributeType, integer: UInt32) {
        self.init(type, [UInt8(truncatingIfNeeded: integer >> 24), UInt8(truncatingIfNeeded: integer >> 16),
                         UInt8(truncatingIfNeeded: integer >> 8), UInt8(truncatingIfNeeded: integer)])
    }

    /// RFC 2865 §5: the Length octet covers Type and Length, so a value holds at most 253 octets.
    public static let maximumValueLength = 253

    /// The value as UTF-8 text, or nil when it is not valid UTF-8.
    public var text: String? {
        String(validating: value, as: UTF8.self)
    }

    /// The value as a 32-bit integer (network order), or nil when it is not 4 octets.
    public var integer: UInt32? {
        guard value.count == 4 else { return nil }
        return value.withUnsafeBytes { UInt32(bigEndian: $0.loadUnaligned(as: UInt32.self)) }
    }

    /// Splits a long value into attributes of at most 253 octets each, in order (RFC 2865 §5.18
    /// allows several Reply-Message attributes; RFC 3579 §3.1 does the same for EAP-Message).
    public static func split(_ type: RADIUSAttributeType, _ value: [UInt8]) -> [RADIUSAttribute] {
        guard !value.isEmpty else { return [RADIUSAttribute(type, [])] }
        return stride(from: 0, to: value.count, by: maximumValueLength).map {
            RADIUSAttribute(type, Array(value[$0..<min($0 + maximumValueLength, value.count)]))
        }
    }

    /// Reply-Message attributes for a text of any length: split into chunks of at most 253 octets,
    /// never inside a UTF-8 sequence, so that each attribute is valid text on its own.
    ///
    /// RFC 2865 §5.18: "Multiple Reply-Message's MAY be included and if any are displayed, they
    /// MUST be displayed in the same order as they appear in the packet."
    public static func replyMessages(_ text: String) -> [RADIUSAttribute] {
        splitText(.replyMessage, text)
    }

    /// Splits text into attributes of at most 253 octets at Unicode scalar boundaries.
    public static func splitText(_ type: RADIUSAttributeType, _ text: String) -> [RADIUSAttribute] {
        var result: [RADIUSAttribute] = []
        var chunk: [UInt8] = []
        chunk.reserveCapacity(min(text.utf8.count, maximumValueLength))
        for scalar in text.unicodeScalars {
            let encoded = Array(String(scalar).utf8)
            if chunk.count + encoded.count > maximumValueLength {
                result.append(RADIUSAttribute(type, chunk))
                chunk.removeAll(keepingCapacity: true)
            }
            chunk.append(contentsOf: encoded)
        }
        if !chunk.isEmpty || result.isEmpty { result.append(RADIUSAttribute(type, chunk)) }
        return result
    }
}

/// The Type octet of a RADIUS attribute, with the standard types a proxy uses by name.
public struct RADIUSAttributeType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public init(_ rawValue: UInt8) { self.rawValue = rawValue }

    // RFC 2865 §5
    public static let userName = RADIUSAttributeType(1)
    public static let userPassword = RADIUSAttributeType(2)
    public static let chapPassword = RADIUSAttributeType(3)
    public static let nasIPAddress = RADIUSAttributeType(4)
    public static let nasPort = RADIUSAttributeType(5)
    public static let serviceType = RADIUSAttributeType(6)
    public static let framedProtocol = RADIUSAttributeType(7)
    public static let framedIPAddress = RADIUSAttributeType(8)
    public static let filterID = RADIUSAttributeType(11)
    public static let replyMessage = RADIUSAttributeType(18)
    public static let state = RADIUSAttributeType(24)
    public static let `class` = RADIUSAttributeType(25)
    public static let vendorSpecific = RADIUSAttributeType(26)
    public static let sessionTimeout = RADIUSAttributeType(27)
    public static let idleTimeout = RADIUSAttributeType(28)
    public static let calledStationID = RADIUSAttributeType(30)
    public static let callingStationID = RADIUSAttributeType(31)
    public static let nasIdentifier = RADIUSAttributeType(32)
    public static let proxyState = RADIUSAttributeType(33)
    public static let chapChallenge = RADIUSAttributeType(60)
    public static let nasPortType = RADIUSAttributeType(61)
    // RFC 2866 §5
    public static let acctStatusType = RADIUSAttributeType(40)
    public static let acctSessionID = RADIUSAttributeType(44)
    // RFC 2869 §5
    public static let eventTimestamp = RADIUSAttributeType(55)
    public static let eapMessage = RADIUSAttributeType(79)
    public static let messageAuthenticator = RADIUSAttributeType(80)
    public static let nasPortID = RADIUSAttributeType(87)
    // RFC 3162 §2
    public static let nasIPv6Address = RADIUSAttributeType(95)
    // RFC 5176 §3.5
    public static let errorCause = RADIUSAttributeType(101)

    /// RFC 5080 §2.6.3: the attributes an Access-Reject may carry.
    public static let allowedInAccessReject: Set<RADIUSAttributeType> = [
        .replyMessage, .eapMessage, .errorCause, .messageAuthenticator, .proxyState,
    ]

    /// The attributes of an Access-Request that a proxy never copies into the request it sends
    /// upstream: the credentials and session it sets itself (User-Name, User-Password, CHAP, State)
    /// and the ones that belong to one hop (RFC 2865 §5.33 Proxy-State, RFC 3579 §3.2
    /// Message-Authenticator, and EAP-Message, which is only valid with its hop's authenticator).
    public static let notForwardedUpstream: Set<RADIUSAttributeType> = [
        .userName, .userPassword, .chapPassword, .chapChallenge, .state, .proxyState, .messageAuthenticator, .eapMessage,
    ]

    public var description: String {
        RADIUSDictionary.standard.definition(code: rawValue, vendor: 0)?.name ?? "Attr-\(rawValue)"
    }
}
