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

    func run(user: String) async -> (ExperimentLogin.Outcome, failmode: Bool) {
        await withTaskGroup(of: (ExperimentLogin.Outcome, failmode: Bool)?.self) { group in
            group.addTask { await attempt(user: user) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return Task.isCancelled ? nil : (.timeout, false)
            }
            var answer: (ExperimentLogin.Outcome, failmode: Bool) = (.timeout, false)
            for await result in group {
                if let result {
                    answer = result
                    break
                }
            }
            group.cancelAll()
            return answer
        }
    }

    private func attempt(user: String) async -> (ExperimentLogin.Outcome, failmode: Bool) {
        let connection: LDAPClientConnection
        do {
            connection = try await LDAPClientConnection.connect(to: endpoint, security: security, timeout: timeout)
        } catch {
            return (.timeout, false)
        }
        defer { Task { await connection.close() } }
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
