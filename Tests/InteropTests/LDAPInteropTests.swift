import Foundation
import LDAPWire
import NIOCore
import NIOPosix
import Testing
import TestSupport

/// Live LDAP: what OpenLDAP's `ldapwhoami` / `ldapsearch` send is decoded by us, and what we encode is
/// understood by `slapd`, whose answers we decode. Everything on 127.0.0.1.
@Suite("LDAP interop with OpenLDAP", .serialized, .timeLimit(.minutes(2)))
struct LDAPInteropTests {
    static let whoAmIIdentity = "dn:uid=alice,ou=people,dc=example,dc=com"

    /// Answers like a tiny directory: binds succeed, WhoAmI names alice, searches find nothing.
    @Sendable static func answer(_ message: LDAPMessage) -> [LDAPMessage] {
        let success = LDAPResult(resultCode: .success)
        switch message.protocolOp {
        case .bindRequest:
            return [LDAPMessage(messageID: message.messageID, protocolOp: .bindResponse(.init(result: success)))]
        case .extendedRequest:
            return [LDAPMessage(
                messageID: message.messageID,
                protocolOp: .extendedResponse(.init(result: success, responseValue: Array(whoAmIIdentity.utf8))))]
        case .searchRequest:
            return [LDAPMessage(messageID: message.messageID, protocolOp: .searchResultDone(success))]
        default:
            return []
        }
    }

    @Test(.enabled(if: Peers.shouldRun("ldapwhoami", "ldapsearch")))
    func openLDAPClientsAreDecoded() async throws {
        let ldapwhoami = try Peers.tool("ldapwhoami")
        let ldapsearch = try Peers.tool("ldapsearch")
        let server = try await startCaptureServer(group: MultiThreadedEventLoopGroup.singleton, respond: Self.answer)
        let port = try #require(server.channel.localAddress?.port)
        let url = "ldap://127.0.0.1:\(port)"
        defer { server.channel.close(promise: nil) }

        let whoami = try await PeerProcess.run(
            ldapwhoami, ["-x", "-H", url, "-D", "uid=alice,ou=people,dc=example,dc=com", "-w", "alice-secret-1"],
            timeout: .seconds(30))
        #expect(whoami.status == 0, "\(whoami.stderr)")
        #expect(whoami.stdout.contains(Self.whoAmIIdentity))
        try await Wait.until("ldapwhoami's unbind arrives", timeout: .seconds(10)) { server.received().count >= 3 }
        #expect(server.failure() == nil)
        let fromWhoami = server.received()
        #expect(fromWhoami == [
            LDAPMessage(
                messageID: 1,
                protocolOp: .bindRequest(.simple(name: "uid=alice,ou=people,dc=example,dc=com", password: Array("alice-secret-1".utf8)))),
            LDAPMessage(messageID: 2, protocolOp: .extendedRequest(.whoAmI)),
            LDAPMessage(messageID: 3, protocolOp: .unbindRequest),
        ])

        let filter = "(&(objectClass=person)(|(uid=a*)(cn=*b*)))"
        let search = try await PeerProcess.run(
            ldapsearch, ["-x", "-H", url, "-D", "cn=admin,dc=example,dc=com", "-w", "admin-secret-0",
                         "-b", "dc=example,dc=com", "-s", "sub", "-z", "10", filter, "cn", "mail"],
            timeout: .seconds(30))
        #expect(search.status == 0, "\(search.stderr)")
        try await Wait.until("ldapsearch's unbind arrives", timeout: .seconds(10)) { server.received().count >= 6 }
        #expect(server.failure() == nil)
        let fromSearch = Array(server.received().dropFirst(3))
        #expect(fromSearch.count == 3)
        guard fromSearch.count == 3 else { return }
        #expect(fromSearch[0].protocolOp == .bindRequest(.simple(name: "cn=admin,dc=example,dc=com", password: Array("admin-secret-0".utf8))))
        #expect(fromSearch[1] == LDAPMessage(
            messageID: 2,
            protocolOp: .searchRequest(.init(
                baseObject: "dc=example,dc=com", scope: .wholeSubtree, derefAliases: .neverDerefAliases, sizeLimit: 10,
                timeLimit: 0, typesOnly: false, filter: try LDAPFilter(parsing: filter), attributes: ["cn", "mail"]))))
        guard case .searchRequest(let request) = fromSearch[1].protocolOp else { return }
        #expect(request.filter.description == filter)
        #expect(fromSearch[2].protocolOp == .unbindRequest)

        // Our encoder reproduces what the OpenLDAP clients sent, byte for byte.
        let frames = server.frames()
        #expect(frames.count == 6)
        for (message, frame) in zip(server.received(), frames) {
            #expect(message.encodedBytes() == frame, "\(message)")
        }
    }

    @Test(.enabled(if: Peers.shouldRun("slapd", "slapadd")))
    func slapdUnderstandsOurRequestsAndWeDecodeItsAnswers() async throws {
        try await SlapdPeer.withRunning { slapd in try await exchangeWithSlapd(slapd) }
    }

    func exchangeWithSlapd(_ slapd: SlapdPeer) async throws {
        let alice = try #require(slapd.user("alice"))
        let client = try await LDAPTestClient.connect(port: slapd.port, group: MultiThreadedEventLoopGroup.singleton)
        defer { client.channel.close(promise: nil) }

        // A wrong password: invalidCredentials (49).
        var messages = try await client.exchange(
            LDAPMessage(messageID: 1, protocolOp: .bindRequest(.simple(name: slapd.dn(of: "alice"), password: Array("wrong".utf8)))),
            untilTotal: 1)
        #expect(messages.last == LDAPMessage(
            messageID: 1, protocolOp: .bindResponse(.init(result: .init(resultCode: .invalidCredentials)))))

        // The right one: success.
        messages = try await client.exchange(
            LDAPMessage(messageID: 2, protocolOp: .bindRequest(.simple(name: slapd.dn(of: "alice"), password: Array(alice.password.utf8)))),
            untilTotal: 2)
        #expect(messages.last == LDAPMessage(messageID: 2, protocolOp: .bindResponse(.init(result: .init(resultCode: .success)))))

        // WhoAmI names alice.
        messages = try await client.exchange(
            LDAPMessage(messageID: 3, protocolOp: .extendedRequest(.whoAmI)), untilTotal: 3)
        guard case .extendedResponse(let whoAmI) = messages.last?.protocolOp else {
            Issue.record("no ExtendedResponse: \(messages)")
            return
        }
        #expect(messages.last?.messageID == 3)
        #expect(whoAmI.result.resultCode == .success)
        #expect(whoAmI.whoAmIAuthzID == "dn:\(slapd.dn(of: "alice"))")

        // The nested search finds alice (uid=a*) and bob (cn=*b*), with the requested attributes.
        let search = LDAPMessage(
            messageID: 4,
            protocolOp: .searchRequest(.init(
                baseObject: slapd.baseDN, filter: try LDAPFilter(parsing: "(&(objectClass=person)(|(uid=a*)(cn=*b*)))"),
                attributes: ["cn", "mail"])))
        messages = try await client.exchange(search, untilTotal: 6)
        let answers = Array(messages.dropFirst(3))
        #expect(answers.allSatisfy { $0.messageID == 4 })
        let entries = answers.compactMap { message -> LDAPMessage.SearchResultEntry? in
            if case .searchResultEntry(let entry) = message.protocolOp { return entry }
            return nil
        }.sorted { $0.objectName < $1.objectName }
        #expect(entries.map(\.objectName) == [slapd.dn(of: "alice"), slapd.dn(of: "bob")])
        #expect(entries.first?.values(of: "cn") == [Array("Alice Liddell".utf8)])
        #expect(entries.first?.values(of: "mail") == [Array("alice@example.com".utf8)])
        #expect(entries.last?.values(of: "cn") == [Array("Bob Builder".utf8)])
        #expect(entries.last?.values(of: "mail") == nil)
        #expect(answers.last?.protocolOp == .searchResultDone(.init(resultCode: .success)))

        // A username with filter metacharacters, placed as a tree, finds nobody.
        let injected = LDAPMessage(
            messageID: 5,
            protocolOp: .searchRequest(.init(baseObject: slapd.baseDN, filter: .equal("uid", "*)(uid=*"), attributes: ["1.1"])))
        messages = try await client.exchange(injected, untilTotal: 7)
        #expect(messages.last == LDAPMessage(messageID: 5, protocolOp: .searchResultDone(.init(resultCode: .success))))

        // A base that does not exist: noSuchObject (32) with the matched DN.
        let missing = LDAPMessage(
            messageID: 6, protocolOp: .searchRequest(.init(baseObject: "ou=nobody,\(slapd.baseDN)", filter: .present("objectClass"))))
        messages = try await client.exchange(missing, untilTotal: 8)
        #expect(messages.last?.protocolOp == .searchResultDone(.init(resultCode: .noSuchObject, matchedDN: slapd.baseDN)))

        // slapd's answers re-encode to slapd's bytes.
        for (message, frame) in zip(client.collector.messages, client.collector.frames) {
            #expect(message.encodedBytes() == frame, "\(message)")
        }
        try await client.send(LDAPMessage(messageID: 7, protocolOp: .unbindRequest))
        await client.close()
        #expect(client.collector.error == nil)
    }
}
