import NIOCore

/// The life of one upstream request: send to the first server, retransmit the identical packet
/// every `retryWait` up to `retries` times, then move to the next server; when every server stayed
/// silent, give up. Pure: the caller passes `now` and performs the returned action.
///
/// RFC 5080 §2.2.1: a retransmission is the same packet (same Identifier and Request
/// Authenticator), so the server's duplicate detection answers it from its cache instead of
/// authenticating twice.
struct RADIUSRetransmissionStateMachine: Sendable {
    private enum State: Sendable {
        case idle
        /// Waiting for a reply from `server`, after `transmissions` sends to it.
        case waiting(server: Int, transmissions: Int)
        case finished
    }

    enum Action: Equatable, Sendable {
        /// Send the request's packet to `server`, and call `timerFired` at `timeoutAt`.
        /// `retransmission` is false for the first send to each server.
        case send(server: Int, retransmission: Bool, timeoutAt: NIODeadline)
        /// Every server stayed silent; `transmissions[i]` packets went to server `i`.
        case giveUp(transmissions: [Int])
        /// Nothing to do (a stale timer, or the request is already finished).
        case none
    }

    let serverCount: Int
    let retries: Int
    let retryWait: TimeAmount
    private var state = State.idle
    private var transmissions: [Int]

    init(serverCount: Int, retries: Int, retryWait: TimeAmount) {
        precondition(serverCount >= 1 && retries >= 0)
        self.serverCount = serverCount
        self.retries = retries
        self.retryWait = retryWait
        self.transmissions = Array(repeating: 0, count: serverCount)
    }

    /// The server the request is waiting on, whose address alone may answer it.
    var currentServer: Int? {
        switch state {
        case .idle, .finished: nil
        case .waiting(let server, _): server
        }
    }

    var isFinished: Bool {
        switch state {
        case .finished: true
        case .idle, .waiting: false
        }
    }

    mutating func start(now: NIODeadline) -> Action {
        switch state {
        case .idle:
            return send(to: 0, transmissions: 1, now: now)
        case .waiting, .finished:
            return .none
        }
    }

    /// `retryWait` passed without an accepted reply.
    mutating func timerFired(now: NIODeadline) -> Action {
        switch state {
        case .idle, .finished:
            return .none
        case .waiting(let server, let sent):
            if sent <= retries {
                return send(to: server, transmissions: sent + 1, now: now)
            }
            if server + 1 < serverCount {
                return send(to: server + 1, transmissions: 1, now: now)
            }
            state = .finished
            return .giveUp(transmissions: transmissions)
        }
    }

    /// An authentic reply arrived; returns whether the request was waiting for one.
    mutating func replyAccepted() -> Bool {
        switch state {
        case .waiting:
            state = .finished
            return true
        case .idle, .finished:
            return false
        }
    }

    /// The request is abandoned (shutdown, cancellation, the socket could not open).
    mutating func cancel() {
        switch state {
        case .idle, .waiting, .finished:
            state = .finished
        }
    }

    private mutating func send(to server: Int, transmissions sent: Int, now: NIODeadline) -> Action {
        state = .waiting(server: server, transmissions: sent)
        transmissions[server] += 1
        return .send(server: server, retransmission: sent > 1, timeoutAt: now + retryWait)
    }
}
