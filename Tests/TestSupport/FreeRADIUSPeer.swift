import Foundation

/// A FreeRADIUS 3.2 server of the test's own: a fresh minimal configuration in a private temporary
/// folder, authentication on `127.0.0.1:port` (UDP), run in the foreground with full debug output
/// (`-X`), and stopped by its PID.
///
/// ```swift
/// let radius = try await FreeRADIUSPeer.start(
///     secret: "s3cret",
///     users: [.init("alice", password: "right", reply: [.init("Reply-Message", "hi alice")])]
/// )
/// // ... send Access-Requests to radius.host:radius.port with radius.secret,
/// // and put radius.transcript in failure messages ...
/// await radius.stop()
/// ```
///
/// Each instance has its own temporary folder and port, so tests may run several in parallel.
/// Startup takes about 0.2-0.4 s. If a test forgets `stop()`, releasing the peer kills the server.
///
/// What the server does:
/// - It answers Access-Request with PAP (`User-Password`) or CHAP (`CHAP-Password`) checked against
///   the users' cleartext passwords (modules `pap`, `chap`, `files`; nothing else is loaded).
/// - Access-Accept carries the user's `reply` attributes, in the given order. Access-Reject carries
///   only `rejectReply` (nothing by default): the user's reply attributes are removed on reject. An
///   unknown user gets Access-Reject. Rejects are sent at once (`reject_delay = 0`).
/// - A `ChallengeUser` is asked a question: the right password gets an Access-Challenge with the
///   user's State and Reply-Message; an Access-Request carrying that State and the right answer
///   gets an Access-Accept with `acceptReply`; anything else gets Access-Reject.
/// - Status-Server is answered with an Access-Accept without attributes (`status_server = yes`);
///   like any Status-Server it must carry Message-Authenticator, else it is dropped.
/// - Duplicate detection is FreeRADIUS's default: a retransmission (same source port, Identifier
///   and Request Authenticator) within `cleanup_delay` (5 s) gets the cached reply again.
/// - With `requireMessageAuthenticator`, an Access-Request without Message-Authenticator is dropped
///   silently (the log says "Packet does not contain required Message-Authenticator attribute"). A
///   request whose Message-Authenticator is wrong is always dropped.
/// - FreeRADIUS 3.2.1 (Debian 12) puts **no Message-Authenticator in any reply**: not in
///   Access-Accept, Access-Reject, nor the Status-Server answer (where RFC 5997 demands one), even
///   when the request carried one.
///   Its replies are signed only by the Response Authenticator (MD5 over the packet and the
///   secret). A client talking to it must therefore not require Message-Authenticator in replies.
public final class FreeRADIUSPeer: Sendable {
    /// The address the server listens on.
    public let host = "127.0.0.1"
    /// The UDP port of its authentication listener on `host`.
    public let port: Int
    /// The shared secret of its one client, 127.0.0.1.
    public let secret: String
    /// Whether the client must send Message-Authenticator in Access-Request.
    public let requireMessageAuthenticator: Bool
    /// The folder holding `radiusd.conf` and `users` (deleted by `stop()`).
    public let configDirectory: URL
    /// How long the server took from launch until it was ready.
    public let startupDuration: Duration
    private let process: PeerProcess

    private init(
        process: PeerProcess, port: Int, secret: String, requireMessageAuthenticator: Bool,
        configDirectory: URL, startupDuration: Duration
    ) {
        self.process = process
        self.port = port
        self.secret = secret
        self.requireMessageAuthenticator = requireMessageAuthenticator
        self.configDirectory = configDirectory
        self.startupDuration = startupDuration
    }

    deinit {
        // The server itself is killed by PeerProcess's deinit if still running.
        try? FileManager.default.removeItem(at: configDirectory)
    }

    /// The server's PID.
    public var pid: Int32 { process.pid }
    /// Whether the server is still running.
    public var isRunning: Bool { process.isRunning }

    /// The server's debug log so far (stdout and stderr): every request it received, how each
    /// module decided and what it replied. Put it in failure messages.
    public var transcript: String { process.transcript }

    /// Waits until the server's log contains `text` (for example a line about a dropped packet).
    public func waitForLog(containing text: String, timeout: Duration = .seconds(10)) async throws {
        try await Wait.until("the FreeRADIUS log contains \"\(text)\"", timeout: timeout) {
            self.process.standardOutput.contains(text)
        }
    }

    /// Stops the server by its PID (SIGTERM, then SIGKILL if it has not exited in 5 s) and deletes
    /// its configuration folder. Safe to call more than once. The log stays readable through
    /// `transcript`.
    public func stop() async {
        await process.stop()
        try? FileManager.default.removeItem(at: configDirectory)
    }

    /// Starts a server and returns once it is ready to process requests.
    ///
    /// - Parameters:
    ///   - secret: the shared secret of the one client, 127.0.0.1. Printable characters only, and
    ///     no backslash (FreeRADIUS 3.2's config parser keeps backslashes literally but for `\"`).
    ///   - users: the accounts, checked with PAP or CHAP.
    ///   - requireMessageAuthenticator: `require_message_authenticator` of the client: when true,
    ///     Access-Requests without Message-Authenticator are dropped.
    ///   - challengeUsers: accounts answered with an Access-Challenge first (see `ChallengeUser`).
    ///   - rejectReply: attributes of every Access-Reject (for example a `Reply-Message`). Text
    ///     values here may not contain `'` or `\`.
    ///   - timeout: how long to wait for the server to be ready.
    /// - Throws: `ConfigurationError` for values the configuration cannot express, `PeerMissing`
    ///   when FreeRADIUS is not installed, `StartFailure` (with the server's log) when it exits or
    ///   is not ready in time.
    public static func start(
        secret: String = "testing123",
        users: [User],
        requireMessageAuthenticator: Bool = false,
        challengeUsers: [ChallengeUser] = [],
        rejectReply: [Attribute] = [],
        timeout: Duration = .seconds(30)
    ) async throws -> FreeRADIUSPeer {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        // The port was free a moment ago; if another process takes it before FreeRADIUS binds it,
        // start again with another one.
        let attempts = 3
        for attempt in 1...attempts {
            let port = try FreePort.udp()
            let folder = FileManager.default.temporaryDirectory
                .appendingPathComponent("twofold-freeradius-\(UUID().uuidString)")
            let files = try FreeRADIUSConfiguration(
                folder: folder.path, port: port, secret: secret, users: users,
                requireMessageAuthenticator: requireMessageAuthenticator, challengeUsers: challengeUsers,
                rejectReply: rejectReply)
            let binary = try Peers.find("freeradius") ?? Peers.tool("radiusd")
            try files.write()

            let started = clock.now
            let process: PeerProcess
            do {
                // -X: foreground, one thread, full debug log on stdout. -n radiusd: read radiusd.conf.
                process = try PeerProcess(binary, ["-X", "-d", folder.path, "-n", "radiusd"])
            } catch {
                try? FileManager.default.removeItem(at: folder)
                throw error
            }
            let remaining = deadline - clock.now
            let ready = "Ready to process requests"
            do {
                try await Wait.until(
                    "FreeRADIUS (pid \(process.pid)) is ready on port \(port)",
                    timeout: max(remaining, .milliseconds(1))
                ) {
                    process.standardOutput.contains(ready) || !process.isRunning
                }
            } catch {
                await process.stop()
                try? FileManager.default.removeItem(at: folder)
                throw StartFailure(
                    reason: "not ready within \(timeout) (\(error))", port: port,
                    configuration: files.description, transcript: process.transcript)
            }
            if process.isRunning && process.standardOutput.contains(ready) {
                // FreeRADIUS only warns about some mistakes in the users file (an unknown
                // attribute name becomes a check item); a test wants to know.
                if process.standardOutput.contains("[\(folder.path)/users]") {
                    await process.stop()
                    try? FileManager.default.removeItem(at: folder)
                    throw StartFailure(
                        reason: "complained about its users file", port: port,
                        configuration: files.description, transcript: process.transcript)
                }
                return FreeRADIUSPeer(
                    process: process, port: port, secret: secret,
                    requireMessageAuthenticator: requireMessageAuthenticator,
                    configDirectory: folder, startupDuration: clock.now - started)
            }
            // It exited before it was ready.
            await process.stop()
            try? FileManager.default.removeItem(at: folder)
            let log = process.transcript
            if log.contains("Address already in use") && attempt < attempts && clock.now < deadline {
                continue
            }
            throw StartFailure(
                reason: "exited before it was ready", port: port,
                configuration: files.description, transcript: log)
        }
        preconditionFailure("unreachable: the last attempt returns or throws")
    }
}

extension FreeRADIUSPeer {
    /// An account in the server's `users` file.
    public struct User: Sendable, Hashable {
        /// The `User-Name`. No backslash, no control characters, not `DEFAULT`.
        public var name: String
        /// The cleartext password (`Cleartext-Password`), used for both PAP and CHAP. No control
        /// characters; anything else, including quotes, backslashes and `%`, is taken literally.
        public var password: String
        /// Attributes of this user's Access-Accept, in order. Repeating a name sends it repeatedly.
        public var reply: [Attribute]

        public init(_ name: String, password: String, reply: [Attribute] = []) {
            self.name = name
            self.password = password
            self.reply = reply
        }
    }

    /// An account that must answer a question before it is accepted, the way a one-time-password
    /// server behaves: the password gets an Access-Challenge carrying `state` and `message`; the
    /// next Access-Request with that State and `answer` as its User-Password is accepted with
    /// `acceptReply`. Implemented in unlang in `authorize`, with `control:Response-Packet-Type`.
    public struct ChallengeUser: Sendable, Hashable {
        /// The `User-Name`: letters, digits, `-`, `_`, `.` and `@`.
        public var name: String
        /// The first password. No `'`, `\` or control characters.
        public var password: String
        /// The State of the Access-Challenge. 16 octets, as FreeRADIUS's own State entries have.
        public var state: [UInt8]
        /// The Reply-Message of the Access-Challenge. No `'`, `\` or control characters.
        public var message: String
        /// The answer to the challenge (the User-Password of the second request).
        public var answer: String
        /// Attributes of the Access-Accept after the right answer.
        public var acceptReply: [Attribute]

        public init(
            _ name: String, password: String, state: [UInt8], message: String, answer: String,
            acceptReply: [Attribute] = []
        ) {
            self.name = name
            self.password = password
            self.state = state
            self.message = message
            self.answer = answer
            self.acceptReply = acceptReply
        }
    }

    /// A reply attribute, named as in FreeRADIUS's dictionaries (`Reply-Message`, `Class`,
    /// `Filter-Id`, `Session-Timeout`, `Juniper-Local-User-Name`, ...).
    public struct Attribute: Sendable, Hashable {
        public enum Value: Sendable, Hashable {
            /// A value as FreeRADIUS reads it for the attribute's type: text for strings, the bytes
            /// of the UTF-8 text for octets (`Class`), digits for integers, a name for enumerated
            /// integers (`Service-Type` `Administrative-User`), dotted quads for addresses.
            case text(String)
            /// Raw bytes, for octets attributes such as `Class` or `State`.
            case octets([UInt8])
        }

        public var name: String
        public var value: Value

        /// An attribute with a text value (see `Value.text`).
        public init(_ name: String, _ text: String) {
            self.name = name
            self.value = .text(text)
        }

        /// An octets attribute with raw bytes.
        public init(_ name: String, octets: [UInt8]) {
            self.name = name
            self.value = .octets(octets)
        }
    }

    /// A value that FreeRADIUS's configuration cannot express safely.
    public struct ConfigurationError: Error, CustomStringConvertible {
        public var description: String
    }

    /// FreeRADIUS exited or was not ready in time.
    public struct StartFailure: Error, CustomStringConvertible {
        public var reason: String
        public var port: Int
        public var configuration: String
        public var transcript: String
        public var description: String {
            """
            FreeRADIUS on 127.0.0.1:\(port) \(reason).
            --- configuration ---
            \(configuration)
            --- log ---
            \(transcript)
            """
        }
    }
}

/// The two files of a `FreeRADIUSPeer`: `radiusd.conf` and the `files` module's `users`.
struct FreeRADIUSConfiguration: CustomStringConvertible {
    let folder: String
    let radiusdConf: String
    let users: String

    init(
        folder: String, port: Int, secret: String, users: [FreeRADIUSPeer.User],
        requireMessageAuthenticator: Bool, challengeUsers: [FreeRADIUSPeer.ChallengeUser] = [],
        rejectReply: [FreeRADIUSPeer.Attribute]
    ) throws {
        self.folder = folder
        self.users = try Self.usersFile(users)
        self.radiusdConf = try Self.radiusdConf(
            folder: folder, port: port, secret: secret,
            requireMessageAuthenticator: requireMessageAuthenticator, challengeUsers: challengeUsers,
            rejectReply: rejectReply)
    }

    var description: String {
        "\(folder)/radiusd.conf:\n\(radiusdConf)\n\(folder)/users:\n\(users)"
    }

    /// Writes the files: the folder private to this user, the files not writable by others
    /// (FreeRADIUS refuses a globally writable configuration file).
    func write() throws {
        let manager = FileManager.default
        try manager.createDirectory(
            atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for (name, text) in [("radiusd.conf", radiusdConf), ("users", users)] {
            let path = folder + "/" + name
            guard manager.createFile(
                atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
            else { throw FreeRADIUSPeer.ConfigurationError(description: "cannot write \(path)") }
        }
    }

    // The smallest configuration FreeRADIUS 3.2.1 starts with: no mods-enabled, no sites, no
    // `user`/`group` (so it keeps running as the current user and can read the folder), no
    // proxy.conf. The dictionaries come from the built-in dictdir (/usr/share/freeradius).
    private static func radiusdConf(
        folder: String, port: Int, secret: String, requireMessageAuthenticator: Bool,
        challengeUsers: [FreeRADIUSPeer.ChallengeUser], rejectReply: [FreeRADIUSPeer.Attribute]
    ) throws -> String {
        guard !secret.isEmpty else {
            throw FreeRADIUSPeer.ConfigurationError(description: "the shared secret is empty")
        }
        try checkConfText(secret, what: "the shared secret", forbidding: ["\\"])
        try checkConfText(folder, what: "the folder", forbidding: ["\\", "\"", "'"])
        var rejectUpdates = ""
        for attribute in rejectReply {
            let value: String
            switch attribute.value {
            case .text(let text):
                try checkConfText(text, what: "a rejectReply value", forbidding: ["\\", "'"])
                value = "'\(text)'"
            case .octets(let bytes):
                value = hex(bytes)
            }
            rejectUpdates += "\t\t\t\t&\(try attributeName(attribute.name)) += \(value)\n"
        }
        // An empty `update` section is an error, so it is left out without reject attributes.
        let rejectSection = rejectUpdates.isEmpty ? "" : "\t\t\tupdate reply {\n\(rejectUpdates)\t\t\t}\n"
        let challengePolicy = try challengeUsers.map(challengeUnlang).joined()
        // `reject` and `handled` are not unlang keywords but instances of the `always` module.
        let alwaysModules = challengeUsers.isEmpty ? "" : "\talways reject {\n\t\trcode = reject\n\t}\n\talways handled {\n\t\trcode = handled\n\t}\n"
        return """
            # Written by twofold's FreeRADIUSPeer for one test.
            prefix = /usr
            exec_prefix = /usr
            localstatedir = "\(folder)"
            raddbdir = "\(folder)"
            confdir = ${raddbdir}
            logdir = ${raddbdir}
            run_dir = ${raddbdir}
            db_dir = ${raddbdir}
            libdir = /usr/lib/freeradius
            pidfile = ${run_dir}/radiusd.pid
            max_request_time = 30
            cleanup_delay = 5
            max_requests = 1024
            hostname_lookups = no
            proxy_requests = no

            log {
            \tcolourise = no
            \tauth = yes
            \tauth_badpass = no
            \tauth_goodpass = no
            }

            security {
            \tallow_core_dumps = no
            \tmax_attributes = 200
            \treject_delay = 0
            \tstatus_server = yes
            }

            client localhost {
            \tipaddr = 127.0.0.1
            \tsecret = "\(secret.replacingOccurrences(of: "\"", with: "\\\""))"
            \trequire_message_authenticator = \(requireMessageAuthenticator ? "yes" : "no")
            }

            modules {
            \tpap {
            \t}
            \tchap {
            \t}
            \tfiles {
            \t\tfilename = ${confdir}/users
            \t}
            \(alwaysModules)}

            server default {
            \tlisten {
            \t\ttype = auth
            \t\tipaddr = 127.0.0.1
            \t\tport = \(port)
            \t}
            \tauthorize {
            \(challengePolicy)\t\tchap
            \t\tfiles
            \t\tpap
            \t}
            \tauthenticate {
            \t\tAuth-Type PAP {
            \t\t\tpap
            \t\t}
            \t\tAuth-Type CHAP {
            \t\t\tchap
            \t\t}
            \t}
            \tpost-auth {
            \t\tPost-Auth-Type REJECT {
            \t\t\tupdate {
            \t\t\t\t&reply: !* ANY
            \t\t\t}
            \(rejectSection)\t\t}
            \t}
            }

            """
    }

    /// The `authorize` policy of one challenge user: challenge on the password, accept the answer
    /// with the State (by setting the cleartext password `pap` then checks), reject the rest.
    private static func challengeUnlang(_ user: FreeRADIUSPeer.ChallengeUser) throws -> String {
        let allowedName = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.@")
        guard !user.name.isEmpty, user.name.allSatisfy({ allowedName.contains($0) }) else {
            throw FreeRADIUSPeer.ConfigurationError(description: "challenge user name \"\(user.name)\" is not allowed")
        }
        guard user.state.count == 16 else {
            throw FreeRADIUSPeer.ConfigurationError(description: "the State of \(user.name) must have 16 octets")
        }
        for (text, what) in [(user.password, "password"), (user.message, "message"), (user.answer, "answer")] {
            try checkConfText(text, what: "the \(what) of \(user.name)", forbidding: ["\\", "'"])
        }
        var acceptUpdates = ""
        for attribute in user.acceptReply {
            let value: String
            switch attribute.value {
            case .text(let text):
                try checkConfText(text, what: "\(attribute.name) of \(user.name)", forbidding: ["\\", "'"])
                value = "'\(text)'"
            case .octets(let bytes):
                value = hex(bytes)
            }
            acceptUpdates += "\t\t\t\t\t&\(try attributeName(attribute.name)) += \(value)\n"
        }
        let acceptSection = acceptUpdates.isEmpty ? "" : "\t\t\t\tupdate reply {\n\(acceptUpdates)\t\t\t\t}\n"
        return """
            \t\tif (&User-Name == '\(user.name)') {
            \t\t\tif (&State == \(hex(user.state))) {
            \t\t\t\tupdate control {
            \t\t\t\t\t&Cleartext-Password := '\(user.answer)'
            \t\t\t\t}
            \(acceptSection)\t\t\t}
            \t\t\telsif (!&State && &User-Password == '\(user.password)') {
            \t\t\t\tupdate reply {
            \t\t\t\t\t&State := \(hex(user.state))
            \t\t\t\t\t&Reply-Message := '\(user.message)'
            \t\t\t\t}
            \t\t\t\tupdate control {
            \t\t\t\t\t&Response-Packet-Type := Access-Challenge
            \t\t\t\t}
            \t\t\t\thandled
            \t\t\t}
            \t\t\telse {
            \t\t\t\treject
            \t\t\t}
            \t\t}

            """
    }

    // In the users file the name is double-quoted (where only `\"` is an escape) and values are
    // single-quoted: taken literally, with `\'` and `\\` as escapes, and never %{...}-expanded.
    private static func usersFile(_ users: [FreeRADIUSPeer.User]) throws -> String {
        var text = "# Written by twofold's FreeRADIUSPeer for one test.\n"
        var seen = Set<String>()
        for user in users {
            guard !user.name.isEmpty, user.name != "DEFAULT" else {
                throw FreeRADIUSPeer.ConfigurationError(description: "user name \"\(user.name)\" is not allowed")
            }
            guard seen.insert(user.name).inserted else {
                throw FreeRADIUSPeer.ConfigurationError(description: "user \"\(user.name)\" is listed twice")
            }
            try checkConfText(
                user.name, what: "the user name \(user.name)", forbidding: ["\\"], expands: false)
            try checkConfText(
                user.password, what: "the password of \(user.name)", forbidding: [], expands: false)
            let name = user.name.replacingOccurrences(of: "\"", with: "\\\"")
            text += "\"\(name)\"\tCleartext-Password := \(singleQuoted(user.password))\n"
            var items: [String] = []
            for attribute in user.reply {
                let value: String
                switch attribute.value {
                case .text(let raw):
                    try checkConfText(
                        raw, what: "\(attribute.name) of \(user.name)", forbidding: [], expands: false)
                    value = singleQuoted(raw)
                case .octets(let bytes):
                    value = hex(bytes)
                }
                items.append("\t\(try attributeName(attribute.name)) += \(value)")
            }
            if !items.isEmpty { text += items.joined(separator: ",\n") + "\n" }
            text += "\n"
        }
        return text
    }

    private static func singleQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
            + "'"
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        bytes.isEmpty ? "0x" : "0x" + bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// Dictionary names: letters, digits, `-`, `_`, `.` (`Attr-26.2636.1` style names included).
    private static func attributeName(_ name: String) throws -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        guard let first = name.first, first.isLetter, name.allSatisfy({ allowed.contains($0) }) else {
            throw FreeRADIUSPeer.ConfigurationError(description: "\"\(name)\" is not an attribute name")
        }
        return name
    }

    /// Rejects control characters and `forbidding`; in radiusd.conf (`expands`) also `${`.
    private static func checkConfText(
        _ text: String, what: String, forbidding: [Character], expands: Bool = true
    ) throws {
        if let bad = text.unicodeScalars.first(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            throw FreeRADIUSPeer.ConfigurationError(
                description: "\(what) contains the control character U+\(String(bad.value, radix: 16))")
        }
        if let bad = text.first(where: { forbidding.contains($0) }) {
            throw FreeRADIUSPeer.ConfigurationError(description: "\(what) may not contain \(bad)")
        }
        if expands && text.contains("${") {
            throw FreeRADIUSPeer.ConfigurationError(description: "\(what) may not contain ${")
        }
    }
}
