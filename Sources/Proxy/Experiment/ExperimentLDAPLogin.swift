import LDAPWire
import NIOSSL
import Policy
import Upstream

/// One login against an LDAP listener, as a device makes it, on a new connection:
/// - `[ldap_server_duo_only]` (Juniper): the integration bind (`dc=IKEY,dc=duosecurity,dc=com` with
///   the secret key), the search for `(cn=USER)`, then the user's bind with the second factor (`push`);
/// - `[ldap_server_auto]` (a directory behind twofold): the `[ad_client]` service account's bind (the
///   primary bind a VPN makes first), a subtree search for `(username_attribute=USER)` under
///   `search_dn`, then the user's bind with the user's password (the directory, then Duo).
///
/// The answer's diagnostic message says whether failmode decided (the policy's failmode text, as in
/// its auth event).
struct ExperimentLDAPLogin: Sendable {
    enum Flow: Hashable, Sendable {
        case duoOnly(integrationKey: String, secretKey: String)
        case directory(serviceDN: String, servicePassword: String, searchBase: String, usernameAttribute: String)
    }

    var endpoint: ADClientConfiguration.Endpoint
    var security: LDAPClientSecurity
    var flow: Flow
    var timeout: Duration

    /// LDAPS to the experiment's own listener: its certificate is the administrator's, not one the
    /// experiment could verify, and nothing secret of a real user crosses the loopback connection.
    static func security(ldaps: Bool) throws -> LDAPClientSecurity {
        guard ldaps else { return .clear }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.certificateVerification = .none
        return .ldaps(try NIOSSLContext(configuration: tls))
    }

    /// Whether the primary is expected to accept `user`'s login: Duo-only sections have no primary
    /// (the bind carries the factor, never the password), so every login passes it.
    func expectPrimary(_ user: ExperimentUser) -> Bool {
        switch flow {
        case .duoOnly: true
        case .directory: user.expectPrimary
        }
    }

    typealias Answer = (ExperimentLogin.Outcome, failmode: Bool)

    /// The whole login within `timeout`, and when it was decided (the answer, or the timeout; closing
    /// the connection afterwards is not part of it). When the time is up the connection is closed,
    /// which fails the operation still waiting, so that a Duo that hangs cannot hold the experiment.
    func run(user: ExperimentUser) async -> (Answer, decided: ContinuousClock.Instant) {
        let began = ContinuousClock.now
        let connection: LDAPClientConnection
        do {
            connection = try await LDAPClientConnection.connect(to: endpoint, security: security, timeout: timeout)
        } catch {
            return ((.timeout, false), .now)
        }
        let remaining = timeout - began.duration(to: .now)
        let answer = await withTaskGroup(of: Answer?.self) { group -> (Answer, decided: ContinuousClock.Instant) in
            group.addTask { await attempt(user: user, on: connection) }
            group.addTask {
                try? await Task.sleep(for: remaining)
                return nil
            }
            let first = await group.next() ?? nil
            let decided = ContinuousClock.now
            if first == nil { await connection.close() }
            group.cancelAll()
            return (first ?? (.timeout, false), decided)
        }
        await connection.close()
        return answer
    }

    private func attempt(user: ExperimentUser, on connection: LDAPClientConnection) async -> Answer {
        let first: (name: String, password: String, search: LDAPMessage.SearchRequest, userPassword: String)
        switch flow {
        case .duoOnly(let integrationKey, let secretKey):
            let base = "dc=\(integrationKey),dc=duosecurity,dc=com"
            first = (base, secretKey, LDAPMessage.SearchRequest(baseObject: base, filter: .equal("cn", user.name), attributes: ["cn"]), "push")
        case .directory(let serviceDN, let servicePassword, let searchBase, let usernameAttribute):
            first = (
                serviceDN, servicePassword,
                LDAPMessage.SearchRequest(baseObject: searchBase, filter: .equal(usernameAttribute, user.name), attributes: ["1.1"]),
                user.password
            )
        }
        do {
            // The device's own bind: with exempt_primary_bind=false it goes to Duo too, so a refusal
            // may be failmode's.
            let bound = try await connection.bind(name: first.name, password: Password(first.password))
            guard bound.resultCode == .success else {
                return (.rejected, ExperimentRunner.failmodeMessages.contains(bound.diagnosticMessage))
            }
            let found = try await connection.search(first.search, maximumEntries: 2)
            guard found.result.resultCode == .success, found.entries.count == 1, let entry = found.entries.first else { return (.rejected, false) }
            let answer = try await connection.bind(name: entry.objectName, password: Password(first.userPassword))
            let failmode = ExperimentRunner.failmodeMessages.contains(answer.diagnosticMessage)
            return (answer.resultCode == .success ? .accepted : .rejected, failmode)
        } catch {
            return (.timeout, false)
        }
    }
}
