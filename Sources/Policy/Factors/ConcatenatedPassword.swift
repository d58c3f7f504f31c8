/// A password with a second factor appended (`secret,push`, `secret,123456`), split apart.
///
/// The split is a guess: a password may itself end in `,push`. The engine therefore tries the
/// split password first and, when the primary refuses it, the whole text as the password with no
/// factor (the reference proxy does the same).
public struct ConcatenatedPassword: Sendable {
    public var password: Password
    public var factor: FactorAnswer

    /// Splits on the last delimiter, or after `delimitedPasswordLength` characters when that is
    /// set. Returns nil when the text carries no recognisable factor: no delimiter, nothing after
    /// it, or something that is neither a factor name nor a passcode.
    public static func split(
        _ whole: Password, delimiter: Character, delimitedPasswordLength: Int? = nil
    ) -> ConcatenatedPassword? {
        let delimiterBytes = Array(String(delimiter).utf8)
        let bytes = whole.bytes
        let passwordEnd: Int
        let factorStart: Int
        if let length = delimitedPasswordLength {
            // Characters, as the reference counts them (Unicode scalars of the UTF-8 text).
            guard let text = whole.text, text.unicodeScalars.count > length else { return nil }
            let scalars = text.unicodeScalars
            let cut = scalars.index(scalars.startIndex, offsetBy: length)
            passwordEnd = text.utf8.distance(from: text.utf8.startIndex, to: cut)
            let hasDelimiter = bytes[passwordEnd...].starts(with: delimiterBytes)
            factorStart = passwordEnd + (hasDelimiter ? delimiterBytes.count : 0)
        } else {
            guard let last = lastRange(of: delimiterBytes, in: bytes) else { return nil }
            passwordEnd = last
            factorStart = last + delimiterBytes.count
        }
        guard passwordEnd > 0, factorStart < bytes.count,
            let factorText = String(validating: bytes[factorStart...], as: UTF8.self),
            let factor = FactorAnswer.parse(factorText)
        else { return nil }
        return ConcatenatedPassword(password: Password(Array(bytes[..<passwordEnd])), factor: factor)
    }

    private static func lastRange(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count else { return nil }
        var start = haystack.count - needle.count
        while start >= 0 {
            if haystack[start..<start + needle.count].elementsEqual(needle) { return start }
            start -= 1
        }
        return nil
    }
}
