import Crypto

/// User-Password hiding (RFC 2865 §5.2).
///
/// "b1 = MD5(S + RA)  c(1) = p1 xor b1 ... bi = MD5(S + c(i-1))  c(i) = pi xor bi", with the
/// password padded with NULs to a multiple of 16 octets, at most 128.
public enum RADIUSUserPassword {
    /// RFC 2865 §5.2: "The Length field ... the String field is between 16 and 128 octets".
    public static let maximumLength = 128

    /// Hides a password for an Access-Request with Request Authenticator `authenticator`.
    public static func hide(
        _ password: [UInt8],
        secret: [UInt8],
        authenticator: RADIUSAuthenticator
    ) throws(RADIUSWireError) -> [UInt8] {
        guard password.count <= maximumLength else {
            throw RADIUSWireError(
                .invalidPassword, "a password of \(password.count) octets is above the RADIUS maximum of 128")
        }
        let paddedLength = max(16, (password.count + 15) / 16 * 16)
        var block = password + [UInt8](repeating: 0, count: paddedLength - password.count)
        var previous = authenticator.bytes
        for start in stride(from: 0, to: paddedLength, by: 16) {
            let mask = keystream(secret: secret, previous: previous)
            for index in 0..<16 { block[start + index] ^= mask[index] }
            previous = Array(block[start..<(start + 16)])
        }
        return block
    }

    /// Recovers a password from a User-Password value, removing the NUL padding.
    ///
    /// A value of length 0, not a multiple of 16, or over 128 octets is refused.
    public static func unhide(
        _ hidden: [UInt8],
        secret: [UInt8],
        authenticator: RADIUSAuthenticator
    ) throws(RADIUSWireError) -> [UInt8] {
        guard !hidden.isEmpty, hidden.count % 16 == 0, hidden.count <= maximumLength else {
            throw RADIUSWireError(
                .invalidPassword,
                "User-Password has \(hidden.count) octets; RFC 2865 §5.2 requires a multiple of 16 between 16 and 128")
        }
        var plain = [UInt8](repeating: 0, count: hidden.count)
        var previous = authenticator.bytes
        for start in stride(from: 0, to: hidden.count, by: 16) {
            let mask = keystream(secret: secret, previous: previous)
            for index in 0..<16 { plain[start + index] = hidden[start + index] ^ mask[index] }
            previous = Array(hidden[start..<(start + 16)])
        }
        while plain.last == 0 { plain.removeLast() }
        return plain
    }

    private static func keystream(secret: [UInt8], previous: [UInt8]) -> [UInt8] {
        var md5 = Insecure.MD5()
        md5.update(data: secret)
        md5.update(data: previous)
        return Array(md5.finalize())
    }
}
