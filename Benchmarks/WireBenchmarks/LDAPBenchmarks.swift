import LDAPWire
import NIOCore

/// LDAP: frame + decode of a ~1 KB BindRequest, its encode, decode of a SearchRequest with a nested
/// filter, and encode of a SearchResultEntry.
func runLDAPBenchmarks() {
    // A 1 KB bind: a long DN (as a Juniper sends `cn=<user>,dc=<IKEY>,...`) and a long passcode.
    let name = "cn=" + String(repeating: "u", count: 400) + ",dc=DIXXXXXXXXXXXXXXXXXX,dc=duosecurity,dc=com"
    let bind = LDAPMessage(
        messageID: 1,
        protocolOp: .bindRequest(.simple(name: name, password: Array(repeating: 0x70, count: 520))))
    let bindBytes = bind.encode()

    let filter = LDAPFilter.and([
        .equal("objectClass", "person"),
        .or([
            .substrings(.init(type: "uid", initial: Array("a".utf8))),
            .substrings(.init(type: "cn", any: [Array("b".utf8)])),
            .not(.equal("accountStatus", "disabled")),
        ]),
        .or([.equal("memberOf", "cn=vpn,ou=groups,dc=example,dc=com"), .present("vpnAccess")]),
    ])
    let search = LDAPMessage(
        messageID: 2,
        protocolOp: .searchRequest(.init(baseObject: "dc=example,dc=com", sizeLimit: 2, filter: filter, attributes: ["cn", "mail", "memberOf"])))
    let searchBytes = search.encode()

    let entry = LDAPMessage(
        messageID: 2,
        protocolOp: .searchResultEntry(.init(
            objectName: "uid=alice,ou=people,dc=example,dc=com",
            attributes: [
                .init(type: "cn", stringValues: ["Alice Liddell"]),
                .init(type: "mail", stringValues: ["alice@example.com"]),
                .init(type: "memberOf", stringValues: ["cn=vpn,ou=groups,dc=example,dc=com", "cn=staff,ou=groups,dc=example,dc=com"]),
            ])))

    print("LDAP BindRequest is \(bindBytes.readableBytes) bytes")
    var framer = LDAPFrameDecoder()
    do {
        try measure("LDAP frame+decode BindRequest (1 KB)") {
            var stream = bindBytes
            blackHole(try framer.next(from: &stream).map { try LDAPMessage.decode(frame: $0) })
        }
    measure("LDAP encode BindRequest (1 KB)") {
        blackHole(bind.encode())
    }
        try measure("LDAP decode SearchRequest (nested filter)") {
            blackHole(try LDAPMessage.decode(frame: searchBytes))
        }
    } catch {
        print("LDAP benchmark input failed to decode: \(error)")
    }
    measure("LDAP encode SearchResultEntry") {
        blackHole(entry.encode())
    }
}
