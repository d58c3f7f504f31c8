#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Bounds on a users file, checked while reading it.
public enum LocalUsersLimits {
    /// 16 MiB: about 150,000 entries. The file is read into memory whole, never more than this.
    public static let maximumFileBytes = 16 << 20
    /// An entry is under 200 bytes; a longer line is a mistake (a pasted file, a missing newline).
    public static let maximumLineBytes = 4096
    /// RADIUS User-Name holds at most 253 octets (RFC 2865 §5.1).
    public static let maximumUsernameBytes = 253
    /// Problems listed in one error; the count of the rest follows.
    public static let maximumReportedProblems = 20
}

/// One user of a users file.
public struct LocalUser: Sendable, CustomStringConvertible {
    public let name: String
    public let hash: PasswordHash
    /// Where the entry is, for diagnostics.
    public let line: Int

    public var description: String { "\(name) (line \(line), \(hash.cost))" }
}

/// A parsed users file: one user per line, `NAME:PHC-HASH`.
///
/// ```
/// # comment lines and blank lines are ignored
/// alice:$pbkdf2-sha256$i=600000$<salt>$<hash>
/// bob:$scrypt$ln=17,r=8,p=1$<salt>$<hash>
/// ```
///
/// Lines may end in LF or CRLF; spaces and tabs around a line are ignored. A name is UTF-8 text
/// of 1 to 253 bytes without `:`, control or invisible characters (Unicode Cc, Cf, Zl, Zp) and
/// without whitespace at either end, and cannot begin with `#`.
///
/// Names are matched exactly (Unicode canonical equivalence, as Swift compares strings: a
/// precomposed `é` and `e` + combining accent are one name). They are case-sensitive: the name
/// that passes here is the name Duo sees, so `Alice` cannot log in with the password of `alice`.
/// Two names that differ only in letter case are refused when the file is loaded, because Duo
/// (and Active Directory) treat them as one user by default: two passwords for one Duo identity
/// would be a trap.
public struct LocalUsers: Sendable {
    /// The file these users came from.
    public let path: String
    private let users: [String: LocalUser]
    /// What an unknown user is checked against: a hash no password matches, of the cost most
    /// entries use, so that an unknown user and a wrong password take the same time. (A user whose
    /// cost differs from most users' can still be told apart by timing; keep one cost per file.)
    let decoy: PasswordHash
    /// Things worth telling the administrator that do not stop the file from loading.
    public let warnings: [String]

    public var count: Int { users.count }
    public var names: [String] { users.keys.sorted() }

    public subscript(name: String) -> LocalUser? { users[name] }

    /// Reads and parses the file at `path`. The file must be a regular file of at most
    /// ``LocalUsersLimits/maximumFileBytes`` that is not writable by every local user.
    public static func load(path: String, floor: PasswordCostFloor = .owasp) throws(LocalUsersError) -> LocalUsers {
        let (bytes, otherReadable) = try readFile(path)
        var users = try parse(bytes, path: path, floor: floor)
        if otherReadable {
            users = LocalUsers(
                path: users.path, users: users.users, decoy: users.decoy,
                warnings: users.warnings + [
                    "\(path) is readable by every local user: its hashes can be copied and cracked offline; chmod o-r \(path)"
                ])
        }
        return users
    }

    /// Parses the contents of a users file. Reports every wrong line, not only the first.
    public static func parse(_ bytes: [UInt8], path: String, floor: PasswordCostFloor = .owasp) throws(LocalUsersError) -> LocalUsers {
        var users: [String: LocalUser] = [:]
        /// Lower-cased name to the first name and line that spelled it.
        var byFoldedCase: [String: (name: String, line: Int)] = [:]
        /// How many entries have each cost and output length, and which came first (for the decoy).
        var shapeCounts: [HashShape: Int] = [:]
        var shapeOrder: [HashShape] = []
        var problems: [LocalUsersFileProblem] = []
        // A UTF-8 byte order mark (as some Windows editors write) is not part of the first name.
        let bytes = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? bytes.dropFirst(3) : bytes[...]

        for (index, rawLine) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            func problem(_ kind: LocalUsersFileProblem.Kind, _ message: String) {
                problems.append(LocalUsersFileProblem(line: lineNumber, kind: kind, message: message))
            }
            guard rawLine.count <= LocalUsersLimits.maximumLineBytes else {
                problem(.tooLong, "the line is \(rawLine.count) bytes, longer than \(LocalUsersLimits.maximumLineBytes): one entry per line, NAME:HASH")
                continue
            }
            guard let text = String(validating: rawLine, as: UTF8.self) else {
                problem(.encoding, "the line is not valid UTF-8: save the file as UTF-8")
                continue
            }
            let line = text.trimmingSpacesAndTabs()
            if line.isEmpty || line.hasPrefix("#") { continue }

            guard let colon = line.firstIndex(of: ":") else {
                problem(.syntax, "expected NAME:HASH (no ':' found); make an entry with `twofold hash-password --username NAME`")
                continue
            }
            let name = line[..<colon]
            let hashText = line[line.index(after: colon)...]
            if let reason = LocalUsername.problem(name) {
                problem(.username, "\(reason)")
                continue
            }
            let shownName = LocalUsername.printable(name)
            if let first = hashText.first, first == " " || first == "\t" {
                problem(.hash, "whitespace after ':' in the entry of \(shownName): write NAME:HASH with nothing between")
                continue
            }
            let hash: PasswordHash
            do {
                hash = try PasswordHash(phcString: hashText)
            } catch {
                problem(.hash, "the hash of \(shownName): \(error.diagnostic); make a new entry with `twofold hash-password --username \(shownName)`")
                continue
            }
            if let shortfall = floor.shortfall(of: hash.cost) {
                problem(
                    .weakCost,
                    "the hash of \(shownName): \(shortfall); make a new entry with `twofold hash-password --username \(shownName)` (OWASP's cost by default), or lower the configured floor knowingly")
                continue
            }
            let user = LocalUser(name: String(name), hash: hash, line: lineNumber)
            if let existing = users[user.name] {
                problem(.duplicate, "\(shownName) is already defined on line \(existing.line): keep one of the two lines")
                continue
            }
            let folded = user.name.lowercased()
            if let sibling = byFoldedCase[folded] {
                problem(
                    .duplicate,
                    "\(shownName) and \(LocalUsername.printable(sibling.name[...])) (line \(sibling.line)) differ only in letter case, and Duo treats them as one user: keep one of the two lines")
                continue
            }
            users[user.name] = user
            byFoldedCase[folded] = (user.name, lineNumber)
            let shape = HashShape(cost: hash.cost, digestBytes: hash.digest.count)
            if shapeCounts[shape, default: 0] == 0 { shapeOrder.append(shape) }
            shapeCounts[shape, default: 0] += 1
        }
        guard problems.isEmpty else { throw .invalidEntries(path, problems) }

        // The most common shape; on a tie, the one that appears first.
        let decoy = shapeOrder.max { shapeCounts[$0, default: 0] < shapeCounts[$1, default: 0] }
            .map { PasswordHash.decoy(cost: $0.cost, digestBytes: $0.digestBytes) } ?? .decoy(cost: .pbkdf2SHA256Default)
        let warnings = users.isEmpty ? ["\(path) has no users: every login through it is refused"] : []
        return LocalUsers(path: path, users: users, decoy: decoy, warnings: warnings)
    }

    /// The contents (at most ``LocalUsersLimits/maximumFileBytes``) and whether every local user
    /// may read them.
    private static func readFile(_ path: String) throws(LocalUsersError) -> ([UInt8], Bool) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw .unreadable(path, "cannot open it (\(String(cString: strerror(errno)))): check users_file and the file's permissions")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw .unreadable(path, "cannot stat it (\(String(cString: strerror(errno))))")
        }
        guard status.st_mode & 0o170000 == 0o100000 else {  // S_IFMT, S_IFREG
            throw .unreadable(path, "not a regular file: users_file must name a file")
        }
        guard status.st_mode & 0o002 == 0 else {  // S_IWOTH
            throw .unsafePermissions(
                path, "writable by every local user, who could add a user of their own: chmod o-w \(path)")
        }
        guard status.st_size <= LocalUsersLimits.maximumFileBytes else {
            throw .unreadable(path, "\(status.st_size) bytes, larger than the limit of \(LocalUsersLimits.maximumFileBytes)")
        }
        // Read up to one byte past the limit, in case the file grew since fstat.
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size) + 1)
        var filled = 0
        while true {
            if filled == bytes.count {
                guard bytes.count <= LocalUsersLimits.maximumFileBytes else {
                    throw .unreadable(path, "larger than the limit of \(LocalUsersLimits.maximumFileBytes) bytes")
                }
                bytes.append(contentsOf: repeatElement(0, count: min(64 << 10, LocalUsersLimits.maximumFileBytes + 1 - bytes.count)))
            }
            let count = bytes.withUnsafeMutableBytes { buffer in
                read(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path, "cannot read it (\(String(cString: strerror(errno))))")
            }
            if count == 0 { break }
            filled += count
        }
        bytes.removeSubrange(filled...)
        return (bytes, status.st_mode & 0o004 != 0)  // S_IROTH
    }
}

/// What the time of one check depends on.
private struct HashShape: Hashable {
    var cost: PasswordHashCost
    var digestBytes: Int
}

/// The rules for names in a users file, shared with `twofold hash-password`.
public enum LocalUsername {
    /// Why `name` cannot be a username (what is wrong, with the name shown safely), or nil.
    public static func problem(_ name: Substring) -> String? {
        guard !name.isEmpty else { return "the username is empty: write NAME:HASH" }
        let shown = printable(name)
        guard name.utf8.count <= LocalUsersLimits.maximumUsernameBytes else {
            return "the username \(shown.prefix(40))... is \(name.utf8.count) bytes, longer than \(LocalUsersLimits.maximumUsernameBytes)"
        }
        if name.contains(":") {
            return "the username \(shown) contains ':', which separates the name from the hash"
        }
        if let scalar = name.unicodeScalars.first(where: isForbidden) {
            return "the username \(shown) contains U+\(hex(scalar)), a control or invisible character: names must look like what they are"
        }
        if name.first!.isWhitespace || name.last!.isWhitespace {
            return "the username \(shown) begins or ends with whitespace: remove it"
        }
        if name.hasPrefix("#") {
            return "the username \(shown) begins with '#', which starts a comment line"
        }
        return nil
    }

    /// The name quoted, with control and invisible characters written as `\u{XXXX}`, so that a
    /// diagnostic cannot be used to forge log lines.
    public static func printable(_ name: Substring) -> String {
        var text = "\""
        for scalar in name.unicodeScalars {
            if isForbidden(scalar) || scalar == "\"" || scalar == "\\" {
                text += "\\u{\(hex(scalar))}"
            } else {
                text.unicodeScalars.append(scalar)
            }
        }
        return text + "\""
    }

    /// Control (Cc), format (Cf: zero-width and bidirectional marks), line and paragraph
    /// separators: characters that are invisible or rewrite how a log line reads.
    private static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate: true
        default: false
        }
    }

    private static func hex(_ scalar: Unicode.Scalar) -> String {
        let digits = String(scalar.value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

extension String {
    fileprivate func trimmingSpacesAndTabs() -> Substring {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isBlank($0) }), let last = lastIndex(where: { !isBlank($0) }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}
