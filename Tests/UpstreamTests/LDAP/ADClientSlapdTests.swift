import Foundation
import LDAPWire
import Policy
import Testing
import TestSupport

@testable import Upstream

/// `[ad_client]` against a real OpenLDAP slapd with AD's attribute names, on 127.0.0.1.
@Suite("ADClient against slapd", .serialized, .timeLimit(.minutes(5)))
struct ADClientSlapdTests {
    @Test(.enabled(if: ADDirectory.shouldRun))
    func passwordsGroupsAndNamesAgainstOneDirectory() async throws {
        try await ADDirectory.withRunning { slapd in
            let client = try ADClient(configuration: ADDirectory.configuration(slapd))
            defer { Task { await client.shutdown() } }

            // The right password: accepted with the entry's DN.
            expectAccepted(await ADDirectory.login(client, "alice", "alice-secret-1"), dn: slapd.dn(of: "alice"))
            // Names compare as the directory compares them (caseIgnoreMatch).
            expectAccepted(await ADDirectory.login(client, "ALICE", "alice-secret-1"), dn: slapd.dn(of: "alice"))

            // A wrong password: wrongPassword, naming the server and DN, never the password.
            let wrong = expectRejected(await ADDirectory.login(client, "alice", "not-her-password"), .wrongPassword)
            #expect(wrong.contains("127.0.0.1:\(slapd.port)"))
            #expect(wrong.contains(slapd.dn(of: "alice")))
            #expect(!wrong.contains("not-her-password"))

            // Another user's password does not open alice.
            expectRejected(await ADDirectory.login(client, "alice", "bob-secret-2"), .wrongPassword)

            // Unknown: the same outward class (rejected), its own kind for the log.
            let unknown = expectRejected(await ADDirectory.login(client, "mallory", "whatever-1"), .unknownUser)
            #expect(unknown.contains("sAMAccountName=mallory"))

            // Two entries with one name: nobody may log in, not even with a right password.
            expectRejected(await ADDirectory.login(client, "dave", "dave-secret-4"), .ambiguousUser)

            // user@domain goes through at_attribute (userPrincipalName) only.
            expectAccepted(await ADDirectory.login(client, "alice@example.com", "alice-secret-1"), dn: slapd.dn(of: "alice"))
            expectRejected(await ADDirectory.login(client, "alice@evil.example", "alice-secret-1"), .unknownUser)
            expectRejected(await ADDirectory.login(client, "alice@example.com", "wrong-one"), .wrongPassword)
        }
    }

    @Test(.enabled(if: ADDirectory.shouldRun))
    func injectionAttemptsFindNobody() async throws {
        try await ADDirectory.withRunning { slapd in
            let client = try ADClient(configuration: ADDirectory.configuration(slapd))
            defer { Task { await client.shutdown() } }
            let attempts = ["*", "*)(uid=*", "alice)(|(uid=*", "alice\u{0}", "\\", "alice\\", "\\2a", "a*", "*)(sAMAccountName=alice",
                            "alice)(&", "(&)", "*@*"]
            for username in attempts {
                // Even with alice's password: the filter is a tree, so the name matches only itself.
                expectRejected(await ADDirectory.login(client, username, "alice-secret-1"), .unknownUser)
            }
        }
    }

    @Test(.enabled(if: ADDirectory.shouldRun))
    func theSecurityGroupIsEnforced() async throws {
        try await ADDirectory.withRunning { slapd in
            let client = try ADClient(configuration: ADDirectory.configuration(slapd, securityGroup: true))
            defer { Task { await client.shutdown() } }
            // alice is a member (memberOf from the overlay).
            expectAccepted(await ADDirectory.login(client, "alice", "alice-secret-1"), dn: slapd.dn(of: "alice"))
            // bob is not, and says so whatever the password.
            let bob = expectRejected(await ADDirectory.login(client, "bob", "bob-secret-2"), .notInGroup)
            #expect(bob.contains(slapd.dn(of: "bob")))
            #expect(bob.contains("primaryGroupID \(ADDirectory.domainUsersToken)"))
            // carol's primaryGroupID is the group's primaryGroupToken: a member, as in AD.
            expectAccepted(await ADDirectory.login(client, "carol", "carol-secret-3"), dn: slapd.dn(of: "carol"))
            // A member with a wrong password is still a wrong password.
            expectRejected(await ADDirectory.login(client, "alice", "nope-nope"), .wrongPassword)
        }
    }

    @Test(.enabled(if: ADDirectory.shouldRun))
    func ldapFilterRestrictsWhoIsFound() async throws {
        try await ADDirectory.withRunning { slapd in
            // Only entries with a mail attribute: alice has one, bob has none.
            let client = try ADClient(configuration: ADDirectory.configuration(slapd, ldapFilter: "(mail=*)"))
            defer { Task { await client.shutdown() } }
            expectAccepted(await ADDirectory.login(client, "alice", "alice-secret-1"), dn: slapd.dn(of: "alice"))
            let bob = expectRejected(await ADDirectory.login(client, "bob", "bob-secret-2"), .unknownUser)
            #expect(bob.contains("(&(sAMAccountName=bob)(mail=*))"))
        }
    }

    @Test(.enabled(if: ADDirectory.shouldRun))
    func anEmptyPasswordNeverOpensAConnection() async throws {
        let witness = try await SilentListener.start()
        defer { Task { await witness.stop() } }
        let configuration = try ADClientConfiguration(
            hosts: ["127.0.0.1"], port: witness.port, authType: "plain", bindDN: "cn=svc,dc=example,dc=com",
            serviceAccountPassword: Password("svc"), searchDN: "dc=example,dc=com")
        let client = try ADClient(configuration: configuration)
        let outcome = await ADDirectory.login(client, "alice", "")
        expectRejected(outcome, .emptyPassword)
        #expect(client.connectionsOpened == 0)
        #expect(witness.acceptedConnections == 0)
        // Nor does an empty, oversized or control-character username.
        for username in ["", String(repeating: "a", count: 1025), "alice\u{0}", "alice\r\nuid: admin", "\u{7f}"] {
            expectRejected(await ADDirectory.login(client, username, "secret"), .unknownUser)
        }
        #expect(client.connectionsOpened == 0)
        #expect(witness.acceptedConnections == 0)
    }

    @Test(.enabled(if: ADDirectory.shouldRun))
    func serviceConnectionsArePooledAndUserBindsAreNot() async throws {
        try await ADDirectory.withRunning { slapd in
            let client = try ADClient(configuration: ADDirectory.configuration(slapd))
            defer { Task { await client.shutdown() } }
            expectAccepted(await ADDirectory.login(client, "alice", "alice-secret-1"), dn: slapd.dn(of: "alice"))
            // One service connection (bound, searched, kept) and one for alice's bind.
            #expect(client.connectionsOpened == 2)
            #expect(client.idleServiceConnections == 1)
            expectRejected(await ADDirectory.login(client, "alice", "wrong-again"), .wrongPassword)
            // The service connection was reused; the user bind had a fresh one.
            #expect(client.connectionsOpened == 3)
            // An unknown user costs a search on the pooled connection and the equalizing bind.
            expectRejected(await ADDirectory.login(client, "mallory", "wrong-again"), .unknownUser)
            #expect(client.connectionsOpened == 4)
            #expect(client.idleServiceConnections == 1)
        }
    }

    @Test(.enabled(if: ADDirectory.shouldRun))
    func concurrentLoginsShareABoundedPool() async throws {
        try await ADDirectory.withRunning { slapd in
            let client = try ADClient(configuration: ADDirectory.configuration(slapd, securityGroup: true), maximumIdleConnectionsPerHost: 3)
            defer { Task { await client.shutdown() } }
            let logins: [(String, String, PrimaryRejection.Kind?)] = [
                ("alice", "alice-secret-1", nil), ("alice", "wrong-1", .wrongPassword), ("bob", "bob-secret-2", .notInGroup),
                ("carol", "carol-secret-3", nil), ("mallory", "x-1", .unknownUser), ("dave", "dave-secret-4", .ambiguousUser),
            ]
            let rounds = 5
            let outcomes = await withTaskGroup(of: (Int, PrimaryOutcome).self) { group in
                for index in 0..<(logins.count * rounds) {
                    let login = logins[index % logins.count]
                    group.addTask { (index, await ADDirectory.login(client, login.0, login.1)) }
                }
                var all: [(Int, PrimaryOutcome)] = []
                for await outcome in group { all.append(outcome) }
                return all
            }
            #expect(outcomes.count == logins.count * rounds)
            for (index, outcome) in outcomes {
                let login = logins[index % logins.count]
                if let kind = login.2 {
                    expectRejected(outcome, kind)
                } else {
                    expectAccepted(outcome, dn: slapd.dn(of: login.0))
                }
            }
            #expect(client.idleServiceConnections <= 3)
        }
    }

    @Test(.enabled(if: ADDirectory.shouldRun))
    func aPooledConnectionTheServerClosedIsReplaced() async throws {
        try await ADDirectory.withRunning(idleTimeout: 1) { slapd in
            let client = try ADClient(configuration: ADDirectory.configuration(slapd))
            defer { Task { await client.shutdown() } }
            expectAccepted(await ADDirectory.login(client, "alice", "alice-secret-1"), dn: slapd.dn(of: "alice"))
            let opened = client.connectionsOpened
            // slapd drops connections idle for a second.
            try await Wait.until("slapd closes the idle service connection", timeout: .seconds(30)) {
                client.idleServiceConnections == 0
            }
            expectAccepted(await ADDirectory.login(client, "alice", "alice-secret-1"), dn: slapd.dn(of: "alice"))
            // A new service connection and the user's.
            #expect(client.connectionsOpened == opened + 2)
        }
    }

    @Test(.enabled(if: ADDirectory.shouldRun))
    func aWrongServicePasswordIsUnavailableAndSaysWhatToCheck() async throws {
        try await ADDirectory.withRunning { slapd in
            let client = try ADClient(configuration: ADDirectory.configuration(slapd, servicePassword: "not-the-service-password"))
            defer { Task { await client.shutdown() } }
            let diagnostic = expectUnavailable(await ADDirectory.login(client, "alice", "alice-secret-1"))
            #expect(diagnostic.contains("127.0.0.1:\(slapd.port)"))
            #expect(diagnostic.contains("invalidCredentials"))
            #expect(diagnostic.contains("service_account_password"))
            #expect(!diagnostic.contains("not-the-service-password"))
            #expect(!diagnostic.contains("alice-secret-1"))
        }
    }

    /// All hosts share the section's port (as in the reference), so the dead first host is another
    /// loopback address: nothing listens on 127.0.0.2, and the connection is refused.
    @Test(.enabled(if: ADDirectory.shouldRun))
    func aRefusingFirstHostFailsOverToTheSecond() async throws {
        try await ADDirectory.withRunning { slapd in
            let client = try ADClient(configuration: ADDirectory.configuration(slapd, hosts: ["127.0.0.2", "127.0.0.1"]))
            defer { Task { await client.shutdown() } }
            expectAccepted(await ADDirectory.login(client, "alice", "alice-secret-1"), dn: slapd.dn(of: "alice"))
            expectRejected(await ADDirectory.login(client, "alice", "wrong-password"), .wrongPassword)
            expectRejected(await ADDirectory.login(client, "mallory", "wrong-password"), .unknownUser)
        }
    }

    /// The first host accepts TCP on the section's port and never answers: after `timeout` it is
    /// skipped, and the second host decides.
    @Test(.enabled(if: ADDirectory.shouldRun))
    func aHostThatHangsIsSkippedAfterTheTimeout() async throws {
        try await ADDirectory.withRunning { slapd in
            let hanging = try await SilentListener.start(host: "127.0.0.2", port: slapd.port)
            defer { Task { await hanging.stop() } }
            let client = try ADClient(configuration: ADDirectory.configuration(
                slapd, hosts: ["127.0.0.2", "127.0.0.1"], timeout: .seconds(1)))
            defer { Task { await client.shutdown() } }
            let started = ContinuousClock.now
            expectAccepted(await ADDirectory.login(client, "alice", "alice-secret-1"), dn: slapd.dn(of: "alice"))
            #expect(hanging.acceptedConnections >= 1)
            #expect(ContinuousClock.now - started >= .seconds(1))
        }
    }

    @Test(.enabled(if: ADDirectory.shouldRun))
    func aHangingOnlyHostIsUnavailableAfterTheTimeout() async throws {
        let hanging = try await SilentListener.start()
        defer { Task { await hanging.stop() } }
        let configuration = try ADClientConfiguration(
            hosts: ["127.0.0.1"], port: hanging.port, authType: "plain", bindDN: "cn=svc,dc=example,dc=com",
            serviceAccountPassword: Password("svc-secret"), searchDN: "dc=example,dc=com", timeout: .seconds(1))
        let client = try ADClient(configuration: configuration)
        let diagnostic = expectUnavailable(await ADDirectory.login(client, "alice", "alice-secret-1"))
        #expect(diagnostic.contains("127.0.0.1:\(hanging.port): no answer to bind within 1.0 seconds"), "\(diagnostic)")
    }

    @Test(.enabled(if: ADDirectory.shouldRun))
    func allHostsDownIsUnavailableNamingEachHost() async throws {
        let port = try FreePort.tcp()
        let configuration = try ADClientConfiguration(
            hosts: ["127.0.0.1", "127.0.0.2"], port: port, authType: "plain", bindDN: "cn=svc,dc=example,dc=com",
            serviceAccountPassword: Password("svc-secret"), searchDN: "dc=example,dc=com", timeout: .seconds(5))
        let client = try ADClient(configuration: configuration)
        let diagnostic = expectUnavailable(await ADDirectory.login(client, "alice", "alice-secret-1"))
        #expect(diagnostic.contains("127.0.0.1:\(port)"))
        #expect(diagnostic.contains("127.0.0.2:\(port)"))
        #expect(diagnostic.contains("cannot connect: 127.0.0.1: connection refused"), "\(diagnostic)")
        #expect(!diagnostic.contains("alice-secret-1"))
        #expect(!diagnostic.contains("svc-secret"))
    }
}
