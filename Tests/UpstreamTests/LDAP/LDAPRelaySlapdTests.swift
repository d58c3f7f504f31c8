import Foundation
import LDAPWire
import Policy
import Testing
import TestSupport

@testable import Upstream

/// The relay connection of `[ldap_server_auto]` against a real slapd: a client's operations as they
/// came, answered by the directory under the identity the connection was bound with.
@Suite("LDAP relay against slapd", .serialized, .timeLimit(.minutes(3)))
struct LDAPRelaySlapdTests {
    @Test(.enabled(if: ADDirectory.shouldRun))
    func operationsAreAnsweredAsTheBoundIdentityMayDoThem() async throws {
        try await ADDirectory.withRunning { slapd in
            let client = try ADClient(configuration: ADDirectory.configuration(slapd))
            defer { Task { await client.shutdown() } }
            let connection = try await client.openRelayConnection(timeout: .seconds(5))
            defer { connection.closeSoon() }
            let search = LDAPMessage.ProtocolOp.searchRequest(.init(
                baseObject: slapd.peopleDN, filter: try LDAPFilter(parsing: "(uid=alice)"), attributes: ["cn"]))

            // Unbound: the locked-down directory shows nothing.
            let anonymous = try await connection.relay(search, controls: [], limits: .init(maximumResponses: 10))
            #expect(anonymous.map(\.protocolOp.kind) == [.searchResultDone], "\(anonymous)")

            // A relayed bind changes the connection's identity; the service account may read.
            let bind = LDAPMessage.ProtocolOp.bindRequest(.simple(name: slapd.serviceAccountDN!, password: Array(ADDirectory.service.password.utf8)))
            let bound = try await connection.relay(bind, controls: [], limits: .init(maximumResponses: 1))
            guard case .bindResponse(let response) = bound.last?.protocolOp else {
                Issue.record("expected a BindResponse, got \(bound)")
                return
            }
            #expect(response.result.resultCode == .success)
            let found = try await connection.relay(search, controls: [], limits: .init(maximumResponses: 10))
            #expect(found.map(\.protocolOp.kind) == [.searchResultEntry, .searchResultDone], "\(found)")
            if case .searchResultEntry(let entry) = found.first?.protocolOp {
                #expect(entry.objectName == slapd.dn(of: "alice"))
            }

            // Beyond the cap: the entries kept and sizeLimitExceeded.
            let everyone = LDAPMessage.ProtocolOp.searchRequest(.init(baseObject: slapd.peopleDN, filter: .present("objectClass")))
            let capped = try await connection.relay(everyone, controls: [], limits: .init(maximumResponses: 2))
            #expect(capped.count == 3, "\(capped.map(\.protocolOp.kind))")
            if case .searchResultDone(let result) = capped.last?.protocolOp { #expect(result.resultCode == .sizeLimitExceeded) }

            // A compare, and a write the service account may not do: the directory's answers.
            let compare = try await connection.relay(
                .compareRequest(.init(entry: slapd.dn(of: "alice"), ava: LDAPAttributeValueAssertion("cn", "Alice Liddell"))),
                controls: [], limits: .init(maximumResponses: 1))
            #expect(compare.last?.protocolOp == .compareResponse(LDAPResult(resultCode: .compareTrue)), "\(compare)")
            let delete = try await connection.relay(.delRequest(.init(entry: slapd.dn(of: "bob"))), controls: [], limits: .init(maximumResponses: 1))
            guard case .delResponse(let refused) = delete.last?.protocolOp else {
                Issue.record("expected a DelResponse, got \(delete)")
                return
            }
            #expect(refused.resultCode == .insufficientAccessRights)
        }
    }
}
