import RADIUSWire

/// RADIUS: decode and encode of a full 4,096-octet packet and of a typical Access-Request, and
/// the cryptography a login costs (password, Message-Authenticator, signed reply).
func runRADIUSBenchmarks() {
    let secret = Array("a-benchmark-shared-secret".utf8)
    let authenticator = RADIUSAuthenticator.random()

    // 4,096 octets: the header, 15 Class attributes of 255 octets and a User-Name of 251.
    var large = RADIUSPacket(code: .accessRequest, identifier: 1, authenticator: authenticator)
    for index in 0..<15 { large.attributes.append(RADIUSAttribute(.class, [UInt8](repeating: UInt8(index), count: 253))) }
    large.attributes.append(RADIUSAttribute(.userName, [UInt8](repeating: 0x61, count: 249)))
    let largeBytes = try! large.encoded()
    precondition(largeBytes.count == 4096)

    let hidden = try! RADIUSUserPassword.hide(Array("correct horse,push".utf8), secret: secret, authenticator: authenticator)
    let typical = RADIUSPacket(code: .accessRequest, identifier: 2, authenticator: authenticator, attributes: [
        RADIUSAttribute(.userName, text: "alice@example.com"), RADIUSAttribute(.userPassword, hidden),
        RADIUSAttribute(.nasIPAddress, [10, 0, 0, 1]), RADIUSAttribute(.nasIdentifier, text: "vpn-1"),
        RADIUSAttribute(.callingStationID, text: "192.0.2.7"), RADIUSAttribute(.nasPortType, integer: 5),
    ])
    let typicalBytes = try! typical.encodeRequest(secret: secret)

    measure("RADIUS decode 4096-octet packet") { blackHole(try! RADIUSPacket(decoding: largeBytes)) }
    measure("RADIUS encode 4096-octet packet") { blackHole(try! large.encoded()) }
    measure("RADIUS decode Access-Request (\(typicalBytes.count) octets)") {
        blackHole(try! RADIUSPacket(decoding: typicalBytes))
    }
    measure("RADIUS check Message-Authenticator") {
        blackHole(try! RADIUSPacket.checkMessageAuthenticator(in: typicalBytes, secret: secret))
    }
    measure("RADIUS unhide User-Password") {
        blackHole(try! RADIUSUserPassword.unhide(hidden, secret: secret, authenticator: authenticator))
    }
    let reply = RADIUSPacket.response(.accessAccept, to: typical, attributes: RADIUSAttribute.replyMessages("Success. Logging you in..."))
    measure("RADIUS encode signed Access-Accept") {
        blackHole(try! reply.encodeResponse(to: authenticator, secret: secret))
    }
}
