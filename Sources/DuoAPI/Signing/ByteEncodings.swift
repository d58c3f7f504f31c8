import Foundation

// The byte encodings shared by request signing and the Web SDK: one place each.

func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

func base64Decode(_ text: String) -> [UInt8]? { Data(base64Encoded: text).map { Array($0) } }

/// Lower-case hexadecimal.
func hex(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
}

func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    var difference: UInt8 = 0
    for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
    return difference == 0
}
