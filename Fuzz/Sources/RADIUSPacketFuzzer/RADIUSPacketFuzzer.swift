import FuzzSupport
import RADIUSWire

/// One input: decode; what decodes must re-encode to its bytes, and authenticator checks must not
/// trap whatever the bytes.
func fuzzRADIUSPacket(_ bytes: [UInt8]) {
    guard let packet = try? RADIUSPacket(decoding: bytes) else { return }
    let length = Int(bytes[2]) << 8 | Int(bytes[3])
    guard let encoded = try? packet.encoded(), encoded == Array(bytes.prefix(length)) else {
        fatalError("decoded packet does not re-encode to its bytes")
    }
    let secret: [UInt8] = Array("fuzz".utf8)
    _ = try? RADIUSPacket.checkMessageAuthenticator(in: bytes, secret: secret)
    _ = try? RADIUSPacket.verifyResponseAuthenticator(in: bytes, requestAuthenticator: .zero, secret: secret)
    _ = try? packet.userName()
    for attribute in packet.attributes { _ = RADIUSDictionary.standard.present(attribute) }
    if let hidden = packet[.userPassword] {
        _ = try? RADIUSUserPassword.unhide(hidden.value, secret: secret, authenticator: packet.authenticator)
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzRADIUSPacket(fuzzInput(data, size))
    return 0
}

@_cdecl("RADIUSPacketFuzzer_main")
public func fuzzerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runLibFuzzer(argc, argv, fuzzerTestOneInput)
}
#else
@main
struct RADIUSPacketFuzzerStub {
    static func main() { print(fuzzBuildHint) }
}
#endif
