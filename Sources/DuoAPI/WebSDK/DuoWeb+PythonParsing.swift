/// The two Python built-ins duo_web's `_parse_vals` uses to read a cookie's payload, reproduced so
/// that twofold accepts exactly the cookies duo_web accepts. Both run only after the cookie's HMAC
/// has been checked, so only a holder of the key can reach their lenient corners.
extension DuoWeb {
    /// `base64.b64decode(s)` of a `str` (CPython 3.11 `binascii.a2b_base64`, `strict_mode=False`):
    /// the string must be ASCII; characters outside the base64 alphabet are skipped; `=` counts as
    /// padding only after two data characters of a quad, and padding that completes a quad ends the
    /// input (the rest is ignored); a final partial quad is an error. Returns nil where Python raises.
    static func pythonBase64Decode(_ text: Substring.UTF8View) -> [UInt8]? {
        // `_bytes_from_decode_data`: "string argument should contain only ASCII characters", checked
        // on the whole string before decoding starts.
        guard text.allSatisfy({ $0 < 0x80 }) else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(text.count / 4 * 3)
        var quadPosition = 0
        var leftover: UInt8 = 0
        var pads = 0
        for byte in text {
            if byte == UInt8(ascii: "=") {
                if quadPosition >= 2 {
                    pads += 1
                    if quadPosition + pads >= 4 { return output }
                }
                continue
            }
            guard let value = base64Value(byte) else { continue }
            pads = 0
            switch quadPosition {
            case 0:
                leftover = value
                quadPosition = 1
            case 1:
                output.append(leftover << 2 | value >> 4)
                leftover = value & 0x0f
                quadPosition = 2
            case 2:
                output.append(leftover << 4 | value >> 2)
                leftover = value & 0x03
                quadPosition = 3
            default:
                output.append(leftover << 6 | value)
                leftover = 0
                quadPosition = 0
            }
        }
        return quadPosition == 0 ? output : nil
    }

    private static func base64Value(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }

    /// Whether an expiry time written as Python's `int(text)` reads it is after `now`: duo_web's
    /// `ts >= int(exp)` means expired. Returns nil where `int()` raises.
    ///
    /// `int()` of a `str` allows surrounding whitespace (`str.isspace`), a sign, single underscores
    /// between digits and any Unicode decimal digit (Numeric_Type=Decimal); the value is unbounded,
    /// so a magnitude beyond `Int64` is compared by its sign alone, but CPython 3.11 refuses more than
    /// ``pythonIntMaximumDigits`` digits.
    static func pythonIntIsAfter(_ text: Substring, now: Int64) -> Bool? {
        var scalars = Substring.UnicodeScalarView(text.unicodeScalars)
        while let first = scalars.first, isPythonSpace(first) { scalars.removeFirst() }
        while let last = scalars.last, isPythonSpace(last) { scalars.removeLast() }
        var negative = false
        if let sign = scalars.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            scalars.removeFirst()
        }
        var magnitude: Int64 = 0
        var overflowed = false
        var digitCount = 0
        var sawDigit = false
        var previousWasUnderscore = false
        for scalar in scalars {
            if scalar == "_" {
                guard sawDigit, !previousWasUnderscore else { return nil }
                previousWasUnderscore = true
                continue
            }
            guard let digit = decimalDigitValue(scalar) else { return nil }
            sawDigit = true
            digitCount += 1
            previousWasUnderscore = false
            if !overflowed {
                let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(Int64(digit))
                if o1 || o2 { overflowed = true } else { magnitude = sum }
            }
        }
        guard sawDigit, !previousWasUnderscore, digitCount <= pythonIntMaximumDigits else { return nil }
        if overflowed { return !negative }
        return now < (negative ? -magnitude : magnitude)
    }

    /// CPython 3.11's default `sys.get_int_max_str_digits()`: "Exceeds the limit (4300 digits) for
    /// integer string conversion" (CVE-2020-10735), counting digits but not underscores or signs.
    static let pythonIntMaximumDigits = 4300

    /// Python's `str.isspace`: bidirectional class WS, B or S, or category Zs.
    private static func isPythonSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            true
        default:
            false
        }
    }

    private static func decimalDigitValue(_ scalar: Unicode.Scalar) -> Int? {
        if scalar.isASCII {
            return ("0"..."9").contains(scalar) ? Int(scalar.value - 0x30) : nil
        }
        guard scalar.properties.numericType == .decimal, let value = scalar.properties.numericValue else { return nil }
        return Int(value)
    }
}
