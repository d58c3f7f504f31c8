import Crypto

/// What a received packet's Message-Authenticator says.
public enum RADIUSMessageAuthenticatorCheck: Hashable, Sendable {
    /// The packet carries no Message-Authenticator.
    case absent
    /// Present and correct for the shared secret.
    case valid
    /// Present and wrong: the packet was forged, altered, or the secrets differ.
    case invalid
}

extension RADIUSPacket {
    /// Offset of Message-Authenticator's value: it is placed first, right after the header.
    private static let firstAttributeValueOffset = headerLength + 2

    /// Encodes a request to send (client side).
    ///
    /// With `messageAuthenticator` (the default), any Message-Authenticator in `attributes` is
    /// replaced by a fresh one placed first (RFC 3579 §3.2; first, as the BlastRADIUS mitigations of
    /// RFC 9765's draft recommend). Access-Request and Status-Server keep the packet's random
    /// Request Authenticator; Accounting-Request, CoA-Request and Disconnect-Request get the
    /// computed one (RFC 2866 §3, RFC 5176 §2.3), with Message-Authenticator computed over 16 zero
    /// octets in its place (RFC 5176 §3.3).
    public func encodeRequest(
        secret: [UInt8],
        messageAuthenticator: Bool = true
    ) throws(RADIUSWireError) -> [UInt8] {
        var packet = withMessageAuthenticatorFirst(messageAuthenticator)
        if code.hasComputedRequestAuthenticator { packet.authenticator = .zero }
        var bytes = try packet.encoded()
        if messageAuthenticator { Self.signMessageAuthenticator(&bytes, secret: secret) }
        if code.hasComputedRequestAuthenticator {
            let digest = Self.md5(bytes, secret: secret)
            bytes.replaceSubrange(4..<20, with: digest)
        }
        return bytes
    }

    /// Encodes a reply to a request with the given Request Authenticator (server side).
    ///
    /// With `messageAuthenticator` (the default) a Message-Authenticator is placed first, computed
    /// with the Request Authenticator in the header (RFC 3579 §3.2), then the Response
    /// Authenticator is computed over the whole packet: RFC 2865 §3, "ResponseAuth =
    /// MD5(Code+ID+Length+RequestAuth+Attributes+Secret)".
    public func encodeResponse(
        to requestAuthenticator: RADIUSAuthenticator,
        secret: [UInt8],
        messageAuthenticator: Bool = true
    ) throws(RADIUSWireError) -> [UInt8] {
        var packet = withMessageAuthenticatorFirst(messageAuthenticator)
        packet.authenticator = requestAuthenticator
        var bytes = try packet.encoded()
        if messageAuthenticator { Self.signMessageAuthenticator(&bytes, secret: secret) }
        let digest = Self.md5(bytes, secret: secret)
        bytes.replaceSubrange(4..<20, with: digest)
        return bytes
    }

    /// A reply to `request`: same identifier, the given attributes, then the request's Proxy-State
    /// attributes in their order (RFC 2865 §5.33: "MUST be included unmodified in the reply", and
    /// §5: "the order of attributes of the same type MUST be preserved").
    ///
    /// An Access-Reject keeps only the attributes RFC 5080 §2.6.3 allows in one (Reply-Message,
    /// EAP-Message, Error-Cause, Message-Authenticator, Proxy-State): authorization attributes in a
    /// reject would tell a device what access a refused user would have had.
    public static func response(
        _ code: RADIUSCode,
        to request: RADIUSPacket,
        attributes: [RADIUSAttribute] = []
    ) -> RADIUSPacket {
        var all = attributes.filter { $0.type != .proxyState }
        if code == .accessReject { all.removeAll { !RADIUSAttributeType.allowedInAccessReject.contains($0.type) } }
        all.append(contentsOf: request.attributes.filter { $0.type == .proxyState })
        return RADIUSPacket(
            code: code, identifier: request.identifier, authenticator: request.authenticator, attributes: all)
    }

    // MARK: Verification of received bytes

    /// Checks the Message-Authenticator of received bytes (padding after Length is ignored).
    ///
    /// For a reply, pass the Request Authenticator of the request it answers. For Access-Request
    /// and Status-Server the packet's own authenticator is used; for Accounting-, CoA- and
    /// Disconnect-Request, 16 zero octets (RFC 5176 §3.3). The comparison is constant-time.
    public static func checkMessageAuthenticator(
        in bytes: [UInt8],
        secret: [UInt8],
        requestAuthenticator: RADIUSAuthenticator? = nil
    ) throws(RADIUSWireError) -> RADIUSMessageAuthenticatorCheck {
        let packet = try RADIUSPacket(decoding: bytes)
        let length = try declaredLength(of: bytes)
        guard let valueOffset = messageAuthenticatorValueOffset(in: bytes, length: length) else { return .absent }
        let authenticator: [UInt8]
        if let requestAuthenticator {
            authenticator = requestAuthenticator.bytes
        } else if packet.code.hasComputedRequestAuthenticator {
            authenticator = RADIUSAuthenticator.zero.bytes
        } else {
            authenticator = packet.authenticator.bytes
        }
        var hmac = HMAC<Insecure.MD5>(key: SymmetricKey(data: secret))
        hmac.update(data: bytes[0..<4])
        hmac.update(data: authenticator)
        hmac.update(data: bytes[20..<valueOffset])
        hmac.update(data: [UInt8](repeating: 0, count: 16))
        hmac.update(data: bytes[(valueOffset + 16)..<length])
        let expected = Array(hmac.finalize())
        return constantTimeEqual(expected, bytes[valueOffset..<(valueOffset + 16)]) ? .valid : .invalid
    }

    /// Verifies a reply's Response Authenticator against the request it answers (RFC 2865 §3).
    public static func verifyResponseAuthenticator(
        in bytes: [UInt8],
        requestAuthenticator: RADIUSAuthenticator,
        secret: [UInt8]
    ) throws(RADIUSWireError) -> Bool {
        let length = try declaredLength(of: bytes)
        var md5 = Insecure.MD5()
        md5.update(data: bytes[0..<4])
        md5.update(data: requestAuthenticator.bytes)
        md5.update(data: bytes[20..<length])
        md5.update(data: secret)
        return constantTimeEqual(Array(md5.finalize()), bytes[4..<20])
    }

    /// Verifies the computed Request Authenticator of an Accounting-, CoA- or Disconnect-Request
    /// (RFC 2866 §3, RFC 5176 §2.3).
    public static func verifyRequestAuthenticator(
        in bytes: [UInt8],
        secret: [UInt8]
    ) throws(RADIUSWireError) -> Bool {
        let length = try declaredLength(of: bytes)
        var md5 = Insecure.MD5()
        md5.update(data: bytes[0..<4])
        md5.update(data: [UInt8](repeating: 0, count: 16))
        md5.update(data: bytes[20..<length])
        md5.update(data: secret)
        return constantTimeEqual(Array(md5.finalize()), bytes[4..<20])
    }

    // MARK: Helpers

    /// This packet without any Message-Authenticator, and with a zero-filled one placed first when
    /// `add` is true (to be signed by `signMessageAuthenticator` once encoded).
    private func withMessageAuthenticatorFirst(_ add: Bool) -> RADIUSPacket {
        var packet = self
        packet.attributes.removeAll { $0.type == .messageAuthenticator }
        if add {
            packet.attributes.insert(RADIUSAttribute(.messageAuthenticator, [UInt8](repeating: 0, count: 16)), at: 0)
        }
        return packet
    }

    /// Fills the zeroed first-attribute Message-Authenticator of encoded bytes with the HMAC-MD5 of
    /// the whole packet as it stands (RFC 3579 §3.2).
    private static func signMessageAuthenticator(_ bytes: inout [UInt8], secret: [UInt8]) {
        let mac = hmac(bytes, secret: secret)
        bytes.replaceSubrange(firstAttributeValueOffset..<(firstAttributeValueOffset + 16), with: mac)
    }

    /// The offset of the (single, 16-octet) Message-Authenticator value, in bytes already decoded.
    private static func messageAuthenticatorValueOffset(in bytes: [UInt8], length: Int) -> Int? {
        var offset = headerLength
        while offset + 1 < length {
            if bytes[offset] == RADIUSAttributeType.messageAuthenticator.rawValue { return offset + 2 }
            offset += max(2, Int(bytes[offset + 1]))
        }
        return nil
    }

    private static func hmac(_ bytes: [UInt8], secret: [UInt8]) -> [UInt8] {
        Array(HMAC<Insecure.MD5>.authenticationCode(for: bytes, using: SymmetricKey(data: secret)))
    }

    private static func md5(_ bytes: [UInt8], secret: [UInt8]) -> [UInt8] {
        var md5 = Insecure.MD5()
        md5.update(data: bytes)
        md5.update(data: secret)
        return Array(md5.finalize())
    }
}
