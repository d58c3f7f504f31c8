import SwiftASN1

/// Writing LDAP's BER with swift-asn1's serializer, which emits definite, minimal lengths (DER is valid
/// BER). Tags are IMPLICIT: every helper takes the identifier to write, never an explicit wrapper.
extension DER.Serializer {
    mutating func writeOctets<Bytes: Collection>(_ bytes: Bytes, _ identifier: ASN1Identifier = .octetString)
    where Bytes.Element == UInt8 {
        appendPrimitiveNode(identifier: identifier) { $0.append(contentsOf: bytes) }
    }

    mutating func writeString(_ string: String, _ identifier: ASN1Identifier = .octetString) {
        var string = string
        string.withUTF8 { utf8 in appendPrimitiveNode(identifier: identifier) { $0.append(contentsOf: utf8) } }
    }

    /// A minimally encoded two's complement INTEGER or ENUMERATED (X.690 §8.3).
    mutating func writeInteger(_ value: Int64, _ identifier: ASN1Identifier = .integer) {
        appendPrimitiveNode(identifier: identifier) { bytes in
            var count = 8
            while count > 1 {
                let top = UInt8(truncatingIfNeeded: value >> ((count - 1) * 8))
                let next = UInt8(truncatingIfNeeded: value >> ((count - 2) * 8))
                guard (top == 0x00 && next & 0x80 == 0) || (top == 0xff && next & 0x80 != 0) else { break }
                count -= 1
            }
            for index in (0..<count).reversed() {
                bytes.append(UInt8(truncatingIfNeeded: value >> (index * 8)))
            }
        }
    }

    /// TRUE is 0xFF, as DER and OpenLDAP write it.
    mutating func writeBoolean(_ value: Bool, _ identifier: ASN1Identifier = .boolean) {
        appendPrimitiveNode(identifier: identifier) { $0.append(value ? 0xff : 0x00) }
    }

    mutating func writeNull(_ identifier: ASN1Identifier = .null) {
        appendPrimitiveNode(identifier: identifier) { _ in }
    }

    mutating func writeConstructed(_ identifier: ASN1Identifier, _ body: (inout DER.Serializer) -> Void) {
        appendConstructedNode(identifier: identifier, body)
    }
}
