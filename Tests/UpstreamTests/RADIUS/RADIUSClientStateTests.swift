import NIOCore
import Testing

@testable import Upstream

/// The pure state of the RADIUS client, without sockets or clocks: identifier slots and the
/// retransmission / failover machine.
@Suite struct RADIUSIdentifierAllocatorTests {
    @Test func theFirstSocketCarries256RequestsThenASecondOpens() {
        var allocator = RADIUSIdentifierAllocator(maximumSockets: 4)
        #expect(allocator.allocate() == .slotOnNewSocket(RADIUSRequestSlot(socket: 0, identifier: 0)))
        var identifiers: Set<UInt8> = [0]
        for _ in 1..<256 {
            guard case .slot(let slot) = allocator.allocate() else {
                Issue.record("expected a slot on socket 0")
                return
            }
            #expect(slot.socket == 0)
            identifiers.insert(slot.identifier)
        }
        #expect(identifiers.count == 256)
        #expect(allocator.pendingCount == 256)
        #expect(allocator.allocate() == .slotOnNewSocket(RADIUSRequestSlot(socket: 1, identifier: 0)))
        #expect(allocator.socketCount == 2)
        #expect(allocator.allocate() == .slot(RADIUSRequestSlot(socket: 1, identifier: 1)))
    }

    @Test func aFreedIdentifierIsReusedAsLateAsPossible() {
        var allocator = RADIUSIdentifierAllocator(maximumSockets: 1)
        _ = allocator.allocate()  // 0
        _ = allocator.allocate()  // 1
        allocator.release(RADIUSRequestSlot(socket: 0, identifier: 0))
        // Round-robin: 2 comes next, not the freed 0.
        #expect(allocator.allocate() == .slot(RADIUSRequestSlot(socket: 0, identifier: 2)))
        #expect(!allocator.isPending(RADIUSRequestSlot(socket: 0, identifier: 0)))
        #expect(allocator.isPending(RADIUSRequestSlot(socket: 0, identifier: 1)))
        // Releasing twice, or a slot never taken, changes nothing.
        allocator.release(RADIUSRequestSlot(socket: 0, identifier: 0))
        allocator.release(RADIUSRequestSlot(socket: 3, identifier: 9))
        #expect(allocator.pendingCount == 2)
    }

    @Test func aFreedSlotOnTheFirstSocketIsPreferredOverOpeningAnother() {
        var allocator = RADIUSIdentifierAllocator(maximumSockets: 2)
        for _ in 0..<256 { _ = allocator.allocate() }
        allocator.release(RADIUSRequestSlot(socket: 0, identifier: 77))
        #expect(allocator.allocate() == .slot(RADIUSRequestSlot(socket: 0, identifier: 77)))
        #expect(allocator.socketCount == 1)
    }

    @Test func theSocketCapIsEnforced() {
        var allocator = RADIUSIdentifierAllocator(maximumSockets: 2)
        for _ in 0..<512 { _ = allocator.allocate() }
        #expect(allocator.allocate() == .exhausted)
        allocator.release(RADIUSRequestSlot(socket: 1, identifier: 5))
        #expect(allocator.allocate() == .slot(RADIUSRequestSlot(socket: 1, identifier: 5)))
    }
}

@Suite struct RADIUSRetransmissionStateMachineTests {
    static let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000)
    static let wait = TimeAmount.milliseconds(500)

    /// `replyAccepted()` outside `#expect`, which cannot capture a mutating call.
    static func acceptReply(_ machine: inout RADIUSRetransmissionStateMachine) -> Bool {
        machine.replyAccepted()
    }

    @Test func retransmitsThenFailsOverThenGivesUp() {
        var machine = RADIUSRetransmissionStateMachine(serverCount: 2, retries: 2, retryWait: Self.wait)
        var now = Self.t0
        #expect(machine.start(now: now) == .send(server: 0, retransmission: false, timeoutAt: now + Self.wait))
        #expect(machine.currentServer == 0)
        now = now + Self.wait
        #expect(machine.timerFired(now: now) == .send(server: 0, retransmission: true, timeoutAt: now + Self.wait))
        now = now + Self.wait
        #expect(machine.timerFired(now: now) == .send(server: 0, retransmission: true, timeoutAt: now + Self.wait))
        now = now + Self.wait
        // Three transmissions (1 + retries) to server 0: on to server 1.
        #expect(machine.timerFired(now: now) == .send(server: 1, retransmission: false, timeoutAt: now + Self.wait))
        #expect(machine.currentServer == 1)
        now = now + Self.wait
        #expect(machine.timerFired(now: now) == .send(server: 1, retransmission: true, timeoutAt: now + Self.wait))
        now = now + Self.wait
        #expect(machine.timerFired(now: now) == .send(server: 1, retransmission: true, timeoutAt: now + Self.wait))
        now = now + Self.wait
        #expect(machine.timerFired(now: now) == .giveUp(transmissions: [3, 3]))
        #expect(machine.isFinished)
        #expect(machine.currentServer == nil)
        #expect(machine.timerFired(now: now) == .none)
        #expect(!Self.acceptReply(&machine))
    }

    @Test func zeroRetriesMovesOnAfterOneTransmission() {
        var machine = RADIUSRetransmissionStateMachine(serverCount: 1, retries: 0, retryWait: Self.wait)
        _ = machine.start(now: Self.t0)
        #expect(machine.timerFired(now: Self.t0 + Self.wait) == .giveUp(transmissions: [1]))
    }

    @Test func aReplyFinishesTheRequestAndLaterTimersDoNothing() {
        var machine = RADIUSRetransmissionStateMachine(serverCount: 2, retries: 3, retryWait: Self.wait)
        _ = machine.start(now: Self.t0)
        #expect(Self.acceptReply(&machine))
        #expect(machine.isFinished)
        #expect(!Self.acceptReply(&machine))
        #expect(machine.timerFired(now: Self.t0 + Self.wait) == .none)
        #expect(machine.start(now: Self.t0) == .none)
    }

    @Test func aCancelledRequestSendsNothingMore() {
        var machine = RADIUSRetransmissionStateMachine(serverCount: 1, retries: 3, retryWait: Self.wait)
        #expect(machine.timerFired(now: Self.t0) == .none)  // not started
        _ = machine.start(now: Self.t0)
        machine.cancel()
        #expect(machine.timerFired(now: Self.t0 + Self.wait) == .none)
        #expect(!Self.acceptReply(&machine))
    }
}

@Suite struct RADIUSLogRateLimitTests {
    @Test func oneLinePerIntervalWithTheSuppressedCount() {
        var limit = RADIUSLogRateLimit(interval: .seconds(10))
        let t0 = NIODeadline.uptimeNanoseconds(5_000_000_000)
        #expect(limit.record(now: t0) == 0)
        #expect(limit.record(now: t0 + .seconds(1)) == nil)
        #expect(limit.record(now: t0 + .seconds(9)) == nil)
        #expect(limit.record(now: t0 + .seconds(10)) == 2)
        #expect(limit.record(now: t0 + .seconds(11)) == nil)
    }
}
