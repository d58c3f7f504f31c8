import LDAPWire
import Policy
import Upstream

/// The primary of a bind to an `[ldap_server_auto]` section: the simple bind itself, as the client
/// sent it, on the client's own upstream connection (with the password Policy split off a
/// `password,factor`). A DN that binds is the user's entry, for `exempt_ou_N`.
struct LDAPRelayedBindPrimary: PrimaryAuthenticator {
    let name: String
    let upstream: LDAPRelayUpstream
    let bindName: String

    func authenticate(_ request: PrimaryRequest) async -> PrimaryOutcome {
        let result: LDAPResult
        do throws(LDAPClientError) {
            result = try await upstream.connection().bind(name: bindName, password: request.password)
        } catch {
            upstream.close(final: false)
            return .unavailable(diagnostic: "[\(name)] \(error.diagnostic)")
        }
        let answered = "bind as \(bindName) answered \(result.resultCode)"
            + (result.diagnosticMessage.isEmpty ? "" : " (\(result.diagnosticMessage))")
        switch result.resultCode {
        case .success:
            let dn = (try? LDAPDN(parsing: bindName)).map { _ in bindName }
            return .accepted(PrimaryAccept(distinguishedName: dn))
        case .invalidCredentials:
            return .rejected(PrimaryRejection(.wrongPassword, diagnostic: answered))
        case .busy, .unavailable, .other:
            return .unavailable(diagnostic: answered)
        default:
            return .rejected(PrimaryRejection(.refusedByServer, diagnostic: answered))
        }
    }
}
