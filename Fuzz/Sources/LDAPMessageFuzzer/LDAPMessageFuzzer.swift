import FuzzSupport
import LDAPWire
import NIOCore

/// One input as a TCP stream: frame PDUs until the bytes run out or an error; each message that
/// decodes must decode again to the same value from its own encoding.
func fuzzLDAPStream(_ bytes: [UInt8]) {
    var buffer = ByteBuffer(bytes: bytes)
    var framer = LDAPFrameDecoder(limits: LDAPLimits(maximumPDUSize: 1 << 16))
    while true {
        guard let frame = try? framer.next(from: &buffer) else { return }
        guard let message = try? LDAPMessage.decode(frame: frame) else { continue }
        guard let again = try? LDAPMessage.decode(bytes: message.encodedBytes()), again == message else {
            fatalError("a decoded LDAPMessage does not survive its own encoding")
        }
    }
}

#if FUZZING
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    fuzzLDAPStream(fuzzInput(data, size))
    return 0
}

@_cdecl("LDAPMessageFuzzer_main")
public func fuzzerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runLibFuzzer(argc, argv, fuzzerTestOneInput)
}
#else
@main
struct LDAPMessageFuzzerStub {
    static func main() { print(fuzzBuildHint) }
}
#endif
