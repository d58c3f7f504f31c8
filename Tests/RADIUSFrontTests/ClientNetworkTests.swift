import RADIUSFront
import Testing

/// `radius_ip_N` in every form the reference accepts, and the matching of source addresses.
@Suite struct ClientNetworkTests {
    @Test(arguments: [
        ("192.0.2.10", "192.0.2.10", "192.0.2.10"),
        ("192.0.2.0/24", "192.0.2.0", "192.0.2.255"),
        ("192.0.2.0/255.255.255.0", "192.0.2.0", "192.0.2.255"),
        ("10.0.0.0/8", "10.0.0.0", "10.255.255.255"),
        ("0.0.0.0/0", "0.0.0.0", "255.255.255.255"),
        ("192.0.2.10-192.0.2.20", "192.0.2.10", "192.0.2.20"),
        (" 192.0.2.10 - 192.0.2.20 ", "192.0.2.10", "192.0.2.20"),
        ("2001:db8::/32", "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"),
        ("::1", "::1", "::1"),
        ("fe80::1-fe80::ff", "fe80::1", "fe80::ff"),
    ])
    func forms(_ text: String, _ first: String, _ last: String) throws {
        let network = try ClientNetwork.parse(text)
        #expect(network.first == IPAddress(first))
        #expect(network.last == IPAddress(last))
        #expect(network.first.description == first)
    }

    @Test(arguments: [
        "192.0.2.1/24", "192.0.2.0/33", "192.0.2.0/255.0.255.0", "192.0.2.20-192.0.2.10", "192.0.2.1-2001:db8::1",
        "example.com", "192.0.2", "192.0.2.01", "", "fe80::1%eth0", "2001:db8::/129", "192.0.2.0/24x",
    ])
    func refused(_ text: String) {
        #expect(throws: ClientNetwork.ParseError.self) { try ClientNetwork.parse(text) }
    }

    @Test func errorsSayWhatWasMeant() {
        #expect(throws: ClientNetwork.ParseError(description: "'192.0.2.1/24' has host bits set; did you mean 192.0.2.0/24?")) {
            try ClientNetwork.parse("192.0.2.1/24")
        }
    }

    @Test func matching() throws {
        let network = try ClientNetwork.parse("192.0.2.0/24")
        #expect(network.contains(IPAddress("192.0.2.77")!))
        #expect(!network.contains(IPAddress("192.0.3.0")!))
        // A dual-stack socket reports IPv4 peers as IPv4-mapped IPv6.
        #expect(network.contains(IPAddress("::ffff:192.0.2.77")!))
        #expect(!network.contains(IPAddress("2001:db8::1")!))
        #expect(try ClientNetwork.parse("192.0.2.10").span < network.span)
    }
}
