import LDAPWire
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import Testing

@testable import LDAPFront

/// The session handler on an EmbeddedChannel: what it does when the peer does not read, and with
/// its deadlines, on a clock the test moves.
struct SessionHandlerTests {
    static func channel(timeouts: LDAPTimeouts = LDAPTimeouts()) throws -> EmbeddedChannel {
        let directory = LDAPDuoOnlyDirectory(integrations: [("ldap_server_duo_only", "DIABC", "secret")])
        let handler = LDAPSessionHandler(
            stateMachine: LDAPSessionStateMachine(configuration: LDAPSessionConfiguration(transport: .clear), directory: directory),
            sections: [], timeouts: timeouts, tlsContext: nil, gate: NIOLockedValueBox(LDAPConnectionGate()),
            logger: Logger(label: "test"))
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 389)).wait()
        return channel
    }

    static func whoAmI(_ id: Int32) -> [UInt8] {
        LDAPMessage(messageID: id, protocolOp: .extendedRequest(.whoAmI)).encodedBytes()
    }

    /// The message IDs of everything written so far.
    static func answered(_ channel: EmbeddedChannel) throws -> [Int32] {
        var ids: [Int32] = []
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) {
            var decoder = LDAPFrameDecoder()
            while let frame = try decoder.next(from: &buffer) { ids.append(try LDAPMessage.decode(frame: frame).messageID) }
        }
        return ids
    }

    @Test func nothingIsTakenWhileThePeerDoesNotReadItsAnswers() throws {
        let channel = try Self.channel()
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        try channel.writeInbound(ByteBuffer(bytes: Self.whoAmI(1) + Self.whoAmI(2)))
        #expect(try Self.answered(channel).isEmpty, "no request is handed over while the output is full")
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        #expect(try Self.answered(channel) == [1, 2], "writable again: the buffered requests are answered in order")
        _ = try? channel.finish()
    }

    @Test func aSilentPeerIsClosedAtTheFirstPDUDeadlineAndATricklingOneToo() throws {
        let silent = try Self.channel(timeouts: LDAPTimeouts(firstPDU: .seconds(10)))
        silent.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(silent.isActive)
        silent.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!silent.isActive)

        // One byte every 5 s never completes a PDU and does not restart the deadline.
        let trickling = try Self.channel(timeouts: LDAPTimeouts(firstPDU: .seconds(10)))
        for byte in Self.whoAmI(1).prefix(3) {
            try trickling.writeInbound(ByteBuffer(bytes: [byte]))
            trickling.embeddedEventLoop.advanceTime(by: .seconds(5))
        }
        #expect(!trickling.isActive)
    }

    @Test func anIdleSessionIsClosedAfterIdleTimeout() throws {
        let channel = try Self.channel(timeouts: LDAPTimeouts(idle: .seconds(60)))
        try channel.writeInbound(ByteBuffer(bytes: Self.whoAmI(1)))
        #expect(try Self.answered(channel) == [1])
        channel.embeddedEventLoop.advanceTime(by: .seconds(59))
        try channel.writeInbound(ByteBuffer(bytes: Self.whoAmI(2)))
        channel.embeddedEventLoop.advanceTime(by: .seconds(59))
        #expect(channel.isActive, "each request restarts the idle deadline")
        channel.embeddedEventLoop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive)
    }
}
