import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An OpenLDAP `slapd` of the test's own: a fresh folder with a slapd.conf, an mdb database loaded
/// with `slapadd`, listening on `ldap://127.0.0.1:PORT/` only, in the foreground, stopped by its PID.
///
/// It never touches port 389, the system's slapd configuration or its service. The directory holds
/// `baseDN`, `ou=people` under it, and one inetOrgPerson per ``User`` (uid, cn, sn, mail,
/// userPassword). `userPassword` is readable by nobody and usable for binds only.
///
/// Optional parts, for tests of a directory client such as `[ad_client]`:
/// - ``Group``s (groupOfNames under `ou=groups`) with the `memberof` overlay, so that members carry
///   `memberOf` as in Active Directory. Groups are added with `ldapadd` after slapd started, since
///   `slapadd` bypasses overlays.
/// - `activeDirectoryAttributes`: a small schema with AD's `sAMAccountName`, `userPrincipalName`,
///   `primaryGroupID` and `primaryGroupToken` (stored here; constructed in AD), set on users and groups.
/// - a ``ServiceAccount`` under `ou=services` that may read the directory; with one, nobody else
///   may search (anonymous and users can only bind), as in a locked-down AD.
/// - ``TLS``: slapd also listens for LDAPS on ``ldapsPort`` and accepts StartTLS on ``port``.
/// - `idleTimeout`: slapd closes connections idle for that many seconds (as AD does after 15 min).
///
/// A second, independent server (for failover tests) is simply a second ``start(baseDN:adminPassword:users:groups:serviceAccount:tls:activeDirectoryAttributes:idleTimeout:timeout:)``:
/// each has its own folder, database and ports.
public final class SlapdPeer: Sendable {
    public struct User: Sendable, Hashable {
        public var uid: String
        public var password: String
        public var commonName: String
        public var mail: String?
        /// With `activeDirectoryAttributes`: the sAMAccountName (default: the uid).
        public var sAMAccountName: String?
        /// With `activeDirectoryAttributes`: the userPrincipalName, if any.
        public var userPrincipalName: String?
        /// With `activeDirectoryAttributes`: the primaryGroupID, if any.
        public var primaryGroupID: Int?

        public init(
            uid: String, password: String, commonName: String, mail: String? = nil, sAMAccountName: String? = nil,
            userPrincipalName: String? = nil, primaryGroupID: Int? = nil
        ) {
            self.uid = uid
            self.password = password
            self.commonName = commonName
            self.mail = mail
            self.sAMAccountName = sAMAccountName
            self.userPrincipalName = userPrincipalName
            self.primaryGroupID = primaryGroupID
        }
    }

    /// A groupOfNames `cn=<name>,ou=groups,<baseDN>` whose members are users (by uid).
    public struct Group: Sendable, Hashable {
        public var name: String
        public var memberUIDs: [String]
        /// With `activeDirectoryAttributes`: the primaryGroupToken users' primaryGroupID refer to.
        public var primaryGroupToken: Int?

        public init(name: String, memberUIDs: [String], primaryGroupToken: Int? = nil) {
            self.name = name
            self.memberUIDs = memberUIDs
            self.primaryGroupToken = primaryGroupToken
        }
    }

    /// `cn=<name>,ou=services,<baseDN>`: an account that binds with its own password and may search.
    public struct ServiceAccount: Sendable, Hashable {
        public var name: String
        public var password: String

        public init(name: String, password: String) {
            self.name = name
            self.password = password
        }
    }

    /// The server's certificate chain and key (PEM), and the CA that issued it.
    public struct TLS: Sendable, Hashable {
        public var certificatePEM: String
        public var privateKeyPEM: String
        public var caCertificatePEM: String

        public init(certificatePEM: String, privateKeyPEM: String, caCertificatePEM: String) {
            self.certificatePEM = certificatePEM
            self.privateKeyPEM = privateKeyPEM
            self.caCertificatePEM = caCertificatePEM
        }
    }

    /// alice (cn "Alice Liddell", mail) and bob (cn "Bob Builder", no mail).
    public static let defaultUsers = [
        User(uid: "alice", password: "alice-secret-1", commonName: "Alice Liddell", mail: "alice@example.com"),
        User(uid: "bob", password: "bob-secret-2", commonName: "Bob Builder"),
    ]

    public let port: Int
    /// The LDAPS port, when started with ``TLS``.
    public let ldapsPort: Int?
    public let baseDN: String
    public let adminDN: String
    public let adminPassword: String
    public let users: [User]
    public let groups: [Group]
    public let serviceAccount: ServiceAccount?
    /// The folder with slapd.conf, the database and slapd's output.
    public let folder: URL
    private let process: PeerProcess

    /// `ldap://127.0.0.1:PORT/`.
    public var url: String { "ldap://127.0.0.1:\(port)/" }

    /// `ldaps://127.0.0.1:LDAPSPORT/`, when started with ``TLS``.
    public var ldapsURL: String? { ldapsPort.map { "ldaps://127.0.0.1:\($0)/" } }

    /// `ou=people,<baseDN>`, where the users live.
    public var peopleDN: String { "ou=people,\(baseDN)" }

    /// `uid=<uid>,ou=people,<baseDN>`.
    public func dn(of uid: String) -> String { "uid=\(uid),\(peopleDN)" }

    public func user(_ uid: String) -> User? { users.first { $0.uid == uid } }

    /// `ou=groups,<baseDN>`, where the groups live.
    public var groupsDN: String { "ou=groups,\(baseDN)" }

    /// `cn=<name>,ou=groups,<baseDN>`.
    public func groupDN(of name: String) -> String { "cn=\(name),\(groupsDN)" }

    /// `cn=<name>,ou=services,<baseDN>` of the service account, if there is one.
    public var serviceAccountDN: String? { serviceAccount.map { "cn=\($0.name),ou=services,\(baseDN)" } }

    /// Everything slapd printed, for failure messages.
    public var transcript: String { process.transcript }

    public var isRunning: Bool { process.isRunning }

    private init(
        port: Int, ldapsPort: Int?, baseDN: String, adminDN: String, adminPassword: String, users: [User],
        groups: [Group], serviceAccount: ServiceAccount?, folder: URL, process: PeerProcess
    ) {
        self.port = port
        self.ldapsPort = ldapsPort
        self.baseDN = baseDN
        self.adminDN = adminDN
        self.adminPassword = adminPassword
        self.users = users
        self.groups = groups
        self.serviceAccount = serviceAccount
        self.folder = folder
        self.process = process
    }

    public struct StartFailure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Writes the configuration, loads the entries and starts slapd; returns once it accepts TCP
    /// connections on its port (or throws after `timeout`, with slapd's output).
    public static func start(
        baseDN: String = "dc=example,dc=com",
        adminPassword: String = "admin-secret-0",
        users: [User] = defaultUsers,
        groups: [Group] = [],
        serviceAccount: ServiceAccount? = nil,
        tls: TLS? = nil,
        activeDirectoryAttributes: Bool = false,
        idleTimeout: Int? = nil,
        timeout: Duration = .seconds(20)
    ) async throws -> SlapdPeer {
        let slapd = try Peers.tool("slapd")
        let slapadd = try Peers.tool("slapadd")
        let ldapadd: String? = try groups.isEmpty ? nil : Peers.tool("ldapadd")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("twofold-slapd-\(UUID().uuidString)")
        let database = folder.appendingPathComponent("db")
        try FileManager.default.createDirectory(at: database, withIntermediateDirectories: true)
        let adminDN = "cn=admin,\(baseDN)"
        let setup = Setup(
            folder: folder, database: database, baseDN: baseDN, adminDN: adminDN, adminPassword: adminPassword,
            users: users, groups: groups, serviceAccount: serviceAccount, tls: tls,
            activeDirectoryAttributes: activeDirectoryAttributes, idleTimeout: idleTimeout)
        let config = folder.appendingPathComponent("slapd.conf")
        if let tls {
            try tls.certificatePEM.write(to: folder.appendingPathComponent("server.pem"), atomically: true, encoding: .utf8)
            try tls.privateKeyPEM.write(to: folder.appendingPathComponent("server.key"), atomically: true, encoding: .utf8)
            try tls.caCertificatePEM.write(to: folder.appendingPathComponent("ca.pem"), atomically: true, encoding: .utf8)
        }
        if activeDirectoryAttributes {
            try activeDirectorySchema.write(to: folder.appendingPathComponent("ad.schema"), atomically: true, encoding: .utf8)
        }
        try configuration(setup).write(to: config, atomically: true, encoding: .utf8)
        let ldif = folder.appendingPathComponent("entries.ldif")
        try entries(setup).write(to: ldif, atomically: true, encoding: .utf8)

        let load = try await PeerProcess.run(slapadd, ["-f", config.path, "-l", ldif.path], timeout: .seconds(60))
        guard load.status == 0 else {
            throw StartFailure(description: "slapadd failed (\(load.status)):\n\(load.stdout)\n\(load.stderr)")
        }

        // A port from FreePort can be taken before slapd binds it; try a few.
        var lastFailure = ""
        for _ in 0..<3 {
            let port = try FreePort.tcp()
            let ldapsPort: Int? = try tls.map { _ in try FreePort.tcp() }
            var urls = "ldap://127.0.0.1:\(port)/"
            if let ldapsPort { urls += " ldaps://127.0.0.1:\(ldapsPort)/" }
            let process = try PeerProcess(slapd, ["-f", config.path, "-h", urls, "-d", "0"])
            let peer = SlapdPeer(
                port: port, ldapsPort: ldapsPort, baseDN: baseDN, adminDN: adminDN, adminPassword: adminPassword,
                users: users, groups: groups, serviceAccount: serviceAccount, folder: folder, process: process)
            do {
                try await Wait.until("slapd accepts connections on 127.0.0.1:\(port)", timeout: timeout) {
                    guard process.isRunning else { throw StartFailure(description: "slapd exited") }
                    return canConnect(port: port) && (ldapsPort.map(canConnect(port:)) ?? true)
                }
            } catch {
                lastFailure = "\(error)\n\(process.transcript)"
                await process.stop()
                continue
            }
            do {
                if let ldapadd {
                    // After start, so that the memberof overlay gives the members their memberOf.
                    let groupsLDIF = folder.appendingPathComponent("groups.ldif")
                    try groupEntries(setup).write(to: groupsLDIF, atomically: true, encoding: .utf8)
                    let added = try await PeerProcess.run(
                        ldapadd, ["-x", "-H", "ldap://127.0.0.1:\(port)/", "-D", adminDN, "-w", adminPassword, "-f", groupsLDIF.path],
                        timeout: .seconds(60))
                    guard added.status == 0 else {
                        throw StartFailure(description: "ldapadd of the groups failed (\(added.status)):\n\(added.stdout)\n\(added.stderr)")
                    }
                }
                return peer
            } catch {
                await peer.stop()
                throw error
            }
        }
        throw StartFailure(description: "slapd did not start: \(lastFailure)")
    }

    /// Starts a slapd, runs `body` with it, and stops it whether `body` returns or throws.
    public static func withRunning<Result>(
        baseDN: String = "dc=example,dc=com",
        users: [User] = defaultUsers,
        groups: [Group] = [],
        serviceAccount: ServiceAccount? = nil,
        tls: TLS? = nil,
        activeDirectoryAttributes: Bool = false,
        _ body: (SlapdPeer) async throws -> Result
    ) async throws -> Result {
        let peer = try await start(
            baseDN: baseDN, users: users, groups: groups, serviceAccount: serviceAccount, tls: tls,
            activeDirectoryAttributes: activeDirectoryAttributes)
        let result: Result
        do {
            result = try await body(peer)
        } catch {
            await peer.stop()
            throw error
        }
        await peer.stop()
        return result
    }

    /// Stops slapd by its PID (SIGTERM, then SIGKILL) and removes its folder.
    public func stop() async {
        await process.stop()
        try? FileManager.default.removeItem(at: folder)
    }

    /// Everything the configuration and the LDIF are made from.
    private struct Setup {
        var folder: URL
        var database: URL
        var baseDN: String
        var adminDN: String
        var adminPassword: String
        var users: [User]
        var groups: [Group]
        var serviceAccount: ServiceAccount?
        var tls: TLS?
        var activeDirectoryAttributes: Bool
        var idleTimeout: Int?

        var serviceAccountDN: String? { serviceAccount.map { "cn=\($0.name),ou=services,\(baseDN)" } }
    }

    /// AD's attributes under their Microsoft OIDs, and two auxiliary classes (private test OIDs) to
    /// carry them on inetOrgPerson and groupOfNames entries.
    private static let activeDirectorySchema = """
        attributetype ( 1.2.840.113556.1.4.221 NAME 'sAMAccountName' EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
        attributetype ( 1.2.840.113556.1.4.656 NAME 'userPrincipalName' EQUALITY caseIgnoreMatch SUBSTR caseIgnoreSubstringsMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
        attributetype ( 1.2.840.113556.1.4.98 NAME 'primaryGroupID' EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
        attributetype ( 1.2.840.113556.1.4.1412 NAME 'primaryGroupToken' EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
        objectclass ( 1.3.6.1.4.1.32473.1.2.1 NAME 'twofoldADUser' SUP top AUXILIARY MAY ( sAMAccountName $ userPrincipalName $ primaryGroupID ) )
        objectclass ( 1.3.6.1.4.1.32473.1.2.2 NAME 'twofoldADGroup' SUP top AUXILIARY MAY ( primaryGroupToken ) )

        """

    private static func configuration(_ setup: Setup) -> String {
        var lines = [
            "include /etc/ldap/schema/core.schema",
            "include /etc/ldap/schema/cosine.schema",
            "include /etc/ldap/schema/nis.schema",
            "include /etc/ldap/schema/inetorgperson.schema",
        ]
        if setup.activeDirectoryAttributes { lines.append("include \(setup.folder.path)/ad.schema") }
        lines += [
            "pidfile \(setup.folder.path)/slapd.pid",
            "argsfile \(setup.folder.path)/slapd.args",
            "modulepath /usr/lib/ldap",
            "moduleload back_mdb",
        ]
        if !setup.groups.isEmpty { lines.append("moduleload memberof") }
        if setup.tls != nil {
            lines += [
                "TLSCACertificateFile \(setup.folder.path)/ca.pem",
                "TLSCertificateFile \(setup.folder.path)/server.pem",
                "TLSCertificateKeyFile \(setup.folder.path)/server.key",
            ]
        }
        if let idleTimeout = setup.idleTimeout { lines.append("idletimeout \(idleTimeout)") }
        lines.append("access to attrs=userPassword by anonymous auth by self auth by * none")
        if let serviceDN = setup.serviceAccountDN {
            // Only the service account reads; everyone else may only bind.
            lines.append("access to * by dn.exact=\"\(serviceDN)\" read by self read by anonymous auth by * none")
        } else {
            lines.append("access to * by * read")
        }
        lines += [
            "database mdb",
            "maxsize 16777216",
            "suffix \"\(setup.baseDN)\"",
            "rootdn \"\(setup.adminDN)\"",
            "rootpw \(setup.adminPassword)",
            "directory \(setup.database.path)",
        ]
        if !setup.groups.isEmpty {
            lines += [
                "overlay memberof",
                "memberof-group-oc groupOfNames",
                "memberof-member-ad member",
                "memberof-memberof-ad memberOf",
                "memberof-refint TRUE",
            ]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func entries(_ setup: Setup) -> String {
        let baseDN = setup.baseDN
        let firstRDN = baseDN.split(separator: ",").first.map(String.init) ?? baseDN
        let dc = firstRDN.split(separator: "=").last.map(String.init) ?? firstRDN
        var ldif = """
            dn: \(baseDN)
            objectClass: dcObject
            objectClass: organization
            dc: \(dc)
            o: \(dc)

            dn: ou=people,\(baseDN)
            objectClass: organizationalUnit
            ou: people

            """
        if let serviceAccount = setup.serviceAccount, let serviceDN = setup.serviceAccountDN {
            ldif += """

                dn: ou=services,\(baseDN)
                objectClass: organizationalUnit
                ou: services

                dn: \(serviceDN)
                objectClass: organizationalRole
                objectClass: simpleSecurityObject
                cn: \(serviceAccount.name)
                userPassword: \(serviceAccount.password)

                """
        }
        for user in setup.users {
            let surname = user.commonName.split(separator: " ").last.map(String.init) ?? user.commonName
            var lines = [
                "dn: uid=\(user.uid),ou=people,\(baseDN)",
                "objectClass: inetOrgPerson",
                "uid: \(user.uid)",
                "cn: \(user.commonName)",
                "sn: \(surname)",
                "userPassword: \(user.password)",
            ]
            if let mail = user.mail { lines.append("mail: \(mail)") }
            if setup.activeDirectoryAttributes {
                lines.append("objectClass: twofoldADUser")
                lines.append("sAMAccountName: \(user.sAMAccountName ?? user.uid)")
                if let upn = user.userPrincipalName { lines.append("userPrincipalName: \(upn)") }
                if let id = user.primaryGroupID { lines.append("primaryGroupID: \(id)") }
            }
            ldif += "\n" + lines.joined(separator: "\n") + "\n"
        }
        return ldif
    }

    /// The groups, for `ldapadd` once slapd runs. groupOfNames needs a member: an empty group gets
    /// the admin DN.
    private static func groupEntries(_ setup: Setup) -> String {
        var ldif = """
            dn: ou=groups,\(setup.baseDN)
            objectClass: organizationalUnit
            ou: groups

            """
        for group in setup.groups {
            var lines = [
                "dn: cn=\(group.name),ou=groups,\(setup.baseDN)",
                "objectClass: groupOfNames",
                "cn: \(group.name)",
            ]
            let members = group.memberUIDs.map { "uid=\($0),ou=people,\(setup.baseDN)" }
            for member in members.isEmpty ? [setup.adminDN] : members { lines.append("member: \(member)") }
            if setup.activeDirectoryAttributes, let token = group.primaryGroupToken {
                lines.append("objectClass: twofoldADGroup")
                lines.append("primaryGroupToken: \(token)")
            }
            ldif += "\n" + lines.joined(separator: "\n") + "\n"
        }
        return ldif
    }

    /// Whether a TCP connection to 127.0.0.1:port succeeds now.
    static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return result == 0
    }
}
