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
public final class SlapdPeer: Sendable {
    public struct User: Sendable, Hashable {
        public var uid: String
        public var password: String
        public var commonName: String
        public var mail: String?

        public init(uid: String, password: String, commonName: String, mail: String? = nil) {
            self.uid = uid
            self.password = password
            self.commonName = commonName
            self.mail = mail
        }
    }

    /// alice (cn "Alice Liddell", mail) and bob (cn "Bob Builder", no mail).
    public static let defaultUsers = [
        User(uid: "alice", password: "alice-secret-1", commonName: "Alice Liddell", mail: "alice@example.com"),
        User(uid: "bob", password: "bob-secret-2", commonName: "Bob Builder"),
    ]

    public let port: Int
    public let baseDN: String
    public let adminDN: String
    public let adminPassword: String
    public let users: [User]
    /// The folder with slapd.conf, the database and slapd's output.
    public let folder: URL
    private let process: PeerProcess

    /// `ldap://127.0.0.1:PORT/`.
    public var url: String { "ldap://127.0.0.1:\(port)/" }

    /// `ou=people,<baseDN>`, where the users live.
    public var peopleDN: String { "ou=people,\(baseDN)" }

    /// `uid=<uid>,ou=people,<baseDN>`.
    public func dn(of uid: String) -> String { "uid=\(uid),\(peopleDN)" }

    public func user(_ uid: String) -> User? { users.first { $0.uid == uid } }

    /// Everything slapd printed, for failure messages.
    public var transcript: String { process.transcript }

    public var isRunning: Bool { process.isRunning }

    private init(
        port: Int, baseDN: String, adminDN: String, adminPassword: String, users: [User], folder: URL,
        process: PeerProcess
    ) {
        self.port = port
        self.baseDN = baseDN
        self.adminDN = adminDN
        self.adminPassword = adminPassword
        self.users = users
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
        timeout: Duration = .seconds(20)
    ) async throws -> SlapdPeer {
        let slapd = try Peers.tool("slapd")
        let slapadd = try Peers.tool("slapadd")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("twofold-slapd-\(UUID().uuidString)")
        let database = folder.appendingPathComponent("db")
        try FileManager.default.createDirectory(at: database, withIntermediateDirectories: true)
        let adminDN = "cn=admin,\(baseDN)"
        let config = folder.appendingPathComponent("slapd.conf")
        try configuration(folder: folder, database: database, baseDN: baseDN, adminDN: adminDN, adminPassword: adminPassword)
            .write(to: config, atomically: true, encoding: .utf8)
        let ldif = folder.appendingPathComponent("entries.ldif")
        try entries(baseDN: baseDN, users: users).write(to: ldif, atomically: true, encoding: .utf8)

        let load = try await PeerProcess.run(slapadd, ["-f", config.path, "-l", ldif.path], timeout: .seconds(60))
        guard load.status == 0 else {
            throw StartFailure(description: "slapadd failed (\(load.status)):\n\(load.stdout)\n\(load.stderr)")
        }

        // A port from FreePort can be taken before slapd binds it; try a few.
        var lastFailure = ""
        for _ in 0..<3 {
            let port = try FreePort.tcp()
            let process = try PeerProcess(
                slapd, ["-f", config.path, "-h", "ldap://127.0.0.1:\(port)/", "-d", "0"])
            let peer = SlapdPeer(
                port: port, baseDN: baseDN, adminDN: adminDN, adminPassword: adminPassword, users: users,
                folder: folder, process: process)
            do {
                try await Wait.until("slapd accepts connections on 127.0.0.1:\(port)", timeout: timeout) {
                    guard process.isRunning else { throw StartFailure(description: "slapd exited") }
                    return canConnect(port: port)
                }
                return peer
            } catch {
                lastFailure = "\(error)\n\(process.transcript)"
                await process.stop()
            }
        }
        throw StartFailure(description: "slapd did not start: \(lastFailure)")
    }

    /// Starts a slapd, runs `body` with it, and stops it whether `body` returns or throws.
    public static func withRunning<Result>(
        baseDN: String = "dc=example,dc=com",
        users: [User] = defaultUsers,
        _ body: (SlapdPeer) async throws -> Result
    ) async throws -> Result {
        let peer = try await start(baseDN: baseDN, users: users)
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

    private static func configuration(
        folder: URL, database: URL, baseDN: String, adminDN: String, adminPassword: String
    ) -> String {
        """
        include /etc/ldap/schema/core.schema
        include /etc/ldap/schema/cosine.schema
        include /etc/ldap/schema/nis.schema
        include /etc/ldap/schema/inetorgperson.schema
        pidfile \(folder.path)/slapd.pid
        argsfile \(folder.path)/slapd.args
        modulepath /usr/lib/ldap
        moduleload back_mdb
        access to attrs=userPassword by anonymous auth by self auth by * none
        access to * by * read
        database mdb
        maxsize 16777216
        suffix "\(baseDN)"
        rootdn "\(adminDN)"
        rootpw \(adminPassword)
        directory \(database.path)

        """
    }

    private static func entries(baseDN: String, users: [User]) -> String {
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
        for user in users {
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
