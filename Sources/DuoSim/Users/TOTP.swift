import Crypto

/// Time-based one-time passwords as Duo Mobile and authenticator apps make them: RFC 6238 with
/// HMAC-SHA1, a 30 s step and 6 digits (RFC 4226 §5.3 dynamic truncation).
public struct TOTP: Sendable, Hashable {
    public let secret: [UInt8]
    public static let step: Int64 = 30
    public static let digits = 6

    /// A TOTP from a base32 secret (RFC 4648 §6; case, spaces and `=` padding are ignored), or nil
    /// when the text is not base32 or is empty.
    public init?(base32 text: String) {
        guard let bytes = Self.base32Decode(text), !bytes.isEmpty else { return nil }
        secret = bytes
    }

    /// The code for a Unix time.
    public func code(at unixSeconds: Int64) -> String {
        Self.hotp(secret: secret, counter: UInt64(max(0, unixSeconds) / Self.step))
    }

    /// Whether `code` is the code of the current step or one step either side (RFC 6238 §5.2
    /// recommends allowing at most one step of network delay).
    public func accepts(_ code: String, at unixSeconds: Int64) -> Bool {
        guard code.utf8.count == Self.digits else { return false }
        var matched = false
        for drift: Int64 in [-1, 0, 1] where self.code(at: unixSeconds + drift * Self.step) == code {
            matched = true
        }
        return matched
    }

    /// RFC 4226 §5.3: HMAC-SHA1 of the big-endian counter, dynamic truncation, modulo 10^6.
    static func hotp(secret: [UInt8], counter: UInt64) -> String {
        var message = [UInt8](repeating: 0, count: 8)
        for index in 0..<8 { message[index] = UInt8(truncatingIfNeeded: counter >> (56 - 8 * UInt64(index))) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: secret)))
        let offset = Int(mac[mac.count - 1] & 0x0f)
        let value = (UInt32(mac[offset] & 0x7f) << 24) | (UInt32(mac[offset + 1]) << 16)
            | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        let code = String(value % 1_000_000)
        return String(repeating: "0", count: digits - code.count) + code
    }

    static func base32Decode(_ text: String) -> [UInt8]? {
        var bits: UInt64 = 0
        var bitCount = 0
        var out: [UInt8] = []
        for byte in text.utf8 {
            let value: UInt8
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = byte - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = byte - UInt8(ascii: "a")
            case UInt8(ascii: "2")...UInt8(ascii: "7"): value = byte - UInt8(ascii: "2") + 26
            case UInt8(ascii: " "), UInt8(ascii: "="), UInt8(ascii: "-"): continue
            default: return nil
            }
            bits = (bits << 5) | UInt64(value)
            bitCount += 5
            if bitCount >= 8 {
                bitCount -= 8
                out.append(UInt8(truncatingIfNeeded: bits >> UInt64(bitCount)))
            }
        }
        return out
    }
}
