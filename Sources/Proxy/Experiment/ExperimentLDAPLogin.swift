import LDAPWire
import NIOSSL
import Policy
import Upstream

/// One Juniper-style login against an `[ldap_server_duo_only]` listener, as the device makes it: a
/// new connection, the integration bind (`dc=IKEY,dc=duosecurity,dc=com` with the secret key), the
/// search for `(cn=USER)`, then the user's bind with the second factor. The answer's diagnostic
/// message says whether failmode decided (the policy's failmode text, as in its auth event).
struct ExperimentLDAPLogin: Sendable {
    var endpoint: ADClientConfiguration.Endpoint
    var security: LDAPClientSecurity
    var integrationKey: String
    var secretKey: String
    /// The user's bind password: Duo-only sections take the factor there.
    var factor: String
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

    typealias Answer = (ExperimentLogin.Outcome, failmode: Bool)

    /// The whole login within `timeout`, and when it was decided (the answer, or the timeout; closing
    /// the connection afterwards is not part of it). When the time is up the connection is closed,
    /// which fails the operation still waiting, so that a Duo that hangs cannot hold the experiment.
    func run(user: String) async -> (Answer, decided: ContinuousClock.Instant) {
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

    private func attempt(user: String, on connection: LDAPClientConnection) async -> Answer {
        do {
            let base = "dc=\(integrationKey),dc=duosecurity,dc=com"
            let integration = try await connection.bind(name: base, password: Password(secretKey))
            guard integration.resultCode == .success else { return (.rejected, false) }
            let found = try await connection.search(
                LDAPMessage.SearchRequest(baseObject: base, filter: .equal("cn", user), attributes: ["cn"]), maximumEntries: 2)
            guard found.result.resultCode == .success, let entry = found.entries.first else { return (.rejected, false) }
            let bound = try await connection.bind(name: entry.objectName, password: Password(factor))
            let failmode = ExperimentRunner.failmodeMessages.contains(bound.diagnosticMessage)
            return (bound.resultCode == .success ? .accepted : .rejected, failmode)
        } catch {
            return (.timeout, false)
        }
    }
}
