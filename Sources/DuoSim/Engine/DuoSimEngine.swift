import DuoAPI
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// An HTTP answer, ready to write.
public struct DuoSimResponse: Sendable, Hashable {
    public var status: HTTPResponseStatus
    public var contentType: String
    public var body: [UInt8]

    public init(status: HTTPResponseStatus, contentType: String = "application/json", body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }
}

/// What the connection handler does with a request.
public enum DuoSimAction: Sendable, Hashable {
    case respond(DuoSimResponse)
    /// A `down` fault: close the connection without answering.
    case closeConnection
    /// A `hang` fault: never answer.
    case hang
    /// A `delay` fault: wait, then call `DuoSimEngine.handle(_:now:unixTime:afterDelay:)` again
    /// with `afterDelay: true`.
    case delay(TimeAmount)
    /// A synchronous push or call: at `deadline`, call `DuoSimEngine.finishSynchronous(txid:now:)`.
    case awaitTransaction(txid: String, deadline: NIODeadline)
    /// A long-polled `auth_status`: at `deadline`, call `DuoSimEngine.finishStatus(txid:now:)`.
    case awaitStatus(txid: String, deadline: NIODeadline)
}

/// The simulated Duo service: users, integrations, faults, transactions and counters behind one
/// lock. Every decision is a synchronous function of a request and the clock passed in, so it is
/// tested without sockets, and no thread waits for a push: a transaction is only a deadline.
public final class DuoSimEngine: Sendable {
    struct Transaction {
        enum Kind { case push, phone, immediate }
        var username: String
        var integrationKey: String
        var kind: Kind
        var resolvesAt: NIODeadline
        /// The answer once `resolvesAt` has passed.
        var outcome: DuoAuthResponse
        /// Whether a poll has already been told `waiting`: later polls are held (long-poll).
        var waitingReported = false
    }

    struct State {
        var faults: [DuoSimFault] = []
        var stats = DuoSimStats()
        var transactions: [String: Transaction] = [:]
        var insertions = 0
    }

    let configuration: DuoSimConfiguration
    private let usersByID: [String: String]
    private let state = Mutex(State())
    /// The bodies of repeated answers (`encoded`).
    private let encodedAnswers = Mutex<[RepeatedAnswer: [UInt8]]>([:])

    public init(configuration: DuoSimConfiguration) {
        self.configuration = configuration
        var byID: [String: String] = [:]
        for (name, user) in configuration.users.users {
            if let id = user.userID { byID[id] = name }
        }
        usersByID = byID
    }

    // MARK: Faults and counters

    public func addFault(_ fault: DuoSimFault) { state.withLock { $0.faults.append(fault) } }

    /// Removes every fault, or those of one path.
    public func clearFaults(path: String? = nil) {
        state.withLock { state in
            if let path { state.faults.removeAll { $0.path == path } } else { state.faults.removeAll() }
        }
    }

    public func faults() -> [DuoSimFault] { state.withLock { $0.faults } }

    /// Counts a connection the listener accepted (`http2` once it chose HTTP/2).
    func countConnection(http2: Bool = false) {
        state.withLock { state in
            if http2 { state.stats.http2Connections += 1 } else { state.stats.connections += 1 }
        }
    }

    public func stats(now: NIODeadline = .now()) -> DuoSimStats {
        state.withLock { state in
            var stats = state.stats
            stats.pendingPushes = 0
            for transaction in state.transactions.values where transaction.kind != .immediate && transaction.resolvesAt > now {
                stats.users[transaction.username, default: .init()].pendingPushes += 1
                stats.pendingPushes += 1
            }
            return stats
        }
    }

    /// Forgets every transaction (pending pushes included).
    public func clearTransactions() { state.withLock { $0.transactions.removeAll() } }

    // MARK: Requests

    /// Decides what to do with a request. `now` is the monotonic clock for push deadlines,
    /// `unixTime` the wall clock for the Date check and TOTP.
    public func handle(_ request: DuoSimRequest, now: NIODeadline, unixTime: Int64, afterDelay: Bool = false) -> DuoSimAction {
        let path = request.path
        if path.hasPrefix("/sim/v1/") || path == "/sim/v1" {
            return .respond(admin(request, path: path, now: now))
        }
        if !afterDelay {
            let fault = state.withLock { state -> DuoSimFault? in
                state.stats.endpoints[path, default: .init()].requests += 1
                let fault = state.faults.last { $0.path == path } ?? state.faults.last { $0.path == nil }
                if fault != nil { state.stats.endpoints[path, default: .init()].faults += 1 }
                return fault
            }
            if let fault {
                switch fault.kind {
                case .down: return .closeConnection
                case .hang: return .hang
                case .delay: return .delay(.milliseconds(Int64(fault.ms ?? 0)))
                case .status:
                    let status = fault.status ?? 500
                    let reason = HTTPResponseStatus(statusCode: status).reasonPhrase
                    return .respond(record(path, failure: DuoSimFailure(status: status, code: status * 100, message: reason,
                                                                         detail: "injected fault")))
                case .malformed:
                    return .respond(record(path, DuoSimResponse(
                        status: .ok, contentType: "text/html",
                        body: Array("<html><body>502 Bad Gateway (simulated malformed answer)</body></html>".utf8))))
                }
            }
        }
        switch route(request, path: path, now: now, unixTime: unixTime) {
        case .success(let action):
            if case .respond(let response) = action { return .respond(record(path, response)) }
            return action
        case .failure(let failure):
            return .respond(record(path, failure: failure))
        }
    }

    /// The answer of a synchronous push or call whose deadline has passed.
    public func finishSynchronous(txid: String, now: NIODeadline) -> DuoSimResponse {
        let outcome = state.withLock { state -> DuoAuthResponse? in
            state.transactions.removeValue(forKey: txid)?.outcome
        }
        guard let outcome else {
            return record("/auth/v2/auth", failure: .invalidParameter("txid"))
        }
        return record("/auth/v2/auth", encoded(.auth(outcome)))
    }

    // MARK: Routing

    private func route(_ request: DuoSimRequest, path: String, now: NIODeadline, unixTime: Int64)
        -> Result<DuoSimAction, DuoSimFailure>
    {
        let allowed: Set<String>
        switch path {
        case "/auth/v2/ping", "/auth/v2/check", "/auth/v2/auth_status": allowed = ["GET"]
        case "/auth/v2/preauth": allowed = ["GET", "POST"]
        case "/auth/v2/auth": allowed = ["POST", "GET"]
        default: return .failure(.notFound())
        }
        guard allowed.contains(request.method) else { return .failure(.methodNotAllowed()) }
        if path == "/auth/v2/ping" {
            return .success(.respond(ok(DuoTimeResponse(time: unixTime))))
        }

        var claimed: String?
        let verified = DuoSimRequestVerifier.verify(
            request, integrations: configuration.integrations, now: unixTime,
            allowedSkew: configuration.allowedClockSkew.components.seconds, claimed: &claimed)
        if let claimed {
            state.withLock { state in
                state.stats.integrations[claimed, default: .init()].requests += 1
                if case .failure = verified { state.stats.integrations[claimed, default: .init()].rejected += 1 }
            }
        }
        let caller: DuoSimCaller
        switch verified {
        case .success(let value): caller = value
        case .failure(let failure): return .failure(failure)
        }

        switch path {
        case "/auth/v2/check":
            return .success(.respond(ok(DuoTimeResponse(time: unixTime))))
        case "/auth/v2/preauth":
            return preauth(caller).map { .respond(encoded(.preauth($0))) }
        case "/auth/v2/auth":
            return auth(caller, now: now, unixTime: unixTime)
        default:
            return authStatus(caller, now: now)
        }
    }

    /// The user a request names (`username` or `user_id`) and the name counters use.
    private func user(_ parameters: [String: String]) -> Result<(name: String, user: DuoSimUser, known: Bool), DuoSimFailure> {
        let users = configuration.users
        if let name = parameters["username"], !name.isEmpty {
            if let user = users.users[name] { return .success((name, user, true)) }
            return .success((name, users.defaultUser, false))
        }
        if let id = parameters["user_id"], !id.isEmpty {
            if let name = usersByID[id], let user = users.users[name] { return .success((name, user, true)) }
            return .failure(.invalidParameter("user_id"))
        }
        return .failure(.invalidParameter("username"))
    }

    private func validateIPAddress(_ parameters: [String: String]) -> DuoSimFailure? {
        guard let address = parameters["ipaddr"] else { return nil }
        let isV4 = address.split(separator: ".", omittingEmptySubsequences: false).count == 4
            && address.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { UInt8($0) != nil }
        let isV6 = address.contains(":") && address.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
        return isV4 || isV6 ? nil : .invalidParameter("ipaddr")
    }

    private func preauth(_ caller: DuoSimCaller) -> Result<DuoPreauthResponse, DuoSimFailure> {
        if let failure = validateIPAddress(caller.parameters) { return .failure(failure) }
        let found: (name: String, user: DuoSimUser, known: Bool)
        switch user(caller.parameters) {
        case .success(let value): found = value
        case .failure(let failure): return .failure(failure)
        }
        state.withLock { $0.stats.users[found.name, default: .init()].preauth += 1 }
        switch found.user.preauth {
        case .auth:
            return .success(DuoPreauthResponse(result: "auth", statusMsg: "Account is active", devices: found.user.devices))
        case .allow:
            return .success(DuoPreauthResponse(result: "allow", statusMsg: found.known ? "Bypass user" : "Allowing unknown user"))
        case .deny:
            return .success(DuoPreauthResponse(result: "deny", statusMsg: found.known ? "Your account is disabled." : "Unknown user"))
        case .enroll:
            return .success(DuoPreauthResponse(result: "enroll", statusMsg: "Enroll an authentication device to proceed",
                                               enrollPortalURL: found.user.enrollPortalURL))
        }
    }

    static let allowed = DuoAuthResponse(result: "allow", status: "allow", statusMsg: "Success. Logging you in...")

    private func auth(_ caller: DuoSimCaller, now: NIODeadline, unixTime: Int64) -> Result<DuoSimAction, DuoSimFailure> {
        let parameters = caller.parameters
        guard let factor = parameters["factor"], ["auto", "push", "phone", "sms", "passcode"].contains(factor) else {
            return .failure(.invalidParameter("factor"))
        }
        let isAsync: Bool
        switch parameters["async"] ?? "0" {
        case "1", "true": isAsync = true
        case "0", "false", "": isAsync = false
        default: return .failure(.invalidParameter("async"))
        }
        if let failure = validateIPAddress(parameters) { return .failure(failure) }
        let found: (name: String, user: DuoSimUser, known: Bool)
        switch user(parameters) {
        case .success(let value): found = value
        case .failure(let failure): return .failure(failure)
        }
        let user = found.user

        var kind = Transaction.Kind.immediate
        var delay = TimeAmount.zero
        let outcome: DuoAuthResponse
        switch user.preauth {
        case .allow:
            outcome = DuoAuthResponse(result: "allow", status: "bypass", statusMsg: "Bypassing Duo authentication")
        case .deny:
            outcome = DuoAuthResponse(result: "deny", status: "deny", statusMsg: "Your account is disabled.")
        case .enroll:
            outcome = DuoAuthResponse(result: "deny", status: "enroll", statusMsg: "Enroll an authentication device to proceed")
        case .auth:
            switch factor {
            case "passcode":
                guard let passcode = parameters["passcode"], !passcode.isEmpty else {
                    return .failure(.invalidParameter("passcode"))
                }
                let right = user.passcodes.contains(passcode) || (user.totp?.accepts(passcode, at: unixTime) ?? false)
                outcome = right
                    ? Self.allowed
                    : DuoAuthResponse(result: "deny", status: "deny", statusMsg: "Incorrect passcode. Please try again.")
            case "sms":
                guard device(parameters["device"], of: user, capability: "sms") != nil else {
                    return .failure(.invalidParameter("device"))
                }
                outcome = DuoAuthResponse(result: "deny", status: "sent", statusMsg: "New SMS passcodes sent.")
            default:
                let capability: String
                if factor == "auto" {
                    capability = device(parameters["device"], of: user, capability: "push") != nil ? "push" : "phone"
                } else {
                    capability = factor
                }
                guard device(parameters["device"], of: user, capability: capability) != nil else {
                    return .failure(.invalidParameter("device"))
                }
                kind = capability == "push" ? .push : .phone
                switch user.push {
                case .approve:
                    outcome = Self.allowed
                    delay = .milliseconds(Int64(user.pushDelayMilliseconds))
                case .deny:
                    outcome = DuoAuthResponse(result: "deny", status: "deny", statusMsg: "Login request denied.")
                    delay = .milliseconds(Int64(user.pushDelayMilliseconds))
                case .never:
                    outcome = DuoAuthResponse(result: "deny", status: "timeout", statusMsg: "Login timed out.")
                    delay = TimeAmount(configuration.pushTimeout)
                }
            }
        }

        guard isAsync || kind != .immediate else {
            // Answered at once: no transaction to remember.
            state.withLock { $0.stats.users[found.name, default: .init()].auth += 1 }
            return .success(.respond(encoded(.auth(outcome))))
        }
        let txid = Self.makeTransactionID()
        let transaction = Transaction(username: found.name, integrationKey: caller.integrationKey, kind: kind,
                                      resolvesAt: now + delay, outcome: outcome)
        state.withLock { state in
            state.stats.users[found.name, default: .init()].auth += 1
            if kind != .immediate { state.stats.users[found.name, default: .init()].push += 1 }
            state.insertions += 1
            if state.insertions % 1024 == 0 {
                // Answered transactions are kept a while for repeated polls, then forgotten.
                let horizon = now - .minutes(5)
                state.transactions = state.transactions.filter { $0.value.resolvesAt > horizon }
            }
            state.transactions[txid] = transaction
        }
        if isAsync { return .success(.respond(ok(DuoAuthResponse(txid: txid)))) }
        return .success(.awaitTransaction(txid: txid, deadline: transaction.resolvesAt))
    }

    /// The device a request names (`auto` or absent: the first with the capability).
    private func device(_ name: String?, of user: DuoSimUser, capability: String) -> DuoDevice? {
        if let name, name != "auto" {
            return user.devices.first { $0.device == name && $0.capabilities.contains(capability) }
        }
        return user.devices.first { $0.capabilities.contains(capability) }
    }

    private func authStatus(_ caller: DuoSimCaller, now: NIODeadline) -> Result<DuoSimAction, DuoSimFailure> {
        guard let txid = caller.parameters["txid"], !txid.isEmpty else { return .failure(.invalidParameter("txid")) }
        enum Poll { case unknown, answered(DuoAuthResponse), waiting(Transaction.Kind), hold(until: NIODeadline) }
        let holdUntil = now + TimeAmount(configuration.authStatusHold)
        let poll = state.withLock { state -> Poll in
            guard var transaction = state.transactions[txid], transaction.integrationKey == caller.integrationKey else {
                return .unknown
            }
            guard now < transaction.resolvesAt else { return .answered(transaction.outcome) }
            guard transaction.waitingReported else {
                transaction.waitingReported = true
                state.transactions[txid] = transaction
                return .waiting(transaction.kind)
            }
            return .hold(until: min(transaction.resolvesAt, holdUntil))
        }
        switch poll {
        case .unknown: return .failure(.invalidParameter("txid"))
        case .answered(let outcome): return .success(.respond(encoded(.auth(outcome))))
        case .waiting(let kind): return .success(.respond(encoded(.auth(Self.waiting(kind)))))
        case .hold(let deadline): return .success(.awaitStatus(txid: txid, deadline: deadline))
        }
    }

    /// The answer of a held `auth_status` poll: the outcome once the user answered, else `waiting`.
    public func finishStatus(txid: String, now: NIODeadline) -> DuoSimResponse {
        let transaction = state.withLock { $0.transactions[txid] }
        guard let transaction else { return record("/auth/v2/auth_status", failure: .invalidParameter("txid")) }
        return record("/auth/v2/auth_status", encoded(.auth(now >= transaction.resolvesAt ? transaction.outcome : Self.waiting(transaction.kind))))
    }

    private static func waiting(_ kind: Transaction.Kind) -> DuoAuthResponse {
        switch kind {
        case .phone:
            DuoAuthResponse(result: "waiting", status: "calling", statusMsg: "Calling your phone...")
        case .push, .immediate:
            DuoAuthResponse(result: "waiting", status: "pushed", statusMsg: "Pushed a login request to your device...")
        }
    }

    /// A random transaction ID shaped like Duo's: a lower-case UUID.
    static func makeTransactionID() -> String { UUID().uuidString.lowercased() }

    // MARK: Answers

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    private func ok<R: Codable & Sendable>(_ response: R) -> DuoSimResponse {
        let body = (try? Self.encoder.encode(DuoEnvelope.ok(response))) ?? Data()
        return DuoSimResponse(status: .ok, body: Array(body))
    }

    /// The answers that repeat: a user's preauth, an auth outcome, `waiting`.
    enum RepeatedAnswer: Hashable, Sendable {
        case preauth(DuoPreauthResponse)
        case auth(DuoAuthResponse)
    }

    /// `ok` for an answer that repeats, encoded once. Encoding JSON was the largest part of the
    /// simulator's CPU per request.
    private func encoded(_ answer: RepeatedAnswer) -> DuoSimResponse {
        if let body = encodedAnswers.withLock({ $0[answer] }) { return DuoSimResponse(status: .ok, body: body) }
        let response = switch answer {
        case .preauth(let preauth): ok(preauth)
        case .auth(let auth): ok(auth)
        }
        encodedAnswers.withLock { cache in
            // Bounded: a handful of answers per user; this only guards against a huge users file.
            if cache.count >= 4_096 { cache.removeAll(keepingCapacity: true) }
            cache[answer] = response.body
        }
        return response
    }

    private func record(_ path: String, _ response: DuoSimResponse) -> DuoSimResponse {
        state.withLock { $0.stats.endpoints[path, default: .init()].statuses[String(response.status.code), default: 0] += 1 }
        return response
    }

    private func record(_ path: String, failure: DuoSimFailure) -> DuoSimResponse {
        let envelope = DuoEnvelope<DuoTimeResponse>.fail(code: failure.code, message: failure.message, detail: failure.detail)
        let body = (try? Self.encoder.encode(envelope)) ?? Data()
        return record(path, DuoSimResponse(status: HTTPResponseStatus(statusCode: failure.status), body: Array(body)))
    }

    // MARK: Admin (`/sim/v1/...`, JSON, no Duo signature)

    private func admin(_ request: DuoSimRequest, path: String, now: NIODeadline) -> DuoSimResponse {
        func json(_ value: some Encodable, status: HTTPResponseStatus = .ok) -> DuoSimResponse {
            DuoSimResponse(status: status, body: Array((try? Self.encoder.encode(value)) ?? Data()))
        }
        struct FaultList: Encodable { var faults: [DuoSimFault] }
        struct Problem: Encodable { var error: String }
        switch (request.method, path) {
        case ("GET", "/sim/v1/stats"):
            return json(stats(now: now))
        case ("GET", "/sim/v1/faults"):
            return json(FaultList(faults: faults()))
        case ("POST", "/sim/v1/faults"):
            let fault: DuoSimFault
            do {
                fault = try JSONDecoder().decode(DuoSimFault.self, from: Data(request.body))
            } catch {
                return json(Problem(error: "the body must be a fault: {\"kind\": \"down|hang|delay|status|malformed\", "
                    + "\"path\": \"/auth/v2/...\" (optional), \"ms\": N (delay), \"status\": N (status)}"), status: .badRequest)
            }
            if let problem = fault.problem { return json(Problem(error: problem), status: .badRequest) }
            addFault(fault)
            return json(FaultList(faults: faults()))
        case ("DELETE", "/sim/v1/faults"):
            guard let query = request.queryParameters else {
                return json(Problem(error: "the query is not valid form encoding"), status: .badRequest)
            }
            clearFaults(path: query["path"])
            return json(FaultList(faults: faults()))
        case (_, "/sim/v1/stats"), (_, "/sim/v1/faults"):
            return json(Problem(error: "method not allowed"), status: .methodNotAllowed)
        default:
            return json(Problem(error: "unknown path (valid: /sim/v1/faults, /sim/v1/stats)"), status: .notFound)
        }
    }
}
