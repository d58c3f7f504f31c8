import LDAPWire
import NIOPosix
import Policy
import Testing
import TestSupport
import Upstream

/// The client connection on its own against slapd, and the directory `SlapdPeer` builds for the
/// `[ad_client]` tests: only the service account may search, and members carry `memberOf`.
@Suite("LDAP client connection against slapd", .serialized, .timeLimit(.minutes(3)))
struct LDAPClientConnectionTests {
    static func people(_ slapd: SlapdPeer, _ filter: LDAPFilter, attributes: [String] = ["1.1"]) -> LDAPMessage.SearchRequest {
        LDAPMessage.SearchRequest(baseObject: slapd.peopleDN, filter: filter, attributes: attributes)
    }

    @Test(.enabled(if: ADDirectory.shouldRun))
    func onlyTheServiceAccountSearchesAndMembersCarryMemberOf() async throws {
        try await ADDirectory.withRunning { slapd in
            let endpoint = ADClientConfiguration.Endpoint(host: "127.0.0.1", port: slapd.port)

            // Anonymous: the bind succeeds, the search sees nothing.
            let anonymous = try await LDAPClientConnection.connect(to: endpoint, security: .clear, timeout: .seconds(10))
            #expect(try await anonymous.bind(name: "", password: Password("")).resultCode == .success)
            let hidden = try await anonymous.search(Self.people(slapd, .present("objectClass")), maximumEntries: 10)
            #expect(hidden.entryCount == 0)
            await anonymous.close()
            #expect(!anonymous.isActive)

            // The service account sees alice's memberOf, kept by the memberof overlay.
            let service = try await LDAPClientConnection.connect(to: endpoint, security: .clear, timeout: .seconds(10))
            let serviceDN = try #require(slapd.serviceAccountDN)
            #expect(try await service.bind(name: serviceDN, password: Password(ADDirectory.service.password)).resultCode == .success)
            let alice = try await service.search(
                Self.people(slapd, .equal("sAMAccountName", "alice"), attributes: ["memberOf", "primaryGroupID"]), maximumEntries: 2)
            #expect(alice.entries.map(\.objectName) == [slapd.dn(of: "alice")])
            #expect(alice.entries.first?.values(of: "memberOf") == [Array(slapd.groupDN(of: "vpn").utf8)])
            #expect(alice.entries.first?.values(of: "primaryGroupID") == [Array("513".utf8)])

            // A search over everyone keeps two entries and counts the rest.
            let everyone = try await service.search(Self.people(slapd, .equal("objectClass", "inetOrgPerson")), maximumEntries: 2)
            #expect(everyone.entries.count == 2)
            #expect(everyone.entryCount == ADDirectory.users.count)
            #expect(everyone.result.resultCode == .success)

            // The server's size limit: sizeLimitExceeded after two entries.
            var limited = Self.people(slapd, .present("objectClass"))
            limited.sizeLimit = 2
            let capped = try await service.search(limited, maximumEntries: 2)
            #expect(capped.result.resultCode == .sizeLimitExceeded)
            #expect(capped.entryCount == 2)
            await service.close()
        }
    }

    @Test(.enabled(if: ADDirectory.shouldRun))
    func operationsAfterTheServerClosedFailAsClosed() async throws {
        let slapd = try await SlapdPeer.start(users: ADDirectory.users, serviceAccount: ADDirectory.service, activeDirectoryAttributes: true)
        let endpoint = ADClientConfiguration.Endpoint(host: "127.0.0.1", port: slapd.port)
        let connection = try await LDAPClientConnection.connect(to: endpoint, security: .clear, timeout: .seconds(10))
        await slapd.stop()
        try await Wait.until("the connection notices slapd is gone", timeout: .seconds(20)) { !connection.isActive }
        do {
            _ = try await connection.bind(name: "", password: Password(""))
            Issue.record("a bind on a closed connection succeeded")
        } catch {
            #expect(error.kind == .connectionClosed, "\(error)")
            #expect(error.diagnostic.contains("127.0.0.1:\(slapd.port)"))
        }
    }
}
