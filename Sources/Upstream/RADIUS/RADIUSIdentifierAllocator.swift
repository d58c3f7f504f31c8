/// A pending request's place: which source socket it was sent from, and its Identifier there.
///
/// RFC 2865 §3: the Identifier "aids in matching requests and replies"; a client tells replies
/// apart by (source port, Identifier), so each socket carries at most 256 requests at once.
struct RADIUSRequestSlot: Hashable, Sendable, CustomStringConvertible {
    /// The index of the source socket, in the order the sockets were opened.
    var socket: Int
    var identifier: UInt8

    var description: String { "socket \(socket) identifier \(identifier)" }
}

/// Hands out (source socket, Identifier) pairs for pending requests, opening another source socket
/// when every identifier of the open ones is taken. Pure state: the transport opens the sockets.
///
/// Identifiers are handed out round-robin on each socket, so a freed identifier is reused as late
/// as possible and a straggling reply to an old request meets no new request with its identifier
/// (and, if it does, fails the new request's Response Authenticator check).
struct RADIUSIdentifierAllocator: Sendable {
    /// RFC 2865 §3: "The Identifier field is one octet".
    static let identifiersPerSocket = 256

    /// A named cap on source sockets: `maximumSockets * 256` requests may be pending at once.
    let maximumSockets: Int
    private var sockets: [SocketState] = []

    private struct SocketState: Sendable {
        /// Which identifiers are pending: bit `i % 64` of word `i / 64`.
        var used: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var count = 0
        /// Where the round-robin search for a free identifier starts.
        var next: UInt8 = 0

        func isUsed(_ identifier: UInt8) -> Bool {
            let bit = UInt64(1) << UInt64(identifier & 63)
            switch identifier >> 6 {
            case 0: return used.0 & bit != 0
            case 1: return used.1 & bit != 0
            case 2: return used.2 & bit != 0
            default: return used.3 & bit != 0
            }
        }

        mutating func set(_ identifier: UInt8, _ value: Bool) {
            let bit = UInt64(1) << UInt64(identifier & 63)
            func apply(_ word: inout UInt64) { if value { word |= bit } else { word &= ~bit } }
            switch identifier >> 6 {
            case 0: apply(&used.0)
            case 1: apply(&used.1)
            case 2: apply(&used.2)
            default: apply(&used.3)
            }
        }
    }

    enum Allocation: Equatable, Sendable {
        /// A free slot on a socket that is already open (or being opened).
        case slot(RADIUSRequestSlot)
        /// A slot on a new socket with index `slot.socket`: the transport must open it first.
        case slotOnNewSocket(RADIUSRequestSlot)
        /// `maximumSockets * 256` requests are pending.
        case exhausted
    }

    init(maximumSockets: Int) {
        precondition(maximumSockets >= 1, "at least one source socket")
        self.maximumSockets = maximumSockets
    }

    /// Sockets opened so far (allocated at least once).
    var socketCount: Int { sockets.count }

    /// Requests pending across all sockets.
    var pendingCount: Int { sockets.reduce(0) { $0 + $1.count } }

    /// Takes a free identifier on the first socket that has one, or on a new socket.
    mutating func allocate() -> Allocation {
        for index in sockets.indices where sockets[index].count < Self.identifiersPerSocket {
            return .slot(take(on: index))
        }
        guard sockets.count < maximumSockets else { return .exhausted }
        sockets.append(SocketState())
        return .slotOnNewSocket(take(on: sockets.count - 1))
    }

    /// Frees a slot. Freeing a slot that is not taken is a no-op (the request already finished).
    mutating func release(_ slot: RADIUSRequestSlot) {
        guard sockets.indices.contains(slot.socket), sockets[slot.socket].isUsed(slot.identifier) else { return }
        sockets[slot.socket].set(slot.identifier, false)
        sockets[slot.socket].count -= 1
    }

    func isPending(_ slot: RADIUSRequestSlot) -> Bool {
        sockets.indices.contains(slot.socket) && sockets[slot.socket].isUsed(slot.identifier)
    }

    private mutating func take(on index: Int) -> RADIUSRequestSlot {
        var identifier = sockets[index].next
        while sockets[index].isUsed(identifier) { identifier &+= 1 }
        sockets[index].set(identifier, true)
        sockets[index].count += 1
        sockets[index].next = identifier &+ 1
        return RADIUSRequestSlot(socket: index, identifier: identifier)
    }
}
