import Foundation

// The byte encodings shared by request signing and the Web SDK: one place each.

func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

func base64Decode(_ bytes: ArraySlice<UInt8>) -> [UInt8]? { Data(base64Encoded: Data(bytes)).map { Array($0) } }

/// Lower-case hexadecimal.
func hex(_ bytes: some ContiguousBytes) -> String {
    bytes.withUnsafeBytes { bytes in
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            let digits: StaticString = "0123456789abcdef"
            for (index, byte) in bytes.enumerated() {
                out[2 * index] = digits.utf8Start[Int(byte >> 4)]
                out[2 * index + 1] = digits.utf8Start[Int(byte & 0x0f)]
            }
            return bytes.count * 2
        }
    }
}

func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    var difference: UInt8 = 0
    for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
    return difference == 0
}
