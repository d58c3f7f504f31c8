import DuoAPI
import Foundation
import Logging
import Metrics
import RADIUSWire

/// Decides logins for one server section: limits -> primary -> exemptions -> Duo preauth ->
/// factor -> Duo auth -> ``Decision``, with failmode applied to Duo's own failures.
///
/// It reaches the outside only through ``PrimaryAuthenticator`` and ``SecondFactor``, writes one
/// log line per decided login (plus a warning for every fail-open) and one auth event per stage.
///
/// Memory: a login waiting for a push keeps its task's deepest stack for as long as the user
/// takes (the task allocator keeps its high-water mark), 10,000 of them at once. So the async
/// steps are `@inline(never)` (one frame each, not a copy per call site) and the synchronous
/// ones too (their locals stay on the thread's stack, out of the async frames); each async step
/// returns what comes next (``Step``) rather than calling it, so that only ``run`` and the step
/// that waits are on the stack. A class, so that the fronts' frames hold a reference to it rather
/// than a copy. The frame sizes are in the binary: `scripts/async-frames` lists them.
public final class PolicyEngine: Sendable {
    public let section: SectionPolicy
    public let primary: any PrimaryAuthenticator
    public let duo: any SecondFactor
    public let limiter: LoginLimiter
    let events: any AuthEventSink
    let logger: Logger
    let hostname: String
    let clock: PolicyClock
    let counters: Counters
    /// Duo Web responses this section accepted: each opens one login.
    let usedWebResponses: UsedWebResponses

    /// `twofold_logins_total{section, result}` and `twofold_failmode_open_total{section}`, made
    /// once per section so that a login only increments.
    struct Counters: Sendable {
        let accepted: Counter
        let rejected: Counter
        let challenged: Counter
        let failOpen: Counter

        init(section: String, factory: any MetricsFactory) {
            func logins(_ result: String) -> Counter {
                Counter(label: "twofold_logins_total", dimensions: [("section", section), ("result", result)], factory: factory)
            }
            accepted = logins("accept")
            rejected = logins("reject")
            challenged = logins("challenge")
            failOpen = Counter(label: "twofold_failmode_open_total", dimensions: [("section", section)], factory: factory)
        }
    }

    public init(
        section: SectionPolicy,
        primary: any PrimaryAuthenticator,
        duo: any SecondFactor,
        limiter: LoginLimiter? = nil,
        events: any AuthEventSink = DiscardingAuthEventSink(),
        logger: Logger = Logger(label: "twofold.policy"),
        hostname: String = ProcessInfo.processInfo.hostName,
        clock: PolicyClock = PolicyClock(monotonic: { .now }, wall: { Date().timeIntervalSince1970 }),
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.section = section
        self.primary = primary
        self.duo = duo
        self.limiter = limiter ?? LoginLimiter(section.limits)
        self.events = events
        self.logger = logger
        self.hostname = hostname
        self.clock = clock
        self.counters = Counters(section: section.name, factory: metricsFactory)
        self.usedWebResponses = UsedWebResponses()
    }

    private init(_ engine: PolicyEngine, primary: any PrimaryAuthenticator) {
        section = engine.section
        self.primary = primary
        duo = engine.duo
        limiter = engine.limiter
        events = engine.events
        logger = engine.logger
        hostname = engine.hostname
        clock = engine.clock
        counters = engine.counters
        usedWebResponses = engine.usedWebResponses
    }

    /// The same engine (section, Duo client, limits, events, counters) with another primary: for
    /// `[ldap_server_auto]`, whose primary is the bind relayed on the client's own directory
    /// connection, so a new one per bind.
    public func replacingPrimary(_ primary: any PrimaryAuthenticator) -> PolicyEngine {
        PolicyEngine(self, primary: primary)
    }

    // MARK: - A new login

    /// Decides a login from its first request.
    public func authenticate(_ request: LoginRequest) async -> Decision {
        await run(from: await firstStep(request), request)
    }

    /// Continues a login whose challenge the user answered. The front has already checked that
    /// the sealed continuation is authentic, unexpired, unused and bound to this client, user and
    /// section; the user name is checked again here.
    public func resume(_ continuation: LoginContinuation, answer: Password, request: LoginRequest) async -> Decision {
        await run(from: await resumeStep(continuation, answer: answer, request: request), request)
    }

    /// What a login does next. Each async step returns this instead of calling the next step, so
    /// that its frame is gone before the next wait: a login waiting for a push holds ``run`` and
    /// ``auth`` (and the Duo client's frames), not every step that led there.
    private enum Step {
        case decided(Decision)
        /// Duo preauth for a user whose primary accepted (or a duo-only section), then a factor:
        /// the one given with the password, or the section's.
        case secondFactor(PrimaryAccept, factor: FactorAnswer?)
        case auth(AuthCall)
    }

    /// What follows Duo's preauth answer.
    private enum AfterPreauth {
        case decided(Decision)
        case auth(AuthCall)
    }

    /// The Duo auth call of a login; `continuation` when it answers a challenge (a wrong passcode
    /// or an SMS batch then asks again while answers are left). A class: the frames that wait for
    /// the answer hold a reference.
    private final class AuthCall: Sendable {
        let accept: PrimaryAccept
        let factor: DuoFactor
        let device: String
        let continuation: LoginContinuation?

        init(accept: PrimaryAccept, factor: DuoFactor, device: String, continuation: LoginContinuation? = nil) {
            self.accept = accept
            self.factor = factor
            self.device = device
            self.continuation = continuation
        }
    }

    /// Takes a login from its first step to its decision. Straight-line, no loop: in a loop around
    /// awaits, the compiler keeps every local of the body in the frame (measured: 1,488 bytes).
    @inline(never)
    private func run(from first: Step, _ request: LoginRequest) async -> Decision {
        let next: AfterPreauth
        switch first {
        case .decided(let decision): return counted(decision)
        case .auth(let call): next = .auth(call)
        case .secondFactor(let accept, let factor): next = await preauth(request, after: accept, factor: factor)
        }
        switch next {
        case .decided(let decision): return counted(decision)
        case .auth(let call): return counted(await auth(request, call))
        }
    }

    @inline(never)
    private func counted(_ decision: Decision) -> Decision {
        switch decision {
        case .accept: counters.accepted.increment()
        case .reject: counters.rejected.increment()
        case .challenge: counters.challenged.increment()
        }
        return decision
    }

    @inline(never)
    private func firstStep(_ request: LoginRequest) async -> Step {
        if section.mode == .duoOnly {
            // The password field is the factor; there is no primary to guess against.
            if section.webPrompt != nil, let text = request.password.text {
                // `web` asks for the Duo Web frame (a challenge carrying the signed request, after
                // preauth); a signed response from the frame is verified here, without a Duo call.
                if text.lowercased() == WebPrompt.frameRequestWord { return .secondFactor(PrimaryAccept(), factor: nil) }
                let response = (text.removingPercentEncoding ?? text).trimmingCharacters(in: .whitespaces)
                if response.hasPrefix(DuoWeb.authenticationPrefix + "|") {
                    return .decided(verifiedWebResponse(response, request, after: PrimaryAccept()))
                }
            }
            guard let text = request.password.text, let factor = FactorAnswer.parse(text) else {
                return .decided(finishSecondary(request, .reject, PolicyMessages.missingFactor, reason: "the password field is no factor or passcode"))
            }
            return .secondFactor(PrimaryAccept(), factor: factor)
        }
        if let refusal = limiter.checkPrimary(user: request.identity.normalized, address: request.clientAddress, now: clock.monotonic()) {
            return .decided(finishPrimary(request, .reject, PolicyMessages.lockedOut, reason: refusal.description))
        }

        var password = request.password
        var factor: FactorAnswer?
        let concatenation = section.mode == .concat || (section.mode == .auto && section.allowConcatenation)
        if concatenation,
            let split = ConcatenatedPassword.split(
                request.password, delimiter: section.delimiter, delimitedPasswordLength: section.delimitedPasswordLength)
        {
            password = split.password
            factor = split.factor
        }

        var outcome = await primary.authenticate(primaryRequest(request, password: password))
        if factor != nil, case .rejected = outcome {
            // The "factor" may have been the end of the password (`pass,word`): try the whole text.
            factor = nil
            outcome = await primary.authenticate(primaryRequest(request, password: request.password))
        }
        if section.mode == .concat, factor == nil, case .accepted = outcome {
            return .decided(finishPrimary(request, .reject, PolicyMessages.missingFactor, reason: "concat section and no factor after the password"))
        }
        return afterPrimary(outcome, request, factor: factor)
    }

    // MARK: - The answer to a challenge

    @inline(never)
    private func resumeStep(_ continuation: LoginContinuation, answer: Password, request: LoginRequest) async -> Step {
        guard continuation.username == request.identity.raw else {
            return .decided(finishSecondary(request, .reject, PolicyMessages.challengeMismatch, reason: "challenge answered for another user"))
        }
        switch continuation.stage {
        case .upstreamChallenge(let state):
            if let refusal = limiter.checkPrimary(user: request.identity.normalized, address: request.clientAddress, now: clock.monotonic()) {
                return .decided(finishPrimary(request, .reject, PolicyMessages.lockedOut, reason: refusal.description))
            }
            var upstream = primaryRequest(request, password: answer)
            upstream.upstreamState = state
            return afterPrimary(await primary.authenticate(upstream), request, factor: nil)

        case .secondFactor(let menu):
            let accept = PrimaryAccept(
                distinguishedName: continuation.distinguishedName, passThroughAttributes: continuation.passThroughAttributes)
            let text = (answer.text ?? "").trimmingCharacters(in: .whitespaces)
            if let number = Int(text), number >= 1, number <= menu.count, menu.count > 0 {
                let entry = menu[number - 1]
                let factor: DuoFactor = switch entry.factor {
                case "push": .push
                case "phone": .phone
                case "sms": .sms
                default: .auto
                }
                return .auth(AuthCall(accept: accept, factor: factor, device: entry.device, continuation: continuation))
            }
            guard let typed = FactorAnswer.parse(text) else {
                return .decided(retryOrReject(continuation, request, reason: "the answer is no menu number, factor or passcode"))
            }
            let devices = menu.map { DuoDevice(device: $0.device, capabilities: [$0.factor]) }
            switch Self.resolve(typed, devices: devices) {
            case .success(let (factor, device)):
                return .auth(AuthCall(accept: accept, factor: factor, device: device, continuation: continuation))
            case .failure(let message):
                return .decided(retryOrReject(continuation, request, reason: message.text))
            }

        case .webPrompt(let applicationCookie):
            return .decided(webPromptAnswer(continuation, applicationCookie: applicationCookie, answer: answer, request: request))

        case .enrollment:
            return .decided(finishSecondary(
                request, .reject, PolicyMessages.enrollThenLogInAgain, reason: "answer to an enrollment challenge",
                dn: continuation.distinguishedName))
        }
    }

    // MARK: - Steps

    @inline(never)
    private func primaryRequest(_ request: LoginRequest, password: Password) -> PrimaryRequest {
        PrimaryRequest(
            username: request.identity.directoryUsername, password: password, clientAddress: request.clientAddress,
            forwardedAttributes: request.forwardedAttributes)
    }

    /// What follows the primary's answer: a decision, or Duo for an accepted, non-exempt user.
    @inline(never)
    private func afterPrimary(_ outcome: PrimaryOutcome, _ request: LoginRequest, factor: FactorAnswer?) -> Step {
        switch outcome {
        case .accepted(let accept):
            emit(request, .primary, .allow, "Primary authentication succeeded", dn: accept.distinguishedName)
            guard section.isExempt(request.identity, distinguishedName: accept.distinguishedName) else {
                return .secondFactor(accept, factor: factor)
            }
            return .decided(finishSecondary(
                request, .accept(accept, withoutSecondFactor: true), PolicyMessages.exempt, reason: "exempt user",
                dn: accept.distinguishedName))

        case .rejected(let rejection):
            limiter.recordPrimaryFailure(user: request.identity.normalized, address: request.clientAddress, now: clock.monotonic())
            return .decided(finishPrimary(
                request, .reject, PolicyMessages.primaryRejected, reason: "\(primary.name): \(rejection)",
                attributes: rejection.passThroughAttributes))

        case .unavailable(let diagnostic):
            logger.error(
                "primary authentication unavailable",
                metadata: ["section": "\(section.name)", "primary": "\(primary.name)", "reason": "\(diagnostic)"])
            return .decided(finishPrimary(request, .reject, PolicyMessages.primaryUnavailable, reason: "\(primary.name) unavailable: \(diagnostic)"))

        case .challenged(let challenge):
            let continuation = LoginContinuation(
                username: request.identity.raw, stage: .upstreamChallenge(state: challenge.state), distinguishedName: nil,
                passThrough: [], attemptsLeft: section.challengeAttempts)
            return .decided(.challenge(.init(prompt: challenge.message, continuation: continuation, attributes: challenge.passThroughAttributes)))
        }
    }

    @inline(never)
    private func preauth(_ request: LoginRequest, after accept: PrimaryAccept, factor: FactorAnswer?) async -> AfterPreauth {
        let preauth: DuoPreauthResult
        do {
            preauth = try await duo.preauth(username: request.identity.duoUsername, ipAddress: request.clientAddress)
        } catch {
            return .decided(duoFailed(error, step: "preauth", request, after: accept))
        }
        return afterPreauth(preauth, request, after: accept, factor: factor)
    }

    /// What follows Duo's preauth answer: a decision, or an auth call with this factor and device.
    @inline(never)
    private func afterPreauth(_ preauth: DuoPreauthResult, _ request: LoginRequest, after accept: PrimaryAccept, factor: FactorAnswer?) -> AfterPreauth {
        let devices: [DuoDevice]
        switch preauth {
        case .allow(let message):
            return .decided(finishSecondary(
                request, .accept(accept, withoutSecondFactor: true), message, reason: "Duo preauth allow",
                dn: accept.distinguishedName))
        case .deny(let message):
            return .decided(finishSecondary(request, .reject, message, reason: "Duo preauth deny", dn: accept.distinguishedName))
        case .enroll(let message, let portalURL):
            let text = PolicyMessages.enroll(message, portalURL: portalURL)
            if section.mode == .challenge, section.enrollChallenge {
                return .decided(enrollmentChallenge(request, text, dn: accept.distinguishedName))
            }
            return .decided(finishSecondary(request, .reject, text, reason: "Duo preauth enroll", dn: accept.distinguishedName))
        case .auth(let userDevices, _):
            devices = userDevices
        }

        if let factor {
            switch Self.resolve(factor, devices: devices) {
            case .success(let (duoFactor, device)):
                return .auth(AuthCall(accept: accept, factor: duoFactor, device: device))
            case .failure(let message):
                return .decided(finishSecondary(request, .reject, message.text, reason: message.text, dn: accept.distinguishedName))
            }
        }
        if section.mode == .challenge {
            return .decided(challenge(request, after: accept, menu: Self.menu(factors: section.factors, devices: devices)))
        }
        if section.mode == .iframe || section.mode == .duoOnly, let webPrompt = section.webPrompt {
            return .decided(webPromptChallenge(request, after: accept, webPrompt))
        }
        let sectionFactor: DuoFactor
        switch section.factors[0] {
        case .auto: sectionFactor = .auto
        case .push: sectionFactor = .push
        case .phone: sectionFactor = .phone
        case .sms: sectionFactor = .sms
        case .passcode: return .decided(challenge(request, after: accept, menu: []))
        }
        return .auth(AuthCall(accept: accept, factor: sectionFactor, device: "auto"))
    }

    @inline(never)
    private func challenge(_ request: LoginRequest, after accept: PrimaryAccept, menu: [LoginContinuation.MenuEntry]) -> Decision {
        let continuation = LoginContinuation(
            username: request.identity.raw, stage: .secondFactor(menu: menu), distinguishedName: accept.distinguishedName,
            passThrough: LoginContinuation.store(accept.passThroughAttributes), attemptsLeft: section.challengeAttempts)
        let prompt = PolicyMessages.challengePrompt(username: request.identity.raw, entries: menu, format: section.promptFormat)
        return .challenge(.init(prompt: prompt, continuation: continuation, attributes: []))
    }

    /// `radius_server_iframe`: the challenge carries a Duo Web `sig_request` for the user's Duo name.
    @inline(never)
    private func webPromptChallenge(_ request: LoginRequest, after accept: PrimaryAccept, _ webPrompt: WebPrompt) -> Decision {
        let signed: String
        do {
            signed = try DuoWeb.signRequest(
                integrationKey: section.integrationKey, secretKey: webPrompt.secretKey, applicationKey: webPrompt.applicationKey,
                username: request.identity.duoUsername, now: Int64(clock.wall()))
        } catch {
            // The keys were checked when the configuration was read; a name Duo Web cannot carry
            // (one with '|') remains.
            return finishSecondary(
                request, .reject, PolicyMessages.duoRefused, reason: "Duo Web request not signed: \(error.diagnostic)",
                dn: accept.distinguishedName)
        }
        let applicationCookie = String(signed.split(separator: ":", maxSplits: 1).last ?? "")
        let continuation = LoginContinuation(
            username: request.identity.raw, stage: .webPrompt(applicationCookie: applicationCookie),
            distinguishedName: accept.distinguishedName, passThrough: LoginContinuation.store(accept.passThroughAttributes),
            attemptsLeft: 1)
        return .challenge(.init(prompt: webPrompt.prompt(signedRequest: signed), continuation: continuation, attributes: []))
    }

    /// The answer to the Duo Web frame: Duo's signed response (URL-encoded or not, with or without
    /// our APP cookie), accepted only when it vouches for this login's user.
    @inline(never)
    private func webPromptAnswer(
        _ continuation: LoginContinuation, applicationCookie: String, answer: Password, request: LoginRequest
    ) -> Decision {
        let accept = PrimaryAccept(distinguishedName: continuation.distinguishedName, passThroughAttributes: continuation.passThroughAttributes)
        var response = answer.text.map { $0.removingPercentEncoding ?? $0 } ?? ""
        response = response.trimmingCharacters(in: .whitespaces)
        if !response.contains(":") { response += ":" + applicationCookie }
        return verifiedWebResponse(response, request, after: accept)
    }

    /// A whole Duo Web response (`AUTH|...:APP|...`), accepted only when both cookies verify and
    /// vouch for this login's user.
    @inline(never)
    private func verifiedWebResponse(_ response: String, _ request: LoginRequest, after accept: PrimaryAccept) -> Decision {
        guard let webPrompt = section.webPrompt else {
            return finishSecondary(request, .reject, PolicyMessages.webPromptInvalid, reason: "this section sends no Duo Web frame")
        }
        let checked = DuoWeb.checkResponse(
            response, expecting: .authentication, integrationKey: section.integrationKey, secretKey: webPrompt.secretKey,
            applicationKey: webPrompt.applicationKey, now: Int64(clock.wall()))
        switch checked {
        case .success(let user) where user == request.identity.duoUsername:
            guard usedWebResponses.use(response, now: Int64(clock.wall())) else {
                return finishSecondary(
                    request, .reject, PolicyMessages.webPromptInvalid, reason: "Duo Web response already used (a replay)",
                    dn: accept.distinguishedName)
            }
            return finishSecondary(
                request, .accept(accept, withoutSecondFactor: false), PolicyMessages.webPromptValid, reason: "Duo Web response verified",
                dn: accept.distinguishedName)
        case .success(let user):
            return finishSecondary(
                request, .reject, PolicyMessages.webPromptInvalid, reason: "Duo Web response for another user (\(user))",
                dn: accept.distinguishedName)
        case .failure(let error):
            return finishSecondary(
                request, .reject, PolicyMessages.webPromptInvalid, reason: "Duo Web response refused: \(error.diagnostic)",
                dn: accept.distinguishedName)
        }
    }

    /// `enroll_challenge`: the enrollment message in a challenge. The login is over for Duo (the
    /// auth event says rejected); the answer, whatever it is, is rejected.
    @inline(never)
    private func enrollmentChallenge(_ request: LoginRequest, _ text: String, dn: String?) -> Decision {
        emit(request, .secondary, .reject, text, dn: dn)
        logger.info(
            "login sent to enrollment",
            metadata: [
                "section": "\(section.name)", "user": "\(request.identity.raw)", "client": "\(request.clientAddress ?? "-")",
                "stage": "duo", "reason": "Duo preauth enroll; enrollment challenge",
            ])
        let continuation = LoginContinuation(
            username: request.identity.raw, stage: .enrollment, distinguishedName: dn, passThrough: [], attemptsLeft: 1)
        return .challenge(.init(prompt: text, continuation: continuation, attributes: []))
    }

    /// The Duo auth call.
    @inline(never)
    private func auth(_ request: LoginRequest, _ call: AuthCall) async -> Decision {
        if let refused = pushRefused(request, factor: call.factor) { return refused }
        let result: DuoAuthResult
        do {
            result = try await duo.auth(authRequest(request, factor: call.factor, device: call.device))
        } catch {
            return duoFailed(error, step: "auth", request, after: call.accept, factor: call.factor)
        }
        return authDecided(result, request, after: call.accept, factor: call.factor, continuation: call.continuation)
    }

    /// `max_pushes_per_user`: the refusal of a push (or call) over the user's limit.
    @inline(never)
    private func pushRefused(_ request: LoginRequest, factor: DuoFactor) -> Decision? {
        switch factor {
        case .auto, .push, .phone:
            if let refusal = limiter.admitPush(user: request.identity.normalized, now: clock.monotonic()) {
                return finishSecondary(request, .reject, PolicyMessages.tooManyPushes, reason: refusal.description, factor: factor)
            }
            return nil
        case .sms, .passcode:
            return nil
        }
    }

    @inline(never)
    private func authRequest(_ request: LoginRequest, factor: DuoFactor, device: String) -> DuoAuthRequest {
        DuoAuthRequest(
            username: request.identity.duoUsername, factor: factor, device: device, ipAddress: request.clientAddress,
            pushInfo: section.pushInfo)
    }

    @inline(never)
    private func authDecided(
        _ result: DuoAuthResult, _ request: LoginRequest, after accept: PrimaryAccept, factor: DuoFactor, continuation: LoginContinuation?
    ) -> Decision {
        switch result {
        case .allow(let message):
            return finishSecondary(
                request, .accept(accept, withoutSecondFactor: false), message, reason: "Duo auth allow", factor: factor,
                dn: accept.distinguishedName)
        case .deny(let message, let status):
            if let continuation, factor != .auto, factor != .push, factor != .phone {
                // A wrong passcode, or the SMS batch was sent: ask again while answers are left.
                return retryOrReject(continuation, request, reason: "Duo auth \(status)", prompt: message)
            }
            return finishSecondary(
                request, .reject, message, reason: "Duo auth deny (\(status))", factor: factor, dn: accept.distinguishedName)
        }
    }

    @inline(never)
    private func retryOrReject(_ continuation: LoginContinuation, _ request: LoginRequest, reason: String, prompt: String? = nil) -> Decision {
        guard continuation.attemptsLeft > 1 else {
            return finishSecondary(request, .reject, PolicyMessages.tooManyAnswers, reason: "\(reason); no answers left")
        }
        var next = continuation
        next.attemptsLeft -= 1
        var menu: [LoginContinuation.MenuEntry] = []
        if case .secondFactor(let entries) = continuation.stage { menu = entries }
        let menuPrompt = PolicyMessages.challengePrompt(username: request.identity.raw, entries: menu, format: section.promptFormat)
        let text = prompt.map { "\($0)\n\n\(menuPrompt)" } ?? menuPrompt
        return .challenge(.init(prompt: text, continuation: next, attributes: []))
    }

    /// Failmode, applied once: the first Duo failure of a login decides it.
    @inline(never)
    private func duoFailed(_ failure: DuoFailure, step: String, _ request: LoginRequest, after accept: PrimaryAccept, factor: DuoFactor? = nil) -> Decision {
        let safe = step == "preauth" ? PolicyMessages.failmodeSafePreauth : PolicyMessages.failmodeSafeAuth
        let secure = step == "preauth" ? PolicyMessages.failmodeSecurePreauth : PolicyMessages.failmodeSecureAuth
        if section.failmode.allows(failure) {
            counters.failOpen.increment()
            logger.warning(
                "fail-open: Duo failed and failmode=safe let the login in on the primary factor alone",
                metadata: [
                    "section": "\(section.name)", "user": "\(request.identity.raw)", "step": "\(step)",
                    "failure": "\(failure.kind)", "diagnostic": "\(failure.diagnostic)",
                ])
            return finishSecondary(
                request, .accept(accept, withoutSecondFactor: true), safe, reason: "Duo \(step) failed (\(failure.kind)); failmode safe",
                factor: factor, dn: accept.distinguishedName)
        }
        let message = failure.failmodeClass == .refused ? PolicyMessages.duoRefused : secure
        return finishSecondary(
            request, .reject, message,
            reason: "Duo \(step) failed (\(failure.kind)): \(failure.diagnostic); failmode \(section.failmode.rawValue)",
            factor: factor, dn: accept.distinguishedName)
    }

    // MARK: - Factors and devices

    struct FactorMessage: Error {
        var text: String
    }

    /// The Duo factor and device for a typed factor: `push2` is the user's second device that can
    /// receive pushes, in preauth's order.
    @inline(never)
    static func resolve(_ answer: FactorAnswer, devices: [DuoDevice]) -> Result<(DuoFactor, String), FactorMessage> {
        let (factor, number): (DuoFactor, Int?) =
            switch answer {
            case .push(let number): (.push, number)
            case .phone(let number): (.phone, number)
            case .sms(let number): (.sms, number)
            case .passcode(let code): (.passcode(code), nil)
            }
        guard let number, let capability = answer.capability else { return .success((factor, "auto")) }
        let capable = devices.filter { $0.capabilities.contains(capability) }
        guard number <= capable.count else {
            return .failure(FactorMessage(text: PolicyMessages.noSuchDevice(answer, number: number)))
        }
        return .success((factor, capable[number - 1].device))
    }

    /// The challenge menu: one entry per factor and capable device, in the order of `factors`.
    @inline(never)
    static func menu(factors: [FactorChoice], devices: [DuoDevice]) -> [LoginContinuation.MenuEntry] {
        var entries: [LoginContinuation.MenuEntry] = []
        for choice in factors {
            switch choice {
            case .auto:
                entries.append(.init(factor: "auto", device: "auto", label: "Duo Push or phone call to your default device"))
            case .push, .phone, .sms:
                for device in devices where device.capabilities.contains(choice.rawValue) {
                    let name = device.number ?? device.name ?? device.device
                    let label = switch choice {
                    case .push: "Duo Push to \(name)"
                    case .phone: "Phone call to \(name)"
                    default: "SMS passcodes to \(name)"
                    }
                    entries.append(.init(factor: choice.rawValue, device: device.device, label: label))
                }
            case .passcode:
                break
            }
        }
        return entries
    }

    // MARK: - Finishing: one log line, one auth event, the decision

    enum Verdict {
        case accept(PrimaryAccept, withoutSecondFactor: Bool)
        case reject
    }

    @inline(never)
    private func finishPrimary(_ request: LoginRequest, _ verdict: Verdict, _ message: String, reason: String, attributes: [RADIUSAttribute] = []) -> Decision {
        finish(request, .primary, verdict, message, reason: reason, factor: nil, dn: nil, rejectAttributes: attributes)
    }

    @inline(never)
    private func finishSecondary(
        _ request: LoginRequest, _ verdict: Verdict, _ message: String, reason: String, factor: DuoFactor? = nil, dn: String? = nil
    ) -> Decision {
        finish(request, .secondary, verdict, message, reason: reason, factor: factor, dn: dn, rejectAttributes: [])
    }

    @inline(never)
    private func finish(
        _ request: LoginRequest, _ stage: AuthEvent.Stage, _ verdict: Verdict, _ message: String, reason: String, factor: DuoFactor?,
        dn: String?, rejectAttributes: [RADIUSAttribute]
    ) -> Decision {
        let decision: Decision
        let status: AuthEvent.Status
        switch verdict {
        case .accept(let accept, let withoutSecondFactor):
            decision = .accept(.init(message: message, attributes: accept.passThroughAttributes, withoutSecondFactor: withoutSecondFactor))
            status = .allow
        case .reject:
            decision = .reject(.init(message: message, attributes: rejectAttributes))
            status = .reject
        }
        emit(request, stage, status, message, factor: factor, dn: dn)
        logger.info(
            "login \(status == .allow ? "accepted" : "rejected")",
            metadata: [
                "section": "\(section.name)", "user": "\(request.identity.raw)", "client": "\(request.clientAddress ?? "-")",
                "stage": "\(stage == .primary ? "primary" : "duo")", "reason": "\(reason)",
            ])
        return decision
    }

    @inline(never)
    private func emit(_ request: LoginRequest, _ stage: AuthEvent.Stage, _ status: AuthEvent.Status, _ message: String, factor: DuoFactor? = nil, dn: String?) {
        events.record(
            AuthEvent(
                timestamp: clock.wall(), message: message, username: request.identity.raw, stage: stage, status: status,
                clientIP: request.clientAddress, serverSection: section.name, serverSectionIntegrationKey: section.integrationKey,
                factor: factor.map(Self.eventFactorName), hostname: hostname, distinguishedName: dn ?? request.bindDN))
    }

    /// Duo's names for factors in its logs.
    static func eventFactorName(_ factor: DuoFactor) -> String {
        switch factor {
        case .auto: "auto"
        case .push: "duo_push"
        case .phone: "phone_call"
        case .sms: "sms_passcode"
        case .passcode: "passcode"
        }
    }
}
