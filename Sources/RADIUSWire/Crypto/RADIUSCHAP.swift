import Crypto

/// CHAP-Password (RFC 2865 §5.3) with the challenge of RFC 2865 §5.40.
///
/// The value is "CHAP Ident (1 octet) + String (16 octets)", the response MD5(Ident + password +
/// challenge). The challenge is CHAP-Challenge when present, else the Request Authenticator.
public enum RADIUSCHAP {
    /// The CHAP-Password value a client sends for `password`.
    public static func chapPassword(identifier: UInt8, password: [UInt8], challenge: [UInt8]) -> [UInt8] {
        [identifier] + response(identifier: identifier, password: password, challenge: challenge)
    }

    /// Whether a CHAP-Password value answers `challenge` with `password`; constant-time.
    public static func verify(chapPassword: [UInt8], challenge: [UInt8], password: [UInt8]) -> Bool {
        guard chapPassword.count == 17 else { return false }
        let expected = response(identifier: chapPassword[0], password: password, challenge: challenge)
        return constantTimeEqual(expected, chapPassword[1...])
    }

    private static func response(identifier: UInt8, password: [UInt8], challenge: [UInt8]) -> [UInt8] {
        var md5 = Insecure.MD5()
        md5.update(data: [identifier])
        md5.update(data: password)
        md5.update(data: challenge)
        return Array(md5.finalize())
    }
}

extension RADIUSPacket {
    /// The CHAP challenge of this request: CHAP-Challenge if present, else the Request Authenticator
    /// (RFC 2865 §5.40).
    public var chapChallenge: [UInt8] {
        self[.chapChallenge]?.value ?? authenticator.bytes
    }
}
