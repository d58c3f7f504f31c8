import Foundation
import NIOCore
import NIOPosix
import Policy
import Testing
import TestSupport
import Upstream

/// A small Active-Directory-like slapd for the `[ad_client]` tests: AD attribute names, a service
/// account that alone may search, a `vpn` group with the memberof overlay, and users that cover
/// each path.
enum ADDirectory {
    static let service = SlapdPeer.ServiceAccount(name: "svc-duo", password: "svc-secret-9")
    static let vpnToken = 1105
    static let domainUsersToken = 513

    static let users = [
        // In vpn through memberOf.
        SlapdPeer.User(
            uid: "alice", password: "alice-secret-1", commonName: "Alice Liddell", mail: "alice@example.com",
            userPrincipalName: "alice@example.com", primaryGroupID: domainUsersToken),
        // Not in vpn.
        SlapdPeer.User(
            uid: "bob", password: "bob-secret-2", commonName: "Bob Builder", userPrincipalName: "bob@example.com",
            primaryGroupID: domainUsersToken),
        // In vpn only as her primary group (never listed in memberOf, as in AD).
        SlapdPeer.User(uid: "carol", password: "carol-secret-3", commonName: "Carol Primary", primaryGroupID: vpnToken),
        // Two entries with the same sAMAccountName: ambiguous.
        SlapdPeer.User(uid: "dave", password: "dave-secret-4", commonName: "Dave One", sAMAccountName: "dave"),
        SlapdPeer.User(uid: "dave2", password: "dave-secret-4", commonName: "Dave Two", sAMAccountName: "dave"),
    ]

    static let groups = [
        SlapdPeer.Group(name: "vpn", memberUIDs: ["alice"], primaryGroupToken: vpnToken),
        SlapdPeer.Group(name: "domain-users", memberUIDs: [], primaryGroupToken: domainUsersToken),
    ]

    static var shouldRun: Bool { Peers.shouldRun("slapd", "slapadd", "ldapadd") }

    /// Starts the directory, runs `body`, and stops it by its PID however `body` ends.
    static func withRunning<Result>(
        tls: SlapdPeer.TLS? = nil,
        idleTimeout: Int? = nil,
        _ body: (SlapdPeer) async throws -> Result
    ) async throws -> Result {
        let slapd = try await SlapdPeer.start(
            users: users, groups: groups, serviceAccount: service, tls: tls, activeDirectoryAttributes: true,
            idleTimeout: idleTimeout)
        do {
            let result = try await body(slapd)
            await slapd.stop()
            return result
        } catch {
            await slapd.stop()
            throw error
        }
    }

    /// An `[ad_client]` for `slapd` (plain LDAP on its port unless told otherwise).
    static func configuration(
        _ slapd: SlapdPeer,
        hosts: [String] = ["127.0.0.1"],
        port: Int? = nil,
        transport: String? = nil,
        servicePassword: String = service.password,
        securityGroup: Bool = false,
        ldapFilter: String? = nil,
        caFile: String? = nil,
        verifyHostname: Bool? = nil,
        timeout: Duration? = .seconds(10)
    ) throws -> ADClientConfiguration {
        try ADClientConfiguration(
            hosts: hosts, port: port ?? slapd.port, transport: transport, authType: "plain",
            bindDN: slapd.serviceAccountDN, serviceAccountPassword: Password(servicePassword), searchDN: slapd.baseDN,
            ldapFilter: ldapFilter, securityGroupDN: securityGroup ? slapd.groupDN(of: "vpn") : nil, timeout: timeout,
            sslCACertsFile: caFile, sslVerifyHostname: verifyHostname)
    }

    static func login(_ client: ADClient, _ username: String, _ password: String) async -> PrimaryOutcome {
        await client.authenticate(PrimaryRequest(username: username, password: Password(password)))
    }
}

/// Checks that `outcome` accepted `dn`.
func expectAccepted(_ outcome: PrimaryOutcome, dn: String, sourceLocation: SourceLocation = #_sourceLocation) {
    guard case .accepted(let accept) = outcome else {
        Issue.record("expected accepted \(dn), got \(outcome)", sourceLocation: sourceLocation)
        return
    }
    #expect(accept.distinguishedName == dn, sourceLocation: sourceLocation)
}

/// Checks that `outcome` rejected with `kind`; returns the diagnostic.
@discardableResult
func expectRejected(
    _ outcome: PrimaryOutcome, _ kind: PrimaryRejection.Kind, sourceLocation: SourceLocation = #_sourceLocation
) -> String {
    guard case .rejected(let rejection) = outcome else {
        Issue.record("expected rejected (\(kind)), got \(outcome)", sourceLocation: sourceLocation)
        return ""
    }
    #expect(rejection.kind == kind, "\(rejection)", sourceLocation: sourceLocation)
    return rejection.diagnostic
}

/// Checks that `outcome` is unavailable; returns the diagnostic.
@discardableResult
func expectUnavailable(_ outcome: PrimaryOutcome, sourceLocation: SourceLocation = #_sourceLocation) -> String {
    guard case .unavailable(let diagnostic) = outcome else {
        Issue.record("expected unavailable, got \(outcome)", sourceLocation: sourceLocation)
        return ""
    }
    return diagnostic
}

/// A TCP listener on 127.0.0.1 that accepts connections, counts them, and never answers: a
/// directory that hangs, or a witness that nobody connected.
final class SilentListener: Sendable {
    private let channel: any Channel
    private let accepted: Locked<Int>

    var port: Int { channel.localAddress?.port ?? 0 }
    var acceptedConnections: Int { accepted.value }

    private init(channel: any Channel, accepted: Locked<Int>) {
        self.channel = channel
        self.accepted = accepted
    }

    static func start(host: String = "127.0.0.1", port: Int = 0) async throws -> SilentListener {
        let accepted = Locked(0)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                accepted.withLock { $0 += 1 }
                return child.eventLoop.makeSucceededVoidFuture()
            }
            .bind(host: host, port: port)
            .get()
        return SilentListener(channel: channel, accepted: accepted)
    }

    func stop() async {
        try? await channel.close()
    }
}
