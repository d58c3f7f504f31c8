/// The LDAP profile of BER (RFC 4511 §5.1), checked over a whole PDU before it is parsed.
///
/// swift-asn1's BER parser accepts indefinite lengths and any number of length octets, and recurses
/// per nesting level. This walk is iterative and refuses, with the offset of the offending element:
/// indefinite lengths, more than 4 length octets, high tag numbers and end-of-contents tags (LDAP uses
/// neither), elements longer than their parent, nesting deeper than the caller's limit, and bytes after
/// the outer element. Constructed strings are refused later, where the LDAP layer knows which
/// implicitly tagged elements are strings.
enum BERValidator {
    static func validate(_ bytes: [UInt8], maximumDepth: Int) throws(LDAPDecodingError) {
        // Ends (exclusive offsets) of the constructed elements that enclose `position`.
        var ends: [Int] = []
        ends.reserveCapacity(16)
        var position = 0
        var readRoot = false
        while true {
            while let end = ends.last, position == end { ends.removeLast() }
            if ends.isEmpty && readRoot {
                guard position == bytes.count else {
                    throw .trailingBytes(count: bytes.count - position, at: position)
                }
                return
            }
            readRoot = true
            let limit = ends.last ?? bytes.count
            let start = position
            guard position < limit else {
                throw .truncated(at: start, claimed: 1, available: 0)
            }
            let tag = bytes[position]
            if tag & 0x1f == 0x1f || tag & 0xdf == 0x00 { throw .unsupportedTag(tag, at: start) }
            let constructed = tag & 0x20 != 0
            position += 1
            guard position < limit else {
                throw .truncated(at: start, claimed: 1, available: 0)
            }
            let first = bytes[position]
            position += 1
            var length: UInt64
            if first < 0x80 {
                length = UInt64(first)
            } else if first == 0x80 {
                throw .indefiniteLength(at: position - 1)
            } else {
                let octets = Int(first & 0x7f)
                guard octets <= 4 else { throw .lengthFieldTooLong(octets: octets, at: position - 1) }
                guard limit - position >= octets else {
                    throw .truncated(at: start, claimed: UInt64(octets), available: limit - position)
                }
                length = 0
                for _ in 0..<octets {
                    length = length << 8 | UInt64(bytes[position])
                    position += 1
                }
            }
            guard length <= UInt64(limit - position) else {
                throw .truncated(at: start, claimed: length, available: limit - position)
            }
            let depth = ends.count + 1
            guard depth <= maximumDepth else { throw .tooDeep(at: start, maximum: maximumDepth) }
            if constructed {
                ends.append(position + Int(length))
            } else {
                position += Int(length)
            }
        }
    }
}
