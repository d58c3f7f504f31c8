import Foundation

/// Reads the keys of one authproxy.cfg section with types, defaults and the reference's aliases,
/// and remembers which keys were read so that the rest can be reported as unknown.
///
/// Every error names the file, line, section and key, and says what would be valid.
struct ConfigSectionReader {
    let path: String
    let section: AuthproxyConfigFile.Section
    private var read: Set<String> = []

    /// The reference's alternative spellings: `delimeter` (sic) and `concat_mode`.
    static let aliases: [String: [String]] = [
        "delimiter": ["delimeter"],
        "allow_concat": ["concat_mode"],
    ]

    init(path: String, section: AuthproxyConfigFile.Section) {
        self.path = path
        self.section = section
    }

    /// The entry for a key or one of its aliases (marked as read).
    mutating func entry(_ key: String) throws(ConfigError) -> AuthproxyConfigFile.Entry? {
        let names = [key] + (Self.aliases[key] ?? [])
        let found = section.entries.filter { names.contains($0.key) }
        for name in names { read.insert(name) }
        if found.count > 1 {
            throw error(found[1], "\(found[0].key) and \(found[1].key) are the same option", hint: "keep one of them")
        }
        return found.first
    }

    mutating func string(_ key: String) throws(ConfigError) -> String? {
        try entry(key)?.value
    }

    mutating func string(_ key: String, default value: String) throws(ConfigError) -> String {
        try entry(key)?.value ?? value
    }

    mutating func required(_ key: String, hint: String) throws(ConfigError) -> String {
        guard let entry = try entry(key), !entry.value.isEmpty else {
            throw ConfigError(path: path, line: section.line, section: section.name, key: key, "is required", hint: hint)
        }
        return entry.value
    }

    /// `true`/`false` in any case, or an integer (0 is false), as the reference reads booleans.
    mutating func bool(_ key: String, default value: Bool) throws(ConfigError) -> Bool {
        guard let entry = try entry(key) else { return value }
        switch entry.value.lowercased() {
        case "true": return true
        case "false": return false
        default:
            guard let number = Int(entry.value) else {
                throw error(entry, "'\(entry.value)' is not a boolean", hint: "write true or false")
            }
            return number != 0
        }
    }

    mutating func int(_ key: String, default value: Int? = nil, in range: ClosedRange<Int>) throws(ConfigError) -> Int? {
        guard let entry = try entry(key) else { return value }
        guard let number = Int(entry.value), range.contains(number) else {
            throw error(entry, "'\(entry.value)' is not a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    mutating func choice<T: RawRepresentable<String>>(_ key: String, default value: T, of type: T.Type = T.self) throws(ConfigError) -> T
    where T: CaseIterable {
        guard let entry = try entry(key) else { return value }
        guard let chosen = T(rawValue: entry.value.lowercased()) else {
            throw error(entry, "'\(entry.value)' is not valid", hint: "choose one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return chosen
    }

    /// A comma-separated list, items trimmed, empty items dropped.
    mutating func list(_ key: String) throws(ConfigError) -> [String]? {
        guard let entry = try entry(key) else { return nil }
        return entry.value.split(separator: ",").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
    }

    /// `prefix_1`, `prefix_2`, ... in number order (`exempt_username_N`, `radius_ip_N`). With
    /// `bareFirst`, `prefix` itself is number 1 (`host`, `host_2`, as the reference names hosts).
    mutating func numbered(_ prefix: String, bareFirst: Bool = false) throws(ConfigError) -> [(number: Int, entry: AuthproxyConfigFile.Entry)] {
        var found: [(Int, AuthproxyConfigFile.Entry)] = []
        for entry in section.entries {
            if bareFirst, entry.key == prefix {
                found.append((1, entry))
                read.insert(entry.key)
                continue
            }
            guard entry.key.hasPrefix(prefix + "_") else { continue }
            let suffix = entry.key.dropFirst(prefix.count + 1)
            guard let number = Int(suffix), number >= 1, String(number) == suffix else { continue }
            if bareFirst, number == 1 {
                throw error(entry, "write the first one as \(prefix), the next as \(prefix)_2")
            }
            found.append((number, entry))
            read.insert(entry.key)
        }
        return found.sorted { $0.0 < $1.0 }
    }

    /// A file named in the section: relative paths are relative to the configuration file's folder,
    /// as an administrator reading the file expects.
    func resolvedPath(_ value: String) -> String {
        if value.hasPrefix("/") { return value }
        return URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(value).path
    }

    /// Every key of the section that no reader asked for: a typo or an option twofold does not have.
    func unknownKeys(valid: [String]) throws(ConfigError) {
        guard let unknown = section.entries.first(where: { !read.contains($0.key) }) else { return }
        let known = valid.isEmpty ? "" : "; this section takes \(valid.joined(separator: ", "))"
        throw error(unknown, "unknown option", hint: "check the spelling\(known)")
    }

    /// An error a section's own validation reported for `key`, placed at that key's line (or the
    /// section's, when the key is absent).
    func error(key: String, _ problem: String) -> ConfigError {
        let line = section.entries.first { $0.key == key }?.line ?? section.line
        return ConfigError(path: path, line: line, section: section.name, key: key, problem)
    }

    /// A `ConfigError` as it is; anything else placed at the section.
    func rethrown(_ error: any Error) -> ConfigError {
        (error as? ConfigError) ?? ConfigError(path: path, line: section.line, section: section.name, "\(error)")
    }

    func error(_ entry: AuthproxyConfigFile.Entry, _ problem: String, hint: String? = nil) -> ConfigError {
        ConfigError(path: path, line: entry.line, section: section.name, key: entry.key, problem, hint: hint)
    }
}
