import LDAPWire
import Policy

/// One client connection of an LDAP listener, without I/O: which operations are answered how, who
/// the connection is bound as, when TLS starts, when the session ends.
///
/// A listener serves `[ldap_server_duo_only]` sections (the virtual directory of
/// ``LDAPDuoOnlyDirectory``), `[ldap_server_auto]` sections (``LDAPAutoRealms``: operations relayed
/// to the section's directory on the client's own upstream connection), or both: a bind DN in a
/// configured integration's subtree (`dc=IKEY,dc=duosecurity,dc=com`) goes to the duo-only
/// section, every other bind to the auto sections' realm rules.
///
/// The handler feeds it decoded messages and events and performs the returned ``Action``. Messages
/// are taken one at a time: while a user bind is with Policy (a push can take a minute) or a
/// StartTLS handshake runs, ``acceptsRequests`` is false and the handler stops reading, so a client
/// cannot queue work behind a pending bind (RFC 4511 §4.2.1: "clients MUST NOT send further LDAP
/// PDUs until receiving the BindResponse").
public struct LDAPSessionStateMachine: Sendable {
    /// What the handler does next.
    public enum Action: Sendable {
        case none
        /// Write these messages; `log` says why a request was refused, for the connection's log line.
        case send([LDAPMessage], log: String?)
        /// Write the StartTLS response in the clear, then put TLS in front of everything else and call
        /// ``tlsEstablished()`` when the handshake completes.
        case sendThenStartTLS(LDAPMessage)
        /// Ask Policy about a user bind and call ``bindDecided(messageID:_:)`` with its decision.
        case authenticate(messageID: Int32, integration: Int, request: LoginRequest)
        /// Send `message` (with its controls) on the client's upstream connection to the directory
        /// of auto section `realm` (opened now if there is none) and call
        /// ``relayed(messageID:responses:)`` with every response, or ``relayFailed(messageID:diagnostic:)``.
        case relay(messageID: Int32, realm: Int, LDAPMessage)
        /// Ask Policy about a bind to auto section `realm`, whose primary is the simple bind as
        /// `bindName` (with the password Policy splits off) on the client's upstream connection,
        /// and call ``bindDecided(messageID:_:)`` with its decision.
        case authenticateOnDirectory(messageID: Int32, realm: Int, bindName: String, request: LoginRequest)
        /// Write these messages and close the client's upstream connection to auto section
        /// `realm`: a bind Duo refused may have left it bound as the user.
        case sendAndCloseUpstream([LDAPMessage], realm: Int, log: String?)
        /// Write these messages (a Notice of Disconnection, or nothing), then close the connection.
        case sendAndClose([LDAPMessage], log: String?)
    }

    /// The deadlines the handler keeps on the clock.
    public enum Deadline: Sendable, Hashable {
        /// The TLS handshake of LDAPS or after StartTLS.
        case tlsHandshake
        /// The first PDU after the connection (and, for LDAPS, its handshake).
        case firstPDU
        /// No request for `idle_timeout` while nothing is pending.
        case idle
    }

    /// Who the connection is bound as (RFC 4513 §3: the authorization state).
    public enum Identity: Sendable, Hashable {
        case anonymous
        /// The device, bound as `dc=IKEY,dc=duosecurity,dc=com` with the secret key.
        case integration(index: Int, dn: String)
        /// A user whose second factor Duo accepted.
        case user(index: Int, dn: String)
        /// Bound on the directory of auto section `realm` as `name` (the bind name as sent);
        /// operations are relayed there.
        case directory(realm: Int, name: String)
    }

    private struct Session: Sendable {
        var identity: Identity = .anonymous
        /// TLS protects the connection (LDAPS, or StartTLS completed).
        var protected: Bool
        var sawRequest = false
        /// Binds sent to an auto section's directory on this connection (`exempt_primary_bind`
        /// exempts the first).
        var directoryBinds = 0
        /// The auto section whose Duo-checked user bind succeeded on this connection.
        var duoCheckedRealm: Int?
    }

    /// What a bind with Policy is for.
    private enum BindTarget: Sendable {
        case integration(Int)
        case realm(Int)
    }

    /// What a relayed request was.
    private enum Relayed: Sendable {
        /// An exempt bind (`exempt_primary_bind`): the directory alone decides.
        case bind(realm: Int, name: String)
        case operation(LDAPOperationKind)
    }

    private enum State: Sendable {
        case active(Session)
        /// A user bind is with Policy; nothing else is read until it is answered.
        case binding(Session, messageID: Int32, dn: String, target: BindTarget)
        /// A request is on its way to an auto section's directory; nothing else is read until it
        /// is answered (one operation at a time, as for binds).
        case relaying(Session, messageID: Int32, Relayed)
        /// StartTLS was answered; nothing is read in the clear until the handshake completes.
        case startingTLS(Session)
        case closed
    }

    public let configuration: LDAPSessionConfiguration
    public let directory: LDAPDuoOnlyDirectory
    public let realms: LDAPAutoRealms
    private var state: State

    public init(configuration: LDAPSessionConfiguration, directory: LDAPDuoOnlyDirectory, realms: LDAPAutoRealms = LDAPAutoRealms([])) {
        self.configuration = configuration
        self.directory = directory
        self.realms = realms
        // LDAPS reads nothing before its handshake completed, exactly as after StartTLS.
        let session = Session(protected: false)
        self.state = configuration.transport == .ldaps ? .startingTLS(session) : .active(session)
    }

    // MARK: - What the handler asks

    /// The decoding limits in force: small until a bind succeeded.
    public var limits: LDAPLimits {
        switch state {
        case .active(let session), .binding(let session, _, _, _), .relaying(let session, _, _), .startingTLS(let session):
            return session.identity == .anonymous ? configuration.limitsBeforeBind : configuration.limitsAfterBind
        case .closed:
            return configuration.limitsBeforeBind
        }
    }

    /// Whether the next PDU may be decoded and handed over now.
    public var acceptsRequests: Bool {
        switch state {
        case .active: return true
        case .binding, .relaying, .startingTLS, .closed: return false
        }
    }

    /// Whether the socket may be read: not while a bind is with Policy (backpressure), but during a
    /// TLS handshake, whose records must come in.
    public var readsSocket: Bool {
        switch state {
        case .active, .startingTLS: return true
        case .binding, .relaying, .closed: return false
        }
    }

    /// The deadline that applies now, if any: none while Policy decides a bind.
    public var deadline: Deadline? {
        switch state {
        case .active(let session): return session.sawRequest ? .idle : .firstPDU
        case .startingTLS: return .tlsHandshake
        case .binding, .relaying, .closed: return nil
        }
    }

    public var identity: Identity {
        switch state {
        case .active(let session), .binding(let session, _, _, _), .relaying(let session, _, _), .startingTLS(let session):
            return session.identity
        case .closed: return .anonymous
        }
    }

    public var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    // MARK: - Events

    /// A decoded request. `pipelinedBytes` is how many undecoded bytes follow it in the handler's
    /// buffer: after a StartTLS request they would have been sent in the clear.
    public mutating func received(_ message: LDAPMessage, pipelinedBytes: Int) -> Action {
        guard case .active(var session) = state else {
            switch state {
            case .closed: return .none
            case .active, .binding, .relaying, .startingTLS:
                return disconnect(.protocolError, "\(message.protocolOp.kind) sent before the previous operation was answered")
            }
        }
        session.sawRequest = true
        let id = message.messageID
        let kind = message.protocolOp.kind
        if case .directory(let realm, _) = session.identity, let action = relayed(message, realm: realm, session: session) {
            // Controls travel with a relayed request: the directory decides on its critical ones.
            return action
        }
        if kind.responseKind != nil, let control = message.controls.first(where: \.criticality) {
            // RFC 4511 §4.1.11: an unrecognized critical control fails the operation.
            if kind == .bindRequest { session.identity = .anonymous }
            state = .active(session)
            return reply(kind, id, .unavailableCriticalExtension, "the critical control \(control.controlType) is not supported")
        }
        switch message.protocolOp {
        case .bindRequest(let bind):
            // RFC 4511 §4.2.1: a bind, whatever its outcome, first drops the previous identity.
            session.identity = .anonymous
            state = .active(session)
            return simpleBind(id, bind, session: session)

        case .unbindRequest:
            state = .closed
            return .sendAndClose([], log: nil)

        case .abandonRequest:
            // Operations are answered one at a time, so none is outstanding to abandon (§4.11: no response).
            state = .active(session)
            return .none

        case .searchRequest(let search):
            state = .active(session)
            return self.search(id, search, session: session)

        case .extendedRequest(let request):
            return extended(id, request, session: session, pipelinedBytes: pipelinedBytes)

        case .modifyRequest, .addRequest, .delRequest, .modifyDNRequest, .compareRequest:
            state = .active(session)
            if session.identity == .anonymous {
                // Never forwarded before a bind (SECURITY.md).
                return reply(kind, id, .insufficientAccessRights, "bind first")
            }
            return reply(kind, id, .unwillingToPerform, "this directory is read-only")

        case .bindResponse, .searchResultEntry, .searchResultDone, .searchResultReference, .modifyResponse, .addResponse,
            .delResponse, .modifyDNResponse, .compareResponse, .extendedResponse, .intermediateResponse:
            return disconnect(.protocolError, "a client sent a \(kind)")
        }
    }

    /// The frame or message decoder refused what the client sent.
    public mutating func decodingFailed(_ error: LDAPDecodingError) -> Action {
        guard case .active(var session) = state else { return .none }
        switch error.disposition {
        case .closeConnection:
            state = .closed
            return .sendAndClose([], log: "\(error)")
        case .noticeOfDisconnection(let code):
            return disconnect(code, "\(error)")
        case .respond(let messageID, let operation, let code):
            session.sawRequest = true
            if operation == .bindRequest { session.identity = .anonymous }
            state = .active(session)
            return reply(operation, messageID, code, error.diagnostics)
        }
    }

    /// Policy decided the user bind `messageID`.
    public mutating func bindDecided(messageID: Int32, _ decision: Decision) -> Action {
        guard case .binding(var session, let pending, let dn, let target) = state, pending == messageID else { return .none }
        let result: LDAPResult
        switch decision {
        case .accept(let accept):
            switch target {
            case .integration(let index): session.identity = .user(index: index, dn: dn)
            case .realm(let realm):
                session.identity = .directory(realm: realm, name: dn)
                session.duoCheckedRealm = realm
            }
            result = LDAPResult(resultCode: .success, diagnosticMessage: accept.message)
        case .reject(let reject):
            result = LDAPResult(resultCode: .invalidCredentials, diagnosticMessage: reject.message)
        case .challenge(let challenge):
            // Duo-only sections take the factor in the password and never challenge; an LDAP bind
            // has no way to answer one.
            result = LDAPResult(resultCode: .invalidCredentials, diagnosticMessage: challenge.prompt)
        }
        state = .active(session)
        let response = LDAPMessage(messageID: messageID, protocolOp: .bindResponse(.init(result: result)))
        if case .realm(let realm) = target, result.resultCode != .success {
            return .sendAndCloseUpstream([response], realm: realm, log: nil)
        }
        return .send([response], log: nil)
    }

    /// The directory answered the relayed request `messageID` (responses in order, final last).
    public mutating func relayed(messageID: Int32, responses: [LDAPMessage]) -> Action {
        guard case .relaying(var session, let pending, let relayed) = state, pending == messageID else { return .none }
        switch relayed {
        case .bind(let realm, let name):
            let result: LDAPResult? = responses.last.flatMap {
                if case .bindResponse(let response) = $0.protocolOp { response.result } else { nil }
            }
            state = .active(session)
            guard let result, result.resultCode == .success else {
                // Unknown user and wrong password look the same (SECURITY.md); the log has the code.
                let upstream = result.map { "\($0.resultCode) \($0.diagnosticMessage)" } ?? "no BindResponse"
                return .send([Self.bindResponse(messageID, LDAPResult(resultCode: .invalidCredentials))],
                             log: "[\(realms.realms[realm].section)] bind as \(name) refused by the directory: \(upstream)")
            }
            session.identity = .directory(realm: realm, name: name)
            state = .active(session)
            return .send([Self.bindResponse(messageID, LDAPResult(resultCode: .success))], log: nil)
        case .operation(let kind):
            state = .active(session)
            var answer: [LDAPMessage] = []
            answer.reserveCapacity(responses.count)
            for var response in responses {
                // The client's messageID, not the upstream connection's.
                response.messageID = messageID
                answer.append(response)
            }
            if answer.isEmpty, let refusal = Self.response(to: kind, messageID: messageID, LDAPResult(resultCode: .other)) {
                answer = [refusal]
            }
            return .send(answer, log: nil)
        }
    }

    /// The relayed request `messageID` got no answer (connect failed, timeout, the directory
    /// closed): answered with unavailable (52); the upstream connection is gone.
    public mutating func relayFailed(messageID: Int32, diagnostic: String) -> Action {
        guard case .relaying(var session, let pending, let relayed) = state, pending == messageID else { return .none }
        let kind: LDAPOperationKind
        switch relayed {
        case .bind:
            kind = .bindRequest
            session.identity = .anonymous
        case .operation(let operation):
            kind = operation
        }
        state = .active(session)
        return reply(kind, messageID, .unavailable, "the directory did not answer", log: "relayed \(kind) failed: \(diagnostic)")
    }

    /// The TLS handshake completed (LDAPS, or after StartTLS).
    public mutating func tlsEstablished() -> Action {
        switch state {
        case .startingTLS(var session):
            session.protected = true
            state = .active(session)
        case .active, .binding, .relaying, .closed:
            break
        }
        return .none
    }

    /// A deadline of ``deadline`` passed: the connection is closed (a TLS handshake cannot carry a
    /// Notice of Disconnection; an idle client gets none, as slapd's idletimeout sends none).
    public mutating func deadlinePassed(_ deadline: Deadline) -> Action {
        guard self.deadline == deadline else { return .none }
        state = .closed
        let what = switch deadline {
        case .tlsHandshake: "the TLS handshake did not complete in time"
        case .firstPDU: "no request arrived in time after connecting"
        case .idle: "idle for longer than idle_timeout"
        }
        return .sendAndClose([], log: what)
    }

    /// The connection closed; a bind still with Policy is answered nowhere.
    public mutating func closed() {
        state = .closed
    }

    // MARK: - Operations

    private mutating func simpleBind(_ id: Int32, _ bind: LDAPMessage.BindRequest, session: Session) -> Action {
        if let realm = session.duoCheckedRealm, !realms.realms[realm].options.allowUnlimitedBinds {
            state = .closed
            return .sendAndClose([], log: "[\(realms.realms[realm].section)] a further bind after the Duo-checked user bind: closing the connection (allow_unlimited_binds=false)")
        }
        guard case .simple(let password) = bind.authentication else {
            return reply(.bindRequest, id, .authMethodNotSupported, "SASL is not supported; use a simple bind")
        }
        if bind.isAnonymous {
            return reply(.bindRequest, id, .inappropriateAuthentication, "anonymous binds are not allowed")
        }
        if bind.isUnauthenticated {
            // RFC 4513 §5.1.2: an unauthenticated bind is refused with unwillingToPerform, before any
            // lookup (SECURITY.md).
            return reply(.bindRequest, id, .unwillingToPerform, "a bind with a DN and an empty password is refused")
        }
        if configuration.transport == .clearWithStartTLS, !session.protected {
            return reply(.bindRequest, id, .confidentialityRequired, "start TLS first (StartTLS, ldapsearch -ZZ) or use LDAPS")
        }
        if !realms.isEmpty, !directory.holds(bindName: bind.name) {
            return directoryBind(id, name: bind.name, password: password, session: session)
        }
        switch directory.classifyBind(name: bind.name, password: password) {
        case .integration(let index, let dn):
            var bound = session
            bound.identity = .integration(index: index, dn: dn)
            state = .active(bound)
            return .send([Self.bindResponse(id, LDAPResult(resultCode: .success))], log: nil)
        case .user(let index, let identity, let dn):
            state = .binding(session, messageID: id, dn: dn, target: .integration(index))
            let request = LoginRequest(identity: identity, password: Password(password), context: .ldap(bindDN: dn))
            return .authenticate(messageID: id, integration: index, request: request)
        case .invalid(let reason):
            return reply(.bindRequest, id, .invalidCredentials, "", log: reason)
        }
    }

    /// A bind for the auto sections: routed by the realm rules, then relayed to the directory (the
    /// exempt primary bind) or decided by Policy with the relayed bind as the primary.
    private mutating func directoryBind(_ id: Int32, name: String, password: [UInt8], session: Session) -> Action {
        switch realms.route(bindName: name) {
        case .noRealmMatched:
            return reply(.bindRequest, id, .invalidCredentials, "no realm matched", log: "bind as \(name) refused: no realm matched")
        case .invalidName(let reason):
            return reply(.bindRequest, id, .invalidCredentials, "", log: "bind refused: \(reason)")
        case .realm(let realm, let identity):
            var bound = session
            let exempt = realms.realms[realm].options.exemptPrimaryBind && bound.directoryBinds == 0
            bound.directoryBinds += 1
            if exempt {
                state = .relaying(bound, messageID: id, .bind(realm: realm, name: name))
                let request = LDAPMessage(messageID: id, protocolOp: .bindRequest(.simple(name: name, password: password)))
                return .relay(messageID: id, realm: realm, request)
            }
            state = .binding(bound, messageID: id, dn: name, target: .realm(realm))
            let request = LoginRequest(identity: identity, password: Password(password), context: .ldap(bindDN: name))
            return .authenticateOnDirectory(messageID: id, realm: realm, bindName: name, request: request)
        }
    }

    /// The action for a request of a session bound on auto section `realm`'s directory; nil for
    /// what the session answers itself (binds, unbind, abandon, the root DSE, StartTLS, WhoAmI).
    private mutating func relayed(_ message: LDAPMessage, realm: Int, session: Session) -> Action? {
        let id = message.messageID
        switch message.protocolOp {
        case .searchRequest(let search):
            if search.baseObject.isEmpty, search.scope == .baseObject { return nil }
            if session.duoCheckedRealm == realm, !realms.realms[realm].options.allowSearchesAfterBind {
                state = .active(session)
                return reply(.searchRequest, id, .insufficientAccessRights, "searches after the user's bind are not allowed here",
                             log: "[\(realms.realms[realm].section)] search after the Duo-checked bind refused (allow_searches_after_bind=false)")
            }
        case .extendedRequest(let request):
            if request.requestName == LDAPOID.startTLS || request.requestName == LDAPOID.whoAmI { return nil }
        case .modifyRequest, .addRequest, .delRequest, .modifyDNRequest, .compareRequest:
            break
        case .bindRequest, .unbindRequest, .abandonRequest, .bindResponse, .searchResultEntry, .searchResultDone,
            .searchResultReference, .modifyResponse, .addResponse, .delResponse, .modifyDNResponse, .compareResponse,
            .extendedResponse, .intermediateResponse:
            return nil
        }
        state = .relaying(session, messageID: id, .operation(message.protocolOp.kind))
        return .relay(messageID: id, realm: realm, message)
    }

    private func search(_ id: Int32, _ search: LDAPMessage.SearchRequest, session: Session) -> Action {
        if search.baseObject.isEmpty, search.scope == .baseObject {
            return .send([Self.rootDSE(id, offersStartTLS: configuration.transport == .clearWithStartTLS && !session.protected),
                          Self.searchDone(id, LDAPResult(resultCode: .success))], log: nil)
        }
        guard case .integration(let index, _) = session.identity else {
            if directory.integrations.isEmpty { return reply(.searchRequest, id, .insufficientAccessRights, "bind first") }
            return reply(.searchRequest, id, .insufficientAccessRights, "bind as dc=<integration key>,dc=duosecurity,dc=com first")
        }
        let answer = directory.search(search, boundTo: index)
        return .send(answer.entries.map { LDAPMessage(messageID: id, protocolOp: .searchResultEntry($0)) } + [Self.searchDone(id, answer.result)], log: nil)
    }

    private mutating func extended(_ id: Int32, _ request: LDAPMessage.ExtendedRequest, session: Session, pipelinedBytes: Int) -> Action {
        state = .active(session)
        switch request.requestName {
        case LDAPOID.startTLS:
            switch configuration.transport {
            case .clear:
                return reply(.extendedRequest, id, .unavailable, "StartTLS is not available: no ssl_cert_path is configured")
            case .ldaps:
                return reply(.extendedRequest, id, .operationsError, "TLS is already established")
            case .clearWithStartTLS:
                break
            }
            if session.protected { return reply(.extendedRequest, id, .operationsError, "TLS is already established") }
            if pipelinedBytes > 0 {
                // RFC 4511 §4.14.1: nothing may follow the request before TLS; such bytes were sent in
                // the clear and are never taken as protected.
                return disconnect(.protocolError, "\(pipelinedBytes) bytes followed the StartTLS request in the clear")
            }
            state = .startingTLS(session)
            let response = LDAPMessage.ExtendedResponse(result: LDAPResult(resultCode: .success), responseName: LDAPOID.startTLS)
            return .sendThenStartTLS(LDAPMessage(messageID: id, protocolOp: .extendedResponse(response)))
        case LDAPOID.whoAmI:
            // RFC 4532 §2.2: "dn:" and the DN, or empty for anonymous.
            let authzID: String
            switch session.identity {
            case .anonymous: authzID = ""
            case .integration(_, let dn), .user(_, let dn): authzID = "dn:" + dn
            case .directory(_, let name):
                // RFC 4513 §5.2.1.8: "dn:" for a DN, "u:" for any other name.
                authzID = ((try? LDAPDN(parsing: name)) != nil ? "dn:" : "u:") + name
            }
            let response = LDAPMessage.ExtendedResponse(result: LDAPResult(resultCode: .success), responseValue: Array(authzID.utf8))
            return .send([LDAPMessage(messageID: id, protocolOp: .extendedResponse(response))], log: nil)
        default:
            // RFC 4511 §4.12: an unrecognized request name gets protocolError.
            return reply(.extendedRequest, id, .protocolError, "the extended operation \(request.requestName) is not supported")
        }
    }

    // MARK: - Building answers

    private mutating func disconnect(_ code: LDAPResultCode, _ why: String) -> Action {
        state = .closed
        return .sendAndClose([LDAPMessage.ExtendedResponse.noticeOfDisconnection(code, diagnosticMessage: why)], log: why)
    }

    /// The response `kind` calls for, with `code`; `log` defaults to the diagnostic of a refusal.
    private func reply(_ kind: LDAPOperationKind, _ id: Int32, _ code: LDAPResultCode, _ message: String, log: String? = nil) -> Action {
        let result = LDAPResult(resultCode: code, diagnosticMessage: message)
        guard let response = Self.response(to: kind, messageID: id, result) else { return .none }
        return .send([response], log: log ?? (code == .success ? nil : "\(kind) refused: \(code): \(message)"))
    }

    /// The response message for a request of `kind`; nil for requests without one.
    static func response(to kind: LDAPOperationKind, messageID id: Int32, _ result: LDAPResult) -> LDAPMessage? {
        let op: LDAPMessage.ProtocolOp
        switch kind {
        case .bindRequest: op = .bindResponse(.init(result: result))
        case .searchRequest: op = .searchResultDone(result)
        case .modifyRequest: op = .modifyResponse(result)
        case .addRequest: op = .addResponse(result)
        case .delRequest: op = .delResponse(result)
        case .modifyDNRequest: op = .modifyDNResponse(result)
        case .compareRequest: op = .compareResponse(result)
        case .extendedRequest: op = .extendedResponse(.init(result: result))
        case .unbindRequest, .abandonRequest, .bindResponse, .searchResultEntry, .searchResultDone, .modifyResponse, .addResponse,
            .delResponse, .modifyDNResponse, .compareResponse, .searchResultReference, .extendedResponse, .intermediateResponse:
            return nil
        }
        return LDAPMessage(messageID: id, protocolOp: op)
    }

    static func bindResponse(_ id: Int32, _ result: LDAPResult) -> LDAPMessage {
        LDAPMessage(messageID: id, protocolOp: .bindResponse(.init(result: result)))
    }

    static func searchDone(_ id: Int32, _ result: LDAPResult) -> LDAPMessage {
        LDAPMessage(messageID: id, protocolOp: .searchResultDone(result))
    }

    /// The root DSE (RFC 4512 §5.1): the version and extensions, no naming contexts (listing the
    /// integration keys would tell a stranger which ones to try).
    static func rootDSE(_ id: Int32, offersStartTLS: Bool) -> LDAPMessage {
        let extensions = (offersStartTLS ? [LDAPOID.startTLS] : []) + [LDAPOID.whoAmI]
        let entry = LDAPMessage.SearchResultEntry(objectName: "", attributes: [
            PartialAttribute(type: "objectClass", stringValues: ["top"]),
            PartialAttribute(type: "supportedLDAPVersion", stringValues: ["3"]),
            PartialAttribute(type: "supportedExtension", stringValues: extensions),
            PartialAttribute(type: "vendorName", stringValues: ["twofold"]),
        ])
        return LDAPMessage(messageID: id, protocolOp: .searchResultEntry(entry))
    }
}
