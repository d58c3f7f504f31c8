import Foundation

func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

func base64Decode(_ text: String) -> [UInt8]? { Data(base64Encoded: text).map { Array($0) } }
