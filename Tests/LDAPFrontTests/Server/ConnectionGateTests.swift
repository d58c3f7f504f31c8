import Testing

@testable import LDAPFront

struct ConnectionGateTests {
    @Test func capsPerAddressAndInAll() {
        var gate = LDAPConnectionGate(limits: .init(connections: 3, connectionsPerAddress: 2))
        #expect(gate.admit("192.0.2.1") == nil)
        #expect(gate.admit("192.0.2.1") == nil)
        #expect(gate.admit("192.0.2.1") == .tooManyFromAddress("192.0.2.1", limit: 2))
        #expect(gate.admit("192.0.2.2") == nil)
        #expect(gate.admit("192.0.2.3") == .tooManyConnections(limit: 3))
        gate.release("192.0.2.1")
        #expect(gate.admit("192.0.2.1") == nil, "a closed connection frees its place")
        #expect(gate.openConnections == 3)
        gate.accepting = false
        gate.release("192.0.2.2")
        #expect(gate.admit("192.0.2.2") == .shuttingDown)
    }
}
