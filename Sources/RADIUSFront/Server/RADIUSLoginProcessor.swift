import Crypto
import Foundation
import Policy
import RADIUSWire
import Synchronization

/// Turns an authentic Access-Request into a Policy call and the Decision into the reply: the
/// part of the RADIUS front between the gate and the socket.
public final class RADIUSLoginProcessor: Sendable {
    public let sections: [RADIUSServerSection]
    private let router: SectionRouter
    private let challenges: Mutex<ChallengeStates>
    private let pending = Mutex(PendingLogins<Waiter>())
    /// Keys the password digests of ``PendingLogins``; never leaves the process.
    private let passwordDigestKey = SymmetricKey(size: .bits256)
    private let clock: @Sendable () -> ContinuousClock.Instant
    /// Where a login that no section takes is recorded; a section's own logins go through its engine.
    private let events: any AuthEventSink
    private let hostname: String

    /// A login waiting on an identical one: resumed with its decision, or nil when that decision
    /// cannot be shared (a challenge: its State is single use) and the login must go on alone.
    private typealias Waiter = CheckedContinuation<Decision?, Never>

    public init(
        sections: [RADIUSServerSection], challenges: ChallengeStates = ChallengeStates(),
        events: any AuthEventSink = DiscardingAuthEventSink(), hostname: String = ProcessInfo.processInfo.hostName,
        clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.sections = sections
        self.events = events
        self.hostname = hostname
        self.router = SectionRouter(sections)
        self.challenges = Mutex(challenges)
        self.clock = clock
    }

    /// What happened, for the listener's log line.
    public struct Outcome: Sendable {
        public var reply: [UInt8]
        public var code: RADIUSCode
        /// Why the request was refused before Policy, if it was.
        public var refusal: String?
        /// True when the request joined an identical login in progress and got its decision.
        public var joined = false
        /// The section that decided, nil when none took the request.
        public var section: String?
    }

    /// A request read and routed, ready for its section's engine. A class: the async frame that
    /// waits for the decision holds a reference, not the request.
    private final class Started: Sendable {
        let section: Int
        let request: LoginRequest
        let binding: ChallengeStates.Binding
        /// The redeemed State of a challenge answer.
        let continuation: LoginContinuation?

        init(section: Int, request: LoginRequest, binding: ChallengeStates.Binding, continuation: LoginContinuation?) {
            self.section = section
            self.request = request
            self.binding = binding
            self.continuation = continuation
        }
    }

    /// The async part stays small: a login waiting on a push keeps this frame (and every frame
    /// under it) for as long as the user takes, so reading the request and building the reply
    /// are synchronous functions whose locals live on the thread's stack instead.
    public func process(_ login: RADIUSRequestGate.PendingLogin) async -> Outcome {
        let started: Started
        switch start(login) {
        case .ready(let ready): started = ready
        case .answered(let outcome): return outcome
        }
        let engine = sections[started.section].engine
        let decision: Decision
        var joined = false
        if let continuation = started.continuation {
            decision = await engine.resume(continuation, answer: started.request.password, request: started.request)
        } else {
            // A login without State may join an identical one in progress (``PendingLogins``).
            // Joined, led or alone, the engine is called from this frame, with no other above it.
            switch await join(started, login: login) {
            case .joined(let shared):
                (decision, joined) = (shared, true)
            case .alone:
                decision = await engine.authenticate(started.request)
            case .lead(let lead):
                decision = await engine.authenticate(started.request)
                finishLead(lead, decision)
            }
        }
        return finish(login, decision, started, joined: joined)
    }

    private enum Start {
        case ready(Started)
        /// Answered before the engine was asked (a refusal).
        case answered(Outcome)
    }

    @inline(never)
    private func start(_ login: RADIUSRequestGate.PendingLogin) -> Start {
        let packet = login.packet

        guard let nameAttribute = packet[.userName] else { return .answered(refuse(login, "the request has no User-Name")) }
        let parsed: LoginIdentity
        do {
            parsed = try LoginIdentity.parse(octets: nameAttribute.value)
        } catch {
            // SECURITY.md: refused before any lookup; the name itself is not logged.
            return .answered(refuse(login, "User-Name refused: \(error)"))
        }
        let sectionIndex: Int
        let identity: LoginIdentity
        switch router.route(parsed, packet, from: login.key.source) {
        case .section(let index, let routed):
            (sectionIndex, identity) = (index, routed)
        case .noRealm(let candidates):
            // Never handed to a section whose rules did not hold. The auth event names the
            // candidates, since no section (and no integration key) took the login.
            events.record(
                AuthEvent(
                    timestamp: Date().timeIntervalSince1970, message: "no realm matched", username: parsed.raw, stage: .primary,
                    status: .reject, clientIP: candidates.first.flatMap { name in
                        sections.first { $0.name == name }.flatMap { Self.clientAddress(packet, attribute: $0.clientIPAttribute) }
                    },
                    serverSection: candidates.joined(separator: ","), serverSectionIntegrationKey: "", factor: nil, hostname: hostname))
            return .answered(refuse(
                login, "no realm matched '\(parsed.raw)' (the match_* rules of \(candidates.map { "[\($0)]" }.joined(separator: ", ")) did not hold)",
                message: "Access denied: no realm matched this login"))
        }
        let section = sections[sectionIndex]
        if packet[.chapPassword] != nil {
            return .answered(refuse(
                login, "CHAP-Password: twofold needs the password itself (PAP) to check it and to read a factor from it"))
        }
        let passwords = packet.all(.userPassword)
        guard passwords.count == 1 else {
            return .answered(refuse(
                login, passwords.isEmpty ? "the request has no User-Password" : "the request has \(passwords.count) User-Password attributes"))
        }
        let password: Password
        do {
            password = Password(try RADIUSUserPassword.unhide(passwords[0].value, secret: login.secret, authenticator: packet.authenticator))
        } catch {
            return .answered(refuse(login, "\(error)"))
        }

        let request = LoginRequest(
            identity: identity, password: password, clientAddress: Self.clientAddress(packet, attribute: section.clientIPAttribute),
            context: .radius(forwardedAttributes: packet.attributes.filter { !RADIUSAttributeType.notForwardedUpstream.contains($0.type) }))
        let binding = ChallengeStates.Binding(client: login.key.source, username: identity.raw, section: section.name)
        var continuation: LoginContinuation?
        if let state = packet[.state] {
            let now = clock()
            switch challenges.withLock({ $0.redeem(state.value, by: binding, now: now) }) {
            case .success(let redeemed):
                continuation = redeemed
            case .failure(let refusal):
                return .answered(refuse(login, "challenge answer refused: \(refusal)", message: "This login expired; please start again"))
            }
        }
        return .ready(Started(section: sectionIndex, request: request, binding: binding, continuation: continuation))
    }

    @inline(never)
    private func finish(_ login: RADIUSRequestGate.PendingLogin, _ decision: Decision, _ started: Started, joined: Bool) -> Outcome {
        var outcome = reply(to: login, decision, binding: started.binding)
        outcome.joined = joined
        outcome.section = sections[started.section].name
        return outcome
    }

    /// Logins waiting on an identical one's decision (``PendingLogins``), for metrics and tests.
    public var loginsWaitingOnAnother: Int { pending.withLock { $0.followers } }

    /// How a login without State goes on: with the decision of an identical login it joined, as
    /// the lead of the logins that join it, or alone.
    private enum Joining {
        case joined(Decision)
        case lead(Lead)
        case alone
    }

    /// The login others may join. A class: the frame that waits for the engine holds a reference.
    private final class Lead: Sendable {
        let key: PendingLogins<Waiter>.Key
        let leader: UInt64

        init(key: PendingLogins<Waiter>.Key, leader: UInt64) {
            self.key = key
            self.leader = leader
        }
    }

    /// Joins an identical login in progress (and waits for its decision), or takes the lead, when
    /// the section allows it. Only a login with the user's address can join or be joined.
    @inline(never)
    private func join(_ started: Started, login: RADIUSRequestGate.PendingLogin) async -> Joining {
        guard let (key, window) = pendingKey(started.request, section: started.section, login: login) else { return .alone }
        let now = clock()
        var role = PendingLogins<Waiter>.Begin.alone
        let shared: Decision? = await withCheckedContinuation { continuation in
            role = pending.withLock { $0.begin(key, waiter: continuation, window: window, now: now) }
            if role != .joined { continuation.resume(returning: nil) }
        }
        switch role {
        case .joined: return shared.map { .joined($0) } ?? .alone
        case .lead(let leader): return .lead(Lead(key: key, leader: leader))
        case .alone: return .alone
        }
    }

    /// Hands the leader's decision to the logins that joined it (a challenge is not shared: its
    /// State is single use, so they go on alone).
    @inline(never)
    private func finishLead(_ lead: Lead, _ decision: Decision) {
        let share: Decision? = if case .challenge = decision { nil } else { decision }
        for waiter in pending.withLock({ $0.finish(lead.key, leader: lead.leader) }) { waiter.resume(returning: share) }
    }

    /// What identifies a login others may join, and the section's window; nil when the section does
    /// not join logins or the login has no user address.
    @inline(never)
    private func pendingKey(
        _ request: LoginRequest, section sectionIndex: Int, login: RADIUSRequestGate.PendingLogin
    ) -> (PendingLogins<Waiter>.Key, Duration)? {
        let window = sections[sectionIndex].joinPendingWindow
        guard window > .zero, let userAddress = request.clientAddress else { return nil }
        let digest = HMAC<SHA256>.authenticationCode(for: request.password.bytes, using: passwordDigestKey)
        let key = PendingLogins<Waiter>.Key(
            // The name as sent, not normalised: a primary may tell `Alice` from `alice`, and a name
            // it would refuse must not ride on another's accept.
            section: sectionIndex, device: login.key.source, userAddress: userAddress, user: request.identity.raw,
            passwordDigest: Array(digest))
        return (key, window)
    }

    /// The user's address from `client_ip_attr`, when it holds an IP address (Duo's `ipaddr`
    /// takes nothing else; a MAC in Calling-Station-Id is left out).
    @inline(never)
    public static func clientAddress(_ packet: RADIUSPacket, attribute: RADIUSAttributeType) -> String? {
        guard let value = packet[attribute] else { return nil }
        if let text = value.text, let address = IPAddress(text.trimmingCharacters(in: .whitespaces)) { return address.description }
        if value.value.count == 4, let integer = value.integer { return IPAddress(v4: integer).description }
        return nil
    }

    @inline(never)
    private func reply(to login: RADIUSRequestGate.PendingLogin, _ decision: Decision, binding: ChallengeStates.Binding) -> Outcome {
        let code: RADIUSCode
        var attributes: [RADIUSAttribute]
        switch decision {
        case .accept(let accept):
            code = .accessAccept
            attributes = accept.attributes.filter { $0.type != .replyMessage }
            if !accept.message.isEmpty { attributes += RADIUSAttribute.replyMessages(accept.message) }
        case .reject(let reject):
            code = .accessReject
            attributes = reject.attributes.filter { $0.type != .replyMessage }
            if !reject.message.isEmpty { attributes += RADIUSAttribute.replyMessages(reject.message) }
        case .challenge(let challenge):
            let now = clock()
            guard let token = challenges.withLock({ $0.issue(challenge.continuation, to: binding, now: now) }) else {
                return refuse(login, "the table of pending challenges is full", message: "The server is busy; try again shortly")
            }
            code = .accessChallenge
            attributes = challenge.attributes.filter { $0.type != .replyMessage && $0.type != .state }
            attributes += RADIUSAttribute.replyMessages(challenge.prompt)
            attributes.append(RADIUSAttribute(.state, token))
        }
        return encode(login, code, attributes, refusal: nil)
    }

    @inline(never)
    private func refuse(_ login: RADIUSRequestGate.PendingLogin, _ reason: String, message: String = "Access denied") -> Outcome {
        encode(login, .accessReject, RADIUSAttribute.replyMessages(message), refusal: reason)
    }

    private func encode(_ login: RADIUSRequestGate.PendingLogin, _ code: RADIUSCode, _ attributes: [RADIUSAttribute], refusal: String?) -> Outcome {
        let packet = RADIUSPacket.response(code, to: login.packet, attributes: attributes)
        if let bytes = try? packet.encodeResponse(to: login.packet.authenticator, secret: login.secret) {
            return Outcome(reply: bytes, code: code, refusal: refusal)
        }
        // Too long for one packet (pass-through attributes of an upstream): refuse rather than
        // send a truncated authorization.
        let fallback = RADIUSPacket.response(.accessReject, to: login.packet, attributes: RADIUSAttribute.replyMessages("Access denied"))
        let bytes = (try? fallback.encodeResponse(to: login.packet.authenticator, secret: login.secret)) ?? []
        return Outcome(reply: bytes, code: .accessReject, refusal: "the \(code) would exceed 4096 octets; sent Access-Reject")
    }
}
