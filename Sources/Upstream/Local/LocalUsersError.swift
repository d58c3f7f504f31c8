/// Why a users file cannot be used. Every problem names the file and line, says what is wrong and
/// how to fix it; none repeats a salt or hash.
public struct LocalUsersError: Error, Sendable, CustomStringConvertible {
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case unreadable = "unreadable users file"
            case unsafePermissions = "unsafe permissions"
            case invalidEntries = "invalid entries"
        }
        fileprivate var base: Base
        /// Missing, not a regular file, not readable, or larger than ``LocalUsersLimits/maximumFileBytes``.
        public static let unreadable = Kind(base: .unreadable)
        /// Writable by every local user, who could then add themselves.
        public static let unsafePermissions = Kind(base: .unsafePermissions)
        /// One or more lines are wrong; see ``LocalUsersError/problems``.
        public static let invalidEntries = Kind(base: .invalidEntries)
        public var description: String { base.rawValue }
    }

    public var kind: Kind
    public var path: String
    /// For ``Kind/invalidEntries``: every wrong line, in file order.
    public var problems: [LocalUsersFileProblem]
    /// Set when a reload failed: the number of users of the previous file, which stay in use.
    public var keptPreviousUsers: Int?
    /// What happened, where and what to do (several lines for several problems).
    public var diagnostic: String {
        var text: String
        switch kind.base {
        case .unreadable, .unsafePermissions:
            text = "\(path): \(reason)"
        case .invalidEntries:
            let shown = problems.prefix(LocalUsersLimits.maximumReportedProblems)
                .map { "\(path):\($0.line): \($0.message)" }
            text = "\(path): \(problems.count) invalid line\(problems.count == 1 ? "" : "s")"
            if problems.count == 1 {
                text = shown[0]
            } else {
                text += ":\n  " + shown.joined(separator: "\n  ")
                if problems.count > shown.count { text += "\n  ... and \(problems.count - shown.count) more" }
            }
        }
        if let keptPreviousUsers {
            text += "\nThe reload was refused: the previous users file (\(keptPreviousUsers) user\(keptPreviousUsers == 1 ? "" : "s")) stays in use."
        }
        return text
    }

    private var reason: String

    public var description: String { diagnostic }

    @inline(never)
    static func unreadable(_ path: String, _ reason: String) -> Self {
        .init(kind: .unreadable, path: path, problems: [], reason: reason)
    }

    @inline(never)
    static func unsafePermissions(_ path: String, _ reason: String) -> Self {
        .init(kind: .unsafePermissions, path: path, problems: [], reason: reason)
    }

    @inline(never)
    static func invalidEntries(_ path: String, _ problems: [LocalUsersFileProblem]) -> Self {
        .init(kind: .invalidEntries, path: path, problems: problems, reason: "")
    }
}

/// One wrong line of a users file.
public struct LocalUsersFileProblem: Sendable, Hashable, CustomStringConvertible {
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case encoding = "not UTF-8"
            case tooLong = "line too long"
            case syntax = "syntax"
            case username = "bad username"
            case hash = "bad hash"
            case weakCost = "cost below the floor"
            case duplicate = "duplicate username"
        }
        fileprivate var base: Base
        public static let encoding = Kind(base: .encoding)
        public static let tooLong = Kind(base: .tooLong)
        /// Not `NAME:HASH`.
        public static let syntax = Kind(base: .syntax)
        /// Empty, too long, with control or invisible characters, or surrounded by whitespace.
        public static let username = Kind(base: .username)
        /// Not a PHC string twofold can check (see ``PasswordHash``).
        public static let hash = Kind(base: .hash)
        /// Below the configured ``PasswordCostFloor``.
        public static let weakCost = Kind(base: .weakCost)
        /// The same name twice, or two names that differ only in letter case.
        public static let duplicate = Kind(base: .duplicate)
        public var description: String { base.rawValue }
    }

    /// 1-based.
    public var line: Int
    public var kind: Kind
    /// What is wrong and how to fix it.
    public var message: String

    public var description: String { "line \(line): \(message)" }
}
