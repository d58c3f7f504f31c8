import LDAPWire
import Policy

/// What the client asks one LDAP connection to do.
public enum LDAPClientOperation: Sendable, CustomStringConvertible {
    /// A simple bind (RFC 4511 §4.2). The password is a ``Password``, so it never prints.
    case bind(name: String, password: Password)
    /// A search; at most `maximumEntries` entries are kept, the rest only counted, so a server that
    /// ignores the size limit cannot make the client buffer a whole directory.
    case search(LDAPMessage.SearchRequest, maximumEntries: Int)
    /// The StartTLS extended operation (RFC 4511 §4.14); answered once the TLS handshake completed.
    case startTLS
    /// UnbindRequest (RFC 4511 §4.3): no response; the connection is closed after it.
    case unbind
    /// Any other request of a proxied client (`[ldap_server_auto]`), sent as it came with its
    /// controls; every response to it is collected until the final one, within `limits`.
    case relay(LDAPMessage.ProtocolOp, controls: [LDAPControl], limits: LDAPRelayLimits)

    /// The step's name in diagnostics.
    public var description: String {
        switch self {
        case .bind(let name, _): return "bind as \(name.isEmpty ? "anonymous" : name)"
        case .search(let request, _): return "search under \(request.baseObject) for \(request.filter)"
        case .startTLS: return "StartTLS"
        case .unbind: return "unbind"
        case .relay(let op, _, _): return "relayed \(op.kind)"
        }
    }
}

/// How much of the answer to one relayed request is kept. SearchResultEntry, SearchResultReference
/// and IntermediateResponse messages beyond either bound are dropped and the search's result
/// becomes sizeLimitExceeded, so a directory that ignores the client's size limit cannot make the
/// proxy buffer a whole directory.
public struct LDAPRelayLimits: Sendable, Hashable {
    public var maximumResponses: Int
    /// The encoded size of the kept responses, summed.
    public var maximumBytes: Int

    public init(maximumResponses: Int = 10_000, maximumBytes: Int = 16 << 20) {
        self.maximumResponses = maximumResponses
        self.maximumBytes = maximumBytes
    }
}

/// What a search returned: the first entries (up to the requested maximum), how many there were
/// in all, the references (never followed), and the SearchResultDone.
public struct LDAPSearchOutcome: Sendable, Hashable {
    public var entries: [LDAPMessage.SearchResultEntry]
    /// Every SearchResultEntry received, including those not kept.
    public var entryCount: Int
    /// How many SearchResultReference messages arrived (RFC 4511 §4.5.3); they are never chased.
    public var referenceCount: Int
    /// The first few referral URIs, for diagnostics.
    public var referenceURIs: [String]
    public var result: LDAPResult
}

/// A response to one ``LDAPClientOperation``.
public enum LDAPClientResponse: Sendable, Hashable {
    case bind(LDAPResult)
    case search(LDAPSearchOutcome)
    /// The StartTLS response was success and the TLS handshake that followed completed.
    case startedTLS
    /// The UnbindRequest was written.
    case unbound
    /// The responses to a relayed request, in the order they came, the final one last (their
    /// messageIDs are this connection's; the caller answers under its own).
    case relayed([LDAPMessage])
}

/// The client side of one LDAP connection, without I/O: message IDs, which request each response
/// belongs to, search results collected under a cap, StartTLS, and a sticky closed state.
///
/// The handler feeds it events (an operation to send, a decoded message, a completed handshake, a
/// timeout, an error, the channel closing) and performs the ``Action`` it returns.
struct LDAPClientStateMachine {
    /// What a sent request waits for.
    private enum Pending {
        case bind
        case search(SearchCollector)
        /// Waiting for the ExtendedResponse to StartTLS.
        case startTLS
        /// StartTLS was accepted; waiting for the handshake to complete.
        case startTLSHandshake
        /// A relayed request: the responses so far, and which kind ends it.
        case relay(RelayCollector)

        var step: String {
            switch self {
            case .bind: return "bind"
            case .search: return "search"
            case .startTLS, .startTLSHandshake: return "StartTLS"
            case .relay(let collector): return "relayed \(collector.request)"
            }
        }
    }

    private struct SearchCollector {
        var maximumEntries: Int
        var entries: [LDAPMessage.SearchResultEntry] = []
        var entryCount = 0
        var referenceCount = 0
        var referenceURIs: [String] = []

        /// Referral URIs kept for diagnostics; the rest are counted only.
        static let maximumReferenceURIs = 4
    }

    private struct RelayCollector {
        var request: LDAPOperationKind
        var limits: LDAPRelayLimits
        var responses: [LDAPMessage] = []
        var keptBytes = 0
        /// Some responses were dropped for `limits`.
        var truncated = false

        /// Whether `op` may come before the final response of `request`.
        func isIntermediate(_ op: LDAPMessage.ProtocolOp) -> Bool {
            switch op {
            case .searchResultEntry, .searchResultReference: return request == .searchRequest
            case .intermediateResponse: return true
            default: return false
            }
        }
    }

    private enum TLSState {
        case none
        /// The TLS handler is in the pipeline and handshaking; LDAPS from the start, or after StartTLS.
        case handshaking
        case established
    }

    private enum State {
        case active
        /// Sticky: every later operation fails with the error that closed the connection.
        case closed(LDAPClientError)
    }

    enum Action: Equatable {
        case none
        /// Encode and write `message`; when `expectsResponse`, register the operation's promise
        /// under `messageID` and start its deadline.
        case write(LDAPMessage, expectsResponse: Bool)
        /// Fail the operation that was being sent; nothing was written.
        case failOperation(LDAPClientError)
        case succeed(messageID: Int32, LDAPClientResponse)
        /// StartTLS was accepted: insert the TLS handler at the front of the pipeline, unless bytes
        /// that arrived in the clear are still buffered (then report ``unencryptedBytesAfterStartTLS()``).
        case insertTLSHandler(messageID: Int32)
        /// The handshake completed; answer the StartTLS operation if there was one.
        case tlsEstablished(startTLSMessageID: Int32?)
        /// Fail these operations (and any wait for the TLS handshake), and close the channel if asked.
        case failAll(messageIDs: [Int32], LDAPClientError, closeChannel: Bool)
    }

    /// `host:port`, for diagnostics.
    let endpoint: String
    private var state: State = .active
    private var tls: TLSState
    private var pending: [Int32: Pending] = [:]
    private var nextMessageID: Int32 = 1
    /// An UnbindRequest was sent: the client closes the connection next.
    private var isUnbound = false

    /// - Parameter tlsFromStart: LDAPS: the TLS handler is in the pipeline before the first byte.
    init(endpoint: String, tlsFromStart: Bool) {
        self.endpoint = endpoint
        self.tls = tlsFromStart ? .handshaking : .none
    }

    var isClosed: Bool {
        switch state {
        case .active: return false
        case .closed: return true
        }
    }

    /// Whether the TLS handshake has completed on this connection.
    var isTLSEstablished: Bool {
        switch tls {
        case .established: return true
        case .none, .handshaking: return false
        }
    }

    // MARK: Events

    /// The caller sends an operation. Returns the messageID it was given and what to do.
    mutating func send(_ operation: LDAPClientOperation) -> (messageID: Int32, action: Action) {
        switch state {
        case .closed(let error):
            return (0, .failOperation(error))
        case .active:
            break
        }
        guard !isUnbound else {
            return (0, .failOperation(.connectionClosed(endpoint, "after unbind: \(operation) was not sent")))
        }
        // RFC 4511 §4.14.1: "the client MUST NOT send any PDUs on this LDAP message layer following
        // this request until it receives a StartTLS extended response and, in the case of a
        // successful response, completes TLS establishment".
        if pending.values.contains(where: { if case .startTLS = $0 { true } else if case .startTLSHandshake = $0 { true } else { false } }) {
            return (0, .failOperation(.protocolViolation(endpoint, "\(operation) sent while StartTLS is in progress")))
        }
        let messageID = allocateMessageID()
        switch operation {
        case .bind(let name, let password):
            pending[messageID] = .bind
            let message = LDAPMessage(messageID: messageID, protocolOp: .bindRequest(.simple(name: name, password: password.bytes)))
            return (messageID, .write(message, expectsResponse: true))
        case .search(let request, let maximumEntries):
            pending[messageID] = .search(SearchCollector(maximumEntries: max(0, maximumEntries)))
            return (messageID, .write(LDAPMessage(messageID: messageID, protocolOp: .searchRequest(request)), expectsResponse: true))
        case .startTLS:
            switch tls {
            case .none:
                break
            case .handshaking, .established:
                // RFC 4511 §4.14.2: StartTLS on a TLS-protected connection is an operationsError;
                // do not even ask.
                return (0, .failOperation(.protocolViolation(endpoint, "StartTLS requested on a connection that already uses TLS")))
            }
            pending[messageID] = .startTLS
            return (messageID, .write(LDAPMessage(messageID: messageID, protocolOp: .extendedRequest(.startTLS)), expectsResponse: true))
        case .relay(let op, let controls, let limits):
            guard op.kind.responseKind != nil else {
                return (0, .failOperation(.protocolViolation(endpoint, "\(op.kind) cannot be relayed")))
            }
            pending[messageID] = .relay(RelayCollector(request: op.kind, limits: limits))
            return (messageID, .write(LDAPMessage(messageID: messageID, protocolOp: op, controls: controls), expectsResponse: true))
        case .unbind:
            // Nothing may follow an unbind; operations still pending are failed when the channel
            // closes (`channelInactive`), so none waits for an answer that cannot come.
            isUnbound = true
            return (messageID, .write(LDAPMessage(messageID: messageID, protocolOp: .unbindRequest), expectsResponse: false))
        }
    }

    /// A decoded message arrived; `size` is its encoded size (for the limits of relayed requests).
    mutating func received(_ message: LDAPMessage, size: Int = 0) -> Action {
        switch state {
        case .closed:
            return .none
        case .active:
            break
        }
        if message.messageID == 0 {
            // RFC 4511 §4.4: unsolicited notifications; the only one defined closes the session.
            guard case .extendedResponse(let response) = message.protocolOp else {
                return fail(.protocolViolation(endpoint, "\(message.protocolOp.kind) with messageID 0"))
            }
            if response.responseName == LDAPOID.noticeOfDisconnection {
                return fail(.connectionClosed(
                    endpoint, "by the server's Notice of Disconnection: \(response.result.resultCode) \(response.result.diagnosticMessage)"))
            }
            return .none
        }
        guard let waiting = pending[message.messageID] else {
            return fail(.protocolViolation(endpoint, "\(message.protocolOp.kind) for messageID \(message.messageID), which is not outstanding"))
        }
        switch (waiting, message.protocolOp) {
        case (.bind, .bindResponse(let response)):
            pending[message.messageID] = nil
            return .succeed(messageID: message.messageID, .bind(response.result))

        case (.search(var collector), .searchResultEntry(let entry)):
            collector.entryCount += 1
            if collector.entries.count < collector.maximumEntries { collector.entries.append(entry) }
            pending[message.messageID] = .search(collector)
            return .none

        case (.search(var collector), .searchResultReference(let reference)):
            collector.referenceCount += 1
            for uri in reference.uris where collector.referenceURIs.count < SearchCollector.maximumReferenceURIs {
                collector.referenceURIs.append(uri)
            }
            pending[message.messageID] = .search(collector)
            return .none

        case (.search(let collector), .searchResultDone(let result)):
            pending[message.messageID] = nil
            return .succeed(
                messageID: message.messageID,
                .search(LDAPSearchOutcome(
                    entries: collector.entries, entryCount: collector.entryCount,
                    referenceCount: collector.referenceCount, referenceURIs: collector.referenceURIs, result: result)))

        case (.startTLS, .extendedResponse(let response)):
            guard response.result.resultCode == .success else {
                return fail(.tlsFailed(
                    endpoint, "the server refused StartTLS: \(response.result.resultCode) \(response.result.diagnosticMessage)"))
            }
            pending[message.messageID] = .startTLSHandshake
            tls = .handshaking
            return .insertTLSHandler(messageID: message.messageID)

        case (.relay(var collector), let op) where collector.isIntermediate(op):
            if !collector.truncated, collector.responses.count < collector.limits.maximumResponses,
                collector.keptBytes + size <= collector.limits.maximumBytes
            {
                collector.responses.append(message)
                collector.keptBytes += size
            } else {
                collector.truncated = true
            }
            pending[message.messageID] = .relay(collector)
            return .none

        case (.relay(let collector), let op) where op.kind == collector.request.responseKind:
            pending[message.messageID] = nil
            var final = message
            if collector.truncated, case .searchResultDone(var result) = op, result.resultCode == .success {
                result.resultCode = .sizeLimitExceeded
                result.diagnosticMessage = "the proxy relays at most \(collector.limits.maximumResponses) entries and references (\(collector.limits.maximumBytes) bytes) per search"
                final.protocolOp = .searchResultDone(result)
            }
            return .succeed(messageID: message.messageID, .relayed(collector.responses + [final]))

        case (.startTLSHandshake, _):
            // RFC 4511 §4.14.2: nothing may follow the StartTLS response before TLS is established.
            return fail(.protocolViolation(endpoint, "\(message.protocolOp.kind) in the clear after the StartTLS response"))

        case (.bind, _), (.search, _), (.startTLS, _), (.relay, _):
            return fail(.protocolViolation(
                endpoint, "\(message.protocolOp.kind) for messageID \(message.messageID), which waits for a \(waiting.step) response"))
        }
    }

    /// Bytes were still buffered after the StartTLS response: they arrived in the clear and must not
    /// be taken as protected (SECURITY.md; postgres-nio refuses the same).
    mutating func unencryptedBytesAfterStartTLS() -> Action {
        fail(.protocolViolation(endpoint, "bytes arrived in the clear after the StartTLS response"))
    }

    /// The TLS handshake completed.
    mutating func tlsHandshakeCompleted() -> Action {
        switch state {
        case .closed: return .none
        case .active: break
        }
        switch tls {
        case .none, .established:
            return .none
        case .handshaking:
            tls = .established
            let startTLS = pending.first { if case .startTLSHandshake = $0.value { true } else { false } }?.key
            if let startTLS { pending[startTLS] = nil }
            return .tlsEstablished(startTLSMessageID: startTLS)
        }
    }

    /// The frame decoder or the message decoder refused what the server sent.
    mutating func decodingFailed(_ diagnostic: String) -> Action {
        fail(.protocolViolation(endpoint, diagnostic))
    }

    /// The deadline of operation `messageID` passed. A response may still be on its way, so the
    /// connection cannot be trusted to pair later responses correctly: it is closed.
    mutating func timedOut(messageID: Int32, after timeout: Duration) -> Action {
        guard case .active = state, let waiting = pending[messageID] else { return .none }
        return fail(.timedOut(endpoint, waiting.step, after: timeout))
    }

    /// The pipeline reported an error (a TLS alert, a certificate the verifier refused, a reset).
    mutating func errorCaught(_ description: String, isTLSError: Bool) -> Action {
        switch state {
        case .closed: return .none
        case .active: break
        }
        let handshaking: Bool
        switch tls {
        case .handshaking: handshaking = true
        case .none, .established: handshaking = false
        }
        if isTLSError || handshaking {
            return fail(.tlsFailed(endpoint, description))
        }
        return fail(.connectionClosed(endpoint, "after an error: \(description)"))
    }

    /// The channel became inactive.
    mutating func channelInactive() -> Action {
        switch state {
        case .closed:
            return .none
        case .active:
            let error: LDAPClientError
            switch tls {
            case .handshaking: error = .tlsFailed(endpoint, "the server closed the connection during the TLS handshake")
            case .none, .established: error = .connectionClosed(endpoint, "by the server")
            }
            let ids = Array(pending.keys).sorted()
            pending = [:]
            state = .closed(error)
            return .failAll(messageIDs: ids, error, closeChannel: false)
        }
    }

    // MARK: Helpers

    private mutating func fail(_ error: LDAPClientError) -> Action {
        let ids = Array(pending.keys).sorted()
        pending = [:]
        state = .closed(error)
        return .failAll(messageIDs: ids, error, closeChannel: true)
    }

    /// IDs count up from 1 and wrap before 2^31 - 1 (RFC 4511 §4.1.1.1: 0 is reserved).
    private mutating func allocateMessageID() -> Int32 {
        let id = nextMessageID
        nextMessageID = id == Int32.max ? 1 : id + 1
        return id
    }
}
