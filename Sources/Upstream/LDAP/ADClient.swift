import LDAPWire
import NIOCore
import NIOPosix
import NIOSSL
import Policy
import Synchronization

/// `[ad_client]`: checks a username and password against Active Directory or another LDAPv3
/// directory, as the reference proxy does with `auth_type=plain`.
///
/// A login, on the first host that answers (`host`, then `host_2`, ...):
/// 1. An empty password is refused before any network I/O: with a DN it would be an
///    "unauthenticated bind" that some servers accept without checking anything (RFC 4513 §5.1.2).
///    So are an empty username, one over ``maximumUsernameLength`` bytes, and one with control
///    characters (NUL, CR, LF, ...).
/// 2. On a pooled connection bound as `bind_dn`, a subtree search of `search_dn` for
///    ``ADClientConfiguration/userFilter(for:)`` (built as a tree, never by string concatenation)
///    with a size limit of 2: exactly one entry is required; none is `.unknownUser`, two or more is
///    `.ambiguousUser`. SearchResultReferences and referral results are never chased.
/// 3. With `security_group_dn`, the entry must list the group in `memberOf`, or its `primaryGroupID`
///    must equal the group's `primaryGroupToken` (AD's primary group, usually "Domain Users", is
///    never in `memberOf`). Only direct membership counts, as in AD's `memberOf`; nested groups do
///    not (that needs AD's LDAP_MATCHING_RULE_IN_CHAIN, which other directories lack).
/// 4. A simple bind as the entry's DN with the user's password, on a fresh connection of its own:
///    a user's credentials never touch the pooled service connections. Success accepts with the DN;
///    invalidCredentials (49) is `.wrongPassword`.
///
/// A host that refuses the connection, times out, fails TLS, or fails the service bind is skipped
/// for the next; when none answers the outcome is `.unavailable`, naming every host and why.
///
/// Unknown user, ambiguous user and a user outside the group take the same shape on the wire as a
/// wrong password: after the search, a fresh connection and one bind (an anonymous one, which
/// carries no password), so that a client cannot tell them apart by time. Diagnostics name the
/// server (`host:port`) and DN and never contain a password.
public final class ADClient: PrimaryAuthenticator {
    public let configuration: ADClientConfiguration
    public var name: String { configuration.section }

    private let connector: Connector
    /// One pool of bound service connections per host, in the order of `endpoints`.
    private let pools: [LDAPServiceConnectionPool]

    /// The size limit of the user search: two entries are enough to know the name is ambiguous.
    static let userSearchSizeLimit: Int32 = 2
    /// Longer names are refused without a lookup (AD allows 20 characters for sAMAccountName and
    /// 1024 for userPrincipalName).
    public static let maximumUsernameLength = 1024

    /// Builds the TLS context once (minimum TLS 1.2, the `ssl_ca_certs_file` roots or the system's)
    /// and one connection pool per host.
    ///
    /// - Parameter maximumIdleConnectionsPerHost: bound service connections kept for reuse per host.
    public init(
        configuration: ADClientConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        maximumIdleConnectionsPerHost: Int = 4
    ) throws(ADClientConfigurationError) {
        self.configuration = configuration
        let security: LDAPClientSecurity
        switch configuration.transport {
        case .clear:
            security = .clear
        case .ldaps:
            security = .ldaps(try Self.makeTLSContext(configuration))
        case .startTLS:
            security = .startTLS(try Self.makeTLSContext(configuration))
        }
        let connector = Connector(configuration: configuration, security: security, group: eventLoopGroup)
        self.connector = connector
        self.pools = configuration.endpoints.map { endpoint in
            LDAPServiceConnectionPool(maximumIdle: max(0, maximumIdleConnectionsPerHost)) {
                () async throws(LDAPClientError) -> LDAPClientConnection in
                try await connector.openServiceConnection(to: endpoint)
            }
        }
    }

    /// How many connections this client has opened (service, user and equalizing ones), for
    /// metrics and tests.
    public var connectionsOpened: Int { connector.connectionsOpened.load(ordering: .relaxed) }

    /// Open service connections waiting in the pools (for tests).
    var idleServiceConnections: Int { pools.reduce(0) { $0 + $1.activeIdleCount } }

    /// Closes the idle pooled connections. Call it when the section is no longer used.
    public func shutdown() async {
        for pool in pools { await pool.shutdown() }
    }

    public func authenticate(_ request: PrimaryRequest) async -> PrimaryOutcome {
        let username = request.username
        guard !request.password.isEmpty else {
            return .rejected(PrimaryRejection(
                .emptyPassword,
                // Quoted with escapes: the username has not been checked for control characters yet.
                diagnostic: "[\(name)] empty password for \(username.debugDescription): refused without asking the directory"))
        }
        guard !username.isEmpty else {
            return .rejected(PrimaryRejection(.unknownUser, diagnostic: "[\(name)] empty username: refused without asking the directory"))
        }
        guard username.utf8.count <= Self.maximumUsernameLength else {
            return .rejected(PrimaryRejection(
                .unknownUser,
                diagnostic: "[\(name)] a username of \(username.utf8.count) bytes is longer than \(Self.maximumUsernameLength): refused without asking the directory"))
        }

        // No directory name holds a control character; a NUL or line break here is an attack or
        // a broken client, and is refused before it reaches a filter or a log line.
        guard !username.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
            return .rejected(PrimaryRejection(
                .unknownUser, diagnostic: "[\(name)] a username with control characters: refused without asking the directory"))
        }

        var failures: [String] = []
        for (index, endpoint) in configuration.endpoints.enumerated() {
            switch await authenticate(username: username, password: request.password, on: endpoint, pool: pools[index]) {
            case .decided(let outcome):
                return outcome
            case .hostFailed(let diagnostic):
                failures.append(diagnostic)
            }
        }
        return .unavailable(diagnostic: "[\(name)] no directory server could check '\(username)': " + failures.joined(separator: "; "))
    }

    /// A new, unbound connection to the first host that answers (`host`, then `host_2`, ...), with
    /// the section's TLS: for `[ldap_server_auto]`, which relays one client's operations on a
    /// connection of its own. The caller closes it.
    ///
    /// - Parameter timeout: the deadline of each step and operation; the section's `timeout` when nil.
    public func openRelayConnection(timeout: Duration? = nil) async throws(LDAPClientError) -> LDAPClientConnection {
        var failures: [String] = []
        for endpoint in configuration.endpoints {
            do throws(LDAPClientError) {
                return try await connector.connect(to: endpoint, timeout: timeout)
            } catch {
                failures.append(error.diagnostic)
            }
        }
        throw LDAPClientError(.connectFailed, diagnostic: "[\(name)] no directory server answered: " + failures.joined(separator: "; "))
    }

    // MARK: - One host

    private enum HostOutcome {
        /// The host answered; its answer stands (no other host is asked).
        case decided(PrimaryOutcome)
        /// The host could not answer; try the next.
        case hostFailed(String)
    }

    private func authenticate(
        username: String, password: Password, on endpoint: ADClientConfiguration.Endpoint, pool: LDAPServiceConnectionPool
    ) async -> HostOutcome {
        let filter = configuration.userFilter(for: username)
        let search = LDAPMessage.SearchRequest(
            baseObject: configuration.searchDN, scope: .wholeSubtree, derefAliases: .neverDerefAliases,
            sizeLimit: Self.userSearchSizeLimit, timeLimit: serverTimeLimit, typesOnly: false, filter: filter,
            attributes: configuration.userSearchAttributes)
        let found: LDAPSearchOutcome
        do throws(LDAPClientError) {
            found = try await pool.withConnection { (connection) async throws(LDAPClientError) -> LDAPSearchOutcome in
                try await connection.search(search, maximumEntries: Int(Self.userSearchSizeLimit))
            }
        } catch {
            return .hostFailed(error.diagnostic)
        }

        let entry: LDAPMessage.SearchResultEntry
        switch classify(found, filter: filter, endpoint: endpoint) {
        case .failed(let diagnostic):
            return .hostFailed(diagnostic)
        case .rejected(let rejection):
            await equalizeTiming(on: endpoint)
            return .decided(.rejected(rejection))
        case .found(let one):
            entry = one
        }

        if let groupDN = configuration.securityGroupDN {
            switch await checkGroup(groupDN, of: entry, endpoint: endpoint, pool: pool) {
            case .member:
                break
            case .notMember(let diagnostic):
                await equalizeTiming(on: endpoint)
                return .decided(.rejected(PrimaryRejection(.notInGroup, diagnostic: diagnostic)))
            case .failed(let diagnostic):
                return .hostFailed(diagnostic)
            }
        }

        return await bindAsUser(entry.objectName, password: password, on: endpoint)
    }

    private enum SearchClassification {
        case found(LDAPMessage.SearchResultEntry)
        case rejected(PrimaryRejection)
        case failed(String)
    }

    private func classify(_ found: LDAPSearchOutcome, filter: LDAPFilter, endpoint: ADClientConfiguration.Endpoint) -> SearchClassification {
        let searched = "search of \(configuration.searchDN) on \(endpoint) for \(filter)"
        let code = found.result.resultCode
        switch code {
        case .success, .sizeLimitExceeded:
            if found.entryCount >= 2 || (code == .sizeLimitExceeded && found.entryCount > 0) {
                let names = found.entries.map(\.objectName).joined(separator: ", ")
                return .rejected(PrimaryRejection(
                    .ambiguousUser,
                    diagnostic: "\(searched) found more than one entry (\(names)); nobody may log in with an ambiguous name"))
            }
            guard found.entryCount == 1, let entry = found.entries.first else {
                var diagnostic = "\(searched) found no entry"
                if found.referenceCount > 0 {
                    diagnostic += "; \(found.referenceCount) search references (\(found.referenceURIs.joined(separator: " "))) were not followed"
                }
                return .rejected(PrimaryRejection(.unknownUser, diagnostic: diagnostic))
            }
            guard !entry.objectName.isEmpty else {
                return .failed("\(searched) returned an entry with an empty DN")
            }
            return .found(entry)
        case .referral:
            return .rejected(PrimaryRejection(
                .unknownUser,
                diagnostic: "\(searched) answered with a referral to \((found.result.referral ?? []).joined(separator: " ")), which is never followed; set search_dn to a naming context this server holds"))
        case .noSuchObject:
            return .failed("\(searched): search_dn does not exist on this server (noSuchObject); check search_dn")
        default:
            return .failed("\(searched) answered \(code) \(found.result.diagnosticMessage)")
        }
    }

    // MARK: - Group membership

    private enum GroupCheck {
        case member
        case notMember(String)
        case failed(String)
    }

    private func checkGroup(
        _ groupDN: LDAPDN, of entry: LDAPMessage.SearchResultEntry, endpoint: ADClientConfiguration.Endpoint,
        pool: LDAPServiceConnectionPool
    ) async -> GroupCheck {
        let memberOf = entry.values(of: "memberOf") ?? []
        for value in memberOf {
            guard let text = String(validating: value, as: UTF8.self), let dn = try? LDAPDN(parsing: text) else { continue }
            if dn == groupDN { return .member }
        }
        let notMember = "\(entry.objectName) is not a member of \(groupDN) (memberOf on \(endpoint))"

        // AD keeps the primary group out of memberOf: the user's primaryGroupID is the RID that the
        // group publishes as its constructed primaryGroupToken.
        guard let rawID = entry.values(of: "primaryGroupID")?.first,
            let primaryGroupID = String(validating: rawID, as: UTF8.self).flatMap({ Int($0) })
        else {
            return .notMember(notMember)
        }
        let tokenSearch = LDAPMessage.SearchRequest(
            baseObject: groupDN.description, scope: .baseObject, derefAliases: .neverDerefAliases, sizeLimit: 1,
            timeLimit: serverTimeLimit, typesOnly: false, filter: .present("objectClass"),
            attributes: ["primaryGroupToken"])
        let found: LDAPSearchOutcome
        do throws(LDAPClientError) {
            found = try await pool.withConnection { (connection) async throws(LDAPClientError) -> LDAPSearchOutcome in
                try await connection.search(tokenSearch, maximumEntries: 1)
            }
        } catch {
            return .failed(error.diagnostic)
        }
        switch found.result.resultCode {
        case .success:
            break
        case .noSuchObject:
            return .notMember("\(notMember); security_group_dn \(groupDN) does not exist on \(endpoint)")
        default:
            return .failed("reading primaryGroupToken of \(groupDN) on \(endpoint) answered \(found.result.resultCode) \(found.result.diagnosticMessage)")
        }
        let token = found.entries.first?.values(of: "primaryGroupToken")?.first
            .flatMap { String(validating: $0, as: UTF8.self) }.flatMap { Int($0) }
        if let token, token == primaryGroupID { return .member }
        return .notMember("\(notMember), and its primaryGroupID \(primaryGroupID) is not the group's primaryGroupToken \(token.map(String.init) ?? "(none)")")
    }

    // MARK: - Binds

    private func bindAsUser(_ dn: String, password: Password, on endpoint: ADClientConfiguration.Endpoint) async -> HostOutcome {
        let connection: LDAPClientConnection
        do throws(LDAPClientError) {
            connection = try await connect(to: endpoint)
        } catch {
            return .hostFailed(error.diagnostic)
        }
        defer { connection.closeSoon() }
        let result: LDAPResult
        do throws(LDAPClientError) {
            result = try await connection.bind(name: dn, password: password)
        } catch {
            return .hostFailed(error.diagnostic)
        }
        let answered = "bind as \(dn) on \(endpoint) answered \(result.resultCode)"
            + (result.diagnosticMessage.isEmpty ? "" : " (\(result.diagnosticMessage))")
        switch result.resultCode {
        case .success:
            return .decided(.accepted(PrimaryAccept(distinguishedName: dn)))
        case .invalidCredentials:
            return .decided(.rejected(PrimaryRejection(.wrongPassword, diagnostic: answered)))
        case .busy, .unavailable, .other, .timeLimitExceeded, .adminLimitExceeded:
            return .hostFailed(answered)
        default:
            // unwillingToPerform, inappropriateAuthentication, referral, ...: the server refused;
            // another server of the same directory would say the same.
            return .decided(.rejected(PrimaryRejection(.refusedByServer, diagnostic: answered)))
        }
    }

    /// Gives the rejections that need no password check the wire shape of a wrong password: a
    /// fresh connection and one bind. The bind is anonymous, so no password is sent for a DN
    /// that was not found; its answer is ignored.
    private func equalizeTiming(on endpoint: ADClientConfiguration.Endpoint) async {
        guard let connection = try? await connect(to: endpoint) else { return }
        _ = try? await connection.bind(name: "", password: Password([]))
        connection.closeSoon()
    }

    private func connect(to endpoint: ADClientConfiguration.Endpoint) async throws(LDAPClientError) -> LDAPClientConnection {
        try await connector.connect(to: endpoint)
    }

    /// The server-side time limit of a search (RFC 4511 §4.5.1.5), in whole seconds: the same as
    /// the client's deadline, so that a slow server gives up when the client does.
    private var serverTimeLimit: Int32 {
        let seconds = configuration.timeout.components.seconds
        return Int32(clamping: max(1, seconds))
    }

    // MARK: - TLS

    private static func makeTLSContext(_ configuration: ADClientConfiguration) throws(ADClientConfigurationError) -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        // swift-nio-ssl's default minimum is TLS 1.0.
        tls.minimumTLSVersion = .tlsv12
        tls.certificateVerification = configuration.sslVerifyHostname ? .fullVerification : .noHostnameVerification
        if let file = configuration.sslCACertsFile {
            let certificates: [NIOSSLCertificate]
            do {
                certificates = try NIOSSLCertificate.fromPEMFile(file)
            } catch {
                throw ADClientConfigurationError(
                    .unreadableFile, section: configuration.section, key: "ssl_ca_certs_file",
                    diagnostic: "cannot read PEM certificates from \(file): \(error); set it to a PEM file with the CA certificates that issued the directory's certificate")
            }
            guard !certificates.isEmpty else {
                throw ADClientConfigurationError(
                    .unreadableFile, section: configuration.section, key: "ssl_ca_certs_file",
                    diagnostic: "\(file) holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
            }
            tls.trustRoots = .certificates(certificates)
        }
        do {
            return try NIOSSLContext(configuration: tls)
        } catch {
            throw ADClientConfigurationError(
                .invalidValue, section: configuration.section, key: "ssl_ca_certs_file",
                diagnostic: "cannot build a TLS context: \(error)")
        }
    }
}

/// Opens connections for one ``ADClient``: its pools hold this, not the client.
private final class Connector: Sendable {
    let configuration: ADClientConfiguration
    let security: LDAPClientSecurity
    let group: any EventLoopGroup
    let connectionsOpened = Atomic<Int>(0)

    init(configuration: ADClientConfiguration, security: LDAPClientSecurity, group: any EventLoopGroup) {
        self.configuration = configuration
        self.security = security
        self.group = group
    }

    /// A new connection bound as `bind_dn`.
    func openServiceConnection(to endpoint: ADClientConfiguration.Endpoint) async throws(LDAPClientError) -> LDAPClientConnection {
        let connection = try await connect(to: endpoint)
        let result: LDAPResult
        do throws(LDAPClientError) {
            result = try await connection.bind(name: configuration.bindDN, password: configuration.serviceAccountPassword)
        } catch {
            connection.closeSoon()
            throw error
        }
        guard result.resultCode == .success else {
            connection.closeSoon()
            throw LDAPClientError(
                .serviceBindRefused,
                diagnostic: "\(endpoint): the service bind as \(configuration.bindDN) answered \(result.resultCode)"
                    + (result.diagnosticMessage.isEmpty ? "" : " (\(result.diagnosticMessage))")
                    + "; check bind_dn and service_account_password")
        }
        return connection
    }

    func connect(to endpoint: ADClientConfiguration.Endpoint, timeout: Duration? = nil) async throws(LDAPClientError) -> LDAPClientConnection {
        connectionsOpened.add(1, ordering: .relaxed)
        return try await LDAPClientConnection.connect(
            to: endpoint, security: security, timeout: timeout ?? configuration.timeout, group: group)
    }
}
