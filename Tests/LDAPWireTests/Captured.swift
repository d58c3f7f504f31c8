import NIOCore

@testable import LDAPWire

/// PDUs captured on 127.0.0.1 between OpenLDAP 2.5.13's `ldapwhoami` / `ldapsearch` / `ldappasswd` and
/// `slapd` (suffix dc=example,dc=com), through a relay that logged each direction as hex.
enum Captured {
    // ldapwhoami -x -D uid=alice,ou=people,dc=example,dc=com -w alicepass
    static let whoamiBind =
        "303a020101603502010304257569643d616c6963652c6f753d70656f706c652c64633d6578616d706c652c64633d636f6d8009616c69636570617373"
    static let bindSuccess = "300c02010161070a010004000400"
    static let whoamiRequest = "301e02010277198017312e332e362e312e342e312e343230332e312e31312e33"
    static let whoamiResponse =
        "303602010278310a0100040004008b28646e3a7569643d616c6963652c6f753d70656f706c652c64633d6578616d706c652c64633d636f6d"
    static let unbind3 = "30050201034200"

    // ldapwhoami with a wrong password
    static let wrongPasswordBind =
        "3036020101603102010304257569643d616c6963652c6f753d70656f706c652c64633d6578616d706c652c64633d636f6d800577726f6e67"
    static let bindInvalidCredentials = "300c02010161070a013104000400"

    // ldapsearch -x -D cn=admin,dc=example,dc=com -w adminsecret -b dc=example,dc=com
    //   '(&(objectClass=person)(|(uid=a*)(cn=*b*)))' cn mail
    static let adminBind =
        "3031020101602c020103041a636e3d61646d696e2c64633d6578616d706c652c64633d636f6d800b61646d696e736563726574"
    static let nestedSearch =
        "30650201026360041164633d6578616d706c652c64633d636f6d0a01020a0100020100020100010100a030a315040b6f626a656374436c6173730406706572736f6ea117a40a04037569643003800161a4090402636e3003810162300a0402636e04046d61696c"
    /// Two SearchResultEntry and a SearchResultDone in one TCP segment.
    static let searchAnswers =
        "3062020102645d04257569643d616c6963652c6f753d70656f706c652c64633d6578616d706c652c64633d636f6d303430150402636e310f040d416c696365204c696464656c6c301b04046d61696c31130411616c696365406578616d706c652e636f6d3041020102643c04237569643d626f622c6f753d70656f706c652c64633d6578616d706c652c64633d636f6d301530130402636e310d040b426f62204275696c646572300c02010265070a010004000400"

    // ldapsearch -x (anonymous) -b ou=people,dc=example,dc=com -s one -E pr=5/noprompt '(uid=bob)' uid
    static let anonymousBind = "300c020101600702010304008000"
    static let pagedSearch =
        "3069020102633f041b6f753d70656f706c652c64633d6578616d706c652c64633d636f6d0a01010a0100020100020100010100a30a04037569640403626f6230050403756964a02330210416312e322e3834302e3131333535362e312e342e333139040730050201050400"
    static let pagedAnswers =
        "303a020102643504237569643d626f622c6f753d70656f706c652c64633d6578616d706c652c64633d636f6d300e300c040375696431050403626f62303102010265070a010004000400a02330210416312e322e3834302e3131333535362e312e342e333139040730050201000400"

    // ldappasswd -x -D uid=bob,... -w bobpass -a bobpass -s newbobpass
    static let passwordModify =
        "303702010277328017312e332e362e312e342e312e343230332e312e31312e31811730158107626f6270617373820a6e6577626f6270617373"
    static let passwordModifyRefused = "300c02010278070a013204000400"

    // ldapsearch -x -b ou=nobody,dc=example,dc=com '(cn=x)'
    static let searchNoSuchBase =
        "303c0201026337041b6f753d6e6f626f64792c64633d6578616d706c652c64633d636f6d0a01020a0100020100020100010100a3070402636e0401783000"
    static let noSuchObjectDone = "301d02010265180a0120041164633d6578616d706c652c64633d636f6d0400"
}

/// Bytes from a hex string (test data only: traps on bad hex).
func bytes(_ hex: String) -> [UInt8] {
    let digits = Array(hex.utf8)
    precondition(digits.count % 2 == 0, "odd hex length")
    return stride(from: 0, to: digits.count, by: 2).map { index in
        UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16)!
    }
}

func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

func buffer(_ hex: String) -> ByteBuffer { ByteBuffer(bytes: bytes(hex)) }

/// Decodes a hex PDU.
func decode(_ hex: String, limits: LDAPLimits = .default) throws(LDAPDecodingError) -> LDAPMessage {
    try LDAPMessage.decode(bytes: bytes(hex), limits: limits)
}

/// The error a decode throws, or nil when it succeeds.
func decodingError(_ pdu: [UInt8], limits: LDAPLimits = .default) -> LDAPDecodingError? {
    do {
        _ = try LDAPMessage.decode(bytes: pdu, limits: limits)
        return nil
    } catch {
        return error
    }
}

/// Wraps `contents` in a TLV with a minimal definite length.
func tlv(_ tag: UInt8, _ contents: [UInt8]) -> [UInt8] {
    tlvHeader(tag, length: contents.count) + contents
}

/// The tag and minimal definite length of a TLV whose contents are `length` octets.
func tlvHeader(_ tag: UInt8, length: Int) -> [UInt8] {
    var header: [UInt8] = [tag]
    if length < 0x80 {
        header.append(UInt8(length))
    } else {
        var rest = length
        var lengthBytes: [UInt8] = []
        while rest > 0 {
            lengthBytes.insert(UInt8(rest & 0xff), at: 0)
            rest >>= 8
        }
        header.append(0x80 | UInt8(lengthBytes.count))
        header += lengthBytes
    }
    return header
}

/// `contents` wrapped in `depth` TLVs of `tag`, built in linear time (wrapping one `tlv` at a
/// time copies the growing value each time).
func nested(_ tag: UInt8, depth: Int, around contents: [UInt8]) -> [UInt8] {
    var headers: [[UInt8]] = []
    var size = contents.count
    for _ in 0..<depth {
        let header = tlvHeader(tag, length: size)
        headers.append(header)
        size += header.count
    }
    var out: [UInt8] = []
    out.reserveCapacity(size)
    for header in headers.reversed() { out += header }
    return out + contents
}

func octets(_ string: String, tag: UInt8 = 0x04) -> [UInt8] { tlv(tag, Array(string.utf8)) }
