import RADIUSWire

/// Everything the RADIUS front decides about a datagram before any login work: which client and
/// section it is from, whether it is well-formed and authentic, whether it is a retransmit, and
/// whether there is room for it. Pure and synchronous: the listener performs the actions.
///
/// The checks run in SECURITY.md's order, cheapest and least trusting first; nothing touches the
/// duplicate cache before the packet proved it knows the client's secret.
public struct RADIUSRequestGate: Sendable {
    /// What to do with a datagram.
    public enum Action: Sendable {
        /// Discard it silently (UDP); the reason is for the (rate-limited) log.
        case drop(DropReason)
        /// A retransmit of an answered request: send these bytes again.
        case resend([UInt8])
        /// Answer at once (Status-Server, RFC 5997).
        case reply([UInt8])
        /// A new Access-Request to decide; call ``complete(_:reply:now:)`` or ``abandon(_:)`` after.
        case login(PendingLogin)
    }

    public struct DropReason: Hashable, Sendable, CustomStringConvertible {
        public enum Kind: String, Hashable, Sendable, CaseIterable {
            case unknownClient = "unknown client"
            case malformed = "malformed packet"
            case notARequest = "not a request this server takes"
            case missingMessageAuthenticator = "Message-Authenticator missing"
            case invalidMessageAuthenticator = "Message-Authenticator wrong"
            case proxyStateWithoutMessageAuthenticator = "Proxy-State without Message-Authenticator"
            case inFlight = "retransmit of a request in progress"
            case busy = "too many requests in progress"
            case shuttingDown = "shutting down"

            /// The kind as a metric label: `unknown_client`, `message_authenticator_missing`, ...
            public var label: String {
                switch self {
                case .unknownClient: "unknown_client"
                case .malformed: "malformed"
                case .notARequest: "not_a_request"
                case .missingMessageAuthenticator: "message_authenticator_missing"
                case .invalidMessageAuthenticator: "message_authenticator_wrong"
                case .proxyStateWithoutMessageAuthenticator: "proxy_state_without_message_authenticator"
                case .inFlight: "retransmit_in_progress"
                case .busy: "busy"
                case .shuttingDown: "shutting_down"
                }
            }
        }

        public var kind: Kind
        public var detail: String

        public var description: String { detail.isEmpty ? kind.rawValue : "\(kind.rawValue): \(detail)" }
    }

    /// A request that passed every check.
    public struct PendingLogin: Sendable {
        public var key: DuplicateCache.Key
        /// The section whose client entry gave the secret (the most specific network). The
        /// section that decides is chosen later, by ``SectionRouter``, once the name is read.
        public var sectionIndex: Int
        public var secret: [UInt8]
        public var packet: RADIUSPacket
    }

    /// Work bounds: logins in progress in all, and from one client address. A pending push is a
    /// task and a few kilobytes; a VPN concentrator is one client address for all its users, so the
    /// per-client bound must hold a morning rush of pushes (10,000 pending was measured).
    public struct Limits: Sendable, Hashable {
        public var inFlight: Int
        public var inFlightPerClient: Int

        public init(inFlight: Int = 16_384, inFlightPerClient: Int = 12_288) {
            self.inFlight = inFlight
            self.inFlightPerClient = inFlightPerClient
        }
    }

    private struct ClientEntry {
        var network: ClientNetwork
        var secret: [UInt8]
        var sectionIndex: Int
        var requireMessageAuthenticator: Bool
    }

    private let clients: [ClientEntry]
    private let limits: Limits
    private var duplicates: DuplicateCache
    private var inFlightByClient: [IPAddress: Int] = [:]
    private var inFlight = 0
    /// False once shutdown began: new logins are dropped (the device retries another server),
    /// retransmits of answered ones are still served.
    public var accepting = true

    public init(sections: [RADIUSServerSection], limits: Limits = Limits(), duplicates: DuplicateCache = DuplicateCache()) {
        var clients: [ClientEntry] = []
        for (index, section) in sections.enumerated() {
            for client in section.clients {
                clients.append(ClientEntry(
                    network: client.network, secret: client.secret, sectionIndex: index,
                    requireMessageAuthenticator: section.requireMessageAuthenticator))
            }
        }
        self.clients = clients
        self.limits = limits
        self.duplicates = duplicates
    }

    /// The client entry for a source address: the smallest network that contains it; among equal
    /// ones, the first in the file.
    private func client(for source: IPAddress) -> ClientEntry? {
        var best: ClientEntry?
        for entry in clients where entry.network.contains(source) {
            if best == nil || entry.network.span < best!.network.span { best = entry }
        }
        return best
    }

    /// Datagrams dropped so far, by kind (for metrics and tests).
    public private(set) var dropped: [DropReason.Kind: Int] = [:]

    public mutating func receive(_ datagram: [UInt8], from source: IPAddress, port: Int, now: ContinuousClock.Instant) -> Action {
        let action = decide(datagram, from: source, port: port, now: now)
        if case .drop(let reason) = action { dropped[reason.kind, default: 0] += 1 }
        return action
    }

    private mutating func decide(_ datagram: [UInt8], from source: IPAddress, port: Int, now: ContinuousClock.Instant) -> Action {
        guard let client = client(for: source) else {
            return .drop(DropReason(kind: .unknownClient, detail: "\(source) is in no radius_ip_N"))
        }
        let packet: RADIUSPacket
        do {
            packet = try RADIUSPacket(decoding: datagram)
        } catch {
            return .drop(DropReason(kind: .malformed, detail: "\(error)"))
        }
        guard packet.code == .accessRequest || packet.code == .statusServer else {
            return .drop(DropReason(kind: .notARequest, detail: "code \(packet.code)"))
        }

        let check: RADIUSMessageAuthenticatorCheck
        do {
            check = try RADIUSPacket.checkMessageAuthenticator(in: datagram, secret: client.secret)
        } catch {
            return .drop(DropReason(kind: .malformed, detail: "\(error)"))
        }
        switch check {
        case .valid:
            break
        case .invalid:
            return .drop(DropReason(kind: .invalidMessageAuthenticator, detail: "check the shared secret for \(source)"))
        case .absent:
            // RFC 5997 §3: Status-Server MUST carry Message-Authenticator.
            if client.requireMessageAuthenticator || packet.code == .statusServer {
                return .drop(DropReason(kind: .missingMessageAuthenticator, detail: "from \(source)"))
            }
            if packet.count(of: .proxyState) > 0 {
                return .drop(DropReason(kind: .proxyStateWithoutMessageAuthenticator, detail: "from \(source)"))
            }
        }

        if packet.code == .statusServer {
            // RFC 5997 §3: answered with an Access-Accept, never forwarded, never cached.
            let reply = RADIUSPacket.response(.accessAccept, to: packet, attributes: RADIUSAttribute.replyMessages("twofold is up"))
            guard let bytes = try? reply.encodeResponse(to: packet.authenticator, secret: client.secret) else {
                return .drop(DropReason(kind: .malformed, detail: "Status-Server reply could not be encoded"))
            }
            return .reply(bytes)
        }

        let key = DuplicateCache.Key(source: source, port: port, identifier: packet.identifier, authenticator: packet.authenticator.bytes)
        if !accepting {
            if case .answered(let bytes) = duplicates.lookupExisting(key, now: now) { return .resend(bytes) }
            return .drop(DropReason(kind: .shuttingDown, detail: "ID \(packet.identifier) from \(source):\(port)"))
        }
        if inFlight >= limits.inFlight {
            if case .answered(let bytes) = duplicates.lookupExisting(key, now: now) { return .resend(bytes) }
            return .drop(DropReason(kind: .busy, detail: "\(inFlight) logins in progress (limit \(limits.inFlight))"))
        }
        if inFlightByClient[source, default: 0] >= limits.inFlightPerClient {
            if case .answered(let bytes) = duplicates.lookupExisting(key, now: now) { return .resend(bytes) }
            return .drop(DropReason(kind: .busy, detail: "\(source) has \(limits.inFlightPerClient) logins in progress (the per-client limit)"))
        }
        switch duplicates.lookup(key, now: now) {
        case .inFlight:
            return .drop(DropReason(kind: .inFlight, detail: "ID \(packet.identifier) from \(source):\(port)"))
        case .answered(let bytes):
            return .resend(bytes)
        case .full:
            return .drop(DropReason(kind: .busy, detail: "the duplicate cache is full"))
        case .new:
            inFlight += 1
            inFlightByClient[source, default: 0] += 1
            return .login(PendingLogin(key: key, sectionIndex: client.sectionIndex, secret: client.secret, packet: packet))
        }
    }

    /// The login was answered: keep the reply for retransmits.
    public mutating func complete(_ key: DuplicateCache.Key, reply: [UInt8], now: ContinuousClock.Instant) {
        finished(key)
        duplicates.complete(key, reply: reply, now: now)
    }

    /// The login ended without a reply.
    public mutating func abandon(_ key: DuplicateCache.Key) {
        finished(key)
        duplicates.abandon(key)
    }

    private mutating func finished(_ key: DuplicateCache.Key) {
        inFlight -= 1
        let remaining = inFlightByClient[key.source, default: 1] - 1
        inFlightByClient[key.source] = remaining > 0 ? remaining : nil
    }

    public var loginsInFlight: Int { inFlight }
}
