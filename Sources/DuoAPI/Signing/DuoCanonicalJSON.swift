/// The JSON body of a v4/v5 request, byte for byte as Duo's reference client writes it:
/// `json.dumps(params, sort_keys=True, separators=(',', ':'))`, so keys sorted by code point, no
/// spaces, and every non-ASCII character escaped as `\uXXXX` (UTF-16, surrogate pairs).
public enum DuoCanonicalJSON {
    public static func encode(_ parameters: [String: String]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        // Python sorts str keys by code point; Swift's String < is by Unicode scalar values for
        // these, but compare scalars explicitly to be sure.
        let keys = parameters.keys.sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) { $0.value < $1.value } }
        for (index, key) in keys.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendString(key, to: &out)
            out.append(UInt8(ascii: ":"))
            appendString(parameters[key]!, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    static func appendString(_ text: String, to out: inout [UInt8]) {
        let digits = Array("0123456789abcdef".utf8)
        func escape(_ unit: UInt16) {
            out.append(contentsOf: Array("\\u".utf8))
            for shift in stride(from: 12, through: 0, by: -4) { out.append(digits[Int((unit >> UInt16(shift)) & 0xf)]) }
        }
        out.append(UInt8(ascii: "\""))
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x22: out.append(contentsOf: Array("\\\"".utf8))
            case 0x5c: out.append(contentsOf: Array("\\\\".utf8))
            case 0x0a: out.append(contentsOf: Array("\\n".utf8))
            case 0x0d: out.append(contentsOf: Array("\\r".utf8))
            case 0x09: out.append(contentsOf: Array("\\t".utf8))
            case 0x08: out.append(contentsOf: Array("\\b".utf8))
            case 0x0c: out.append(contentsOf: Array("\\f".utf8))
            case 0x20..<0x7f: out.append(UInt8(scalar.value))
            default:
                for unit in String(scalar).utf16 { escape(unit) }
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
