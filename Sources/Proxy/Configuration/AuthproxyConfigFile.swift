/// authproxy.cfg as text: sections of keys and values with their line numbers, read in the
/// dialect of Duo's Authentication Proxy (Python's `configparser` as the reference sets it up).
///
/// - `[section]` headers; a trailing number makes another instance (`[radius_server_auto2]`).
///   Section names are compared without case; the same name twice is an error.
/// - `key=value` or `key: value`; keys are compared without case; the same key twice in a section
///   is an error. Whitespace around keys and values is dropped.
/// - Lines starting with `#` or `;` are comments. There are NO inline comments: in
///   `secret=abc # old`, the value is `abc # old`, as the reference reads it.
/// - An indented line continues the previous value (joined with a newline).
/// - A UTF-8 byte order mark at the start is ignored.
///
/// This type only reads the text; what the keys mean is checked by the section readers, which
/// report every error with the file, line, section and key.
struct AuthproxyConfigFile: Sendable {
    struct Entry: Sendable, Hashable {
        /// Lower-cased.
        var key: String
        var value: String
        var line: Int
    }

    struct Section: Sendable {
        /// As written in the header (`radius_server_auto2`).
        var name: String
        var line: Int
        var entries: [Entry]

        /// The section's type and instance: `radius_server_auto2` is (`radius_server_auto`, 2),
        /// `ad_client` is (`ad_client`, 1).
        var kind: (type: String, instance: Int) {
            let lowered = name.lowercased()
            let digits = lowered.reversed().prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, digits.count < lowered.count, let number = Int(String(digits.reversed())) else {
                return (lowered, 1)
            }
            return (String(lowered.dropLast(digits.count)), number)
        }
    }

    var path: String
    var sections: [Section]

    /// Reads the text of a configuration file. `path` is only used in error messages.
    static func parse(_ text: String, path: String) throws(ConfigError) -> AuthproxyConfigFile {
        var sections: [Section] = []
        var sectionLines: [String: Int] = [:]
        var text = Substring(text)
        if text.hasPrefix("\u{FEFF}") { text = text.dropFirst() }

        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            let trimmed = line.trimmingWhitespace()
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }

            if line.first == " " || line.first == "\t" {
                // A continuation of the previous value.
                guard !sections.isEmpty, let last = sections[sections.count - 1].entries.indices.last else {
                    throw ConfigError(path: path, line: number, "an indented line continues nothing",
                        hint: "remove the indentation, or put the line after a key=value line")
                }
                sections[sections.count - 1].entries[last].value += "\n" + trimmed
                continue
            }

            if trimmed.hasPrefix("[") {
                guard trimmed.hasSuffix("]"), trimmed.count > 2 else {
                    throw ConfigError(path: path, line: number, "a section header must look like [name]", hint: "found \(trimmed)")
                }
                let name = String(trimmed.dropFirst().dropLast()).trimmingWhitespace()
                let lowered = name.lowercased()
                if let first = sectionLines[lowered] {
                    throw ConfigError(path: path, line: number, section: name, "the section [\(name)] appears twice (first at line \(first))",
                        hint: "merge the two, or number the second instance ([\(name)2])")
                }
                sectionLines[lowered] = number
                sections.append(Section(name: name, line: number, entries: []))
                continue
            }

            guard let separator = trimmed.firstIndex(where: { $0 == "=" || $0 == ":" }) else {
                throw ConfigError(path: path, line: number, section: sections.last?.name, "a line must be key=value, [section] or a # comment",
                    hint: "found \(trimmed.prefix(40))")
            }
            guard !sections.isEmpty else {
                throw ConfigError(path: path, line: number, "key=value before any [section]", hint: "put it under [main] or the section it belongs to")
            }
            let key = String(trimmed[..<separator]).trimmingWhitespace().lowercased()
            let value = String(trimmed[trimmed.index(after: separator)...]).trimmingWhitespace()
            guard !key.isEmpty else {
                throw ConfigError(path: path, line: number, section: sections.last?.name, "a value without a key", hint: "write key=value")
            }
            let current = sections.count - 1
            if let earlier = sections[current].entries.first(where: { $0.key == key }) {
                throw ConfigError(path: path, line: number, section: sections[current].name, key: key,
                    "the key appears twice in this section (first at line \(earlier.line))", hint: "keep one of them")
            }
            sections[current].entries.append(Entry(key: key, value: value, line: number))
        }
        return AuthproxyConfigFile(path: path, sections: sections)
    }
}

/// A configuration error: what is wrong, where (file:line, section, key), and what would be valid.
struct ConfigError: Error, Hashable, Sendable, CustomStringConvertible {
    var path: String
    var line: Int?
    var section: String?
    var key: String?
    var problem: String
    var hint: String?

    init(path: String, line: Int?, section: String? = nil, key: String? = nil, _ problem: String, hint: String? = nil) {
        self.path = path
        self.line = line
        self.section = section
        self.key = key
        self.problem = problem
        self.hint = hint
    }

    var description: String {
        var text = path
        if let line { text += ":\(line)" }
        text += ": "
        if let section { text += "[\(section)] " }
        if let key { text += "\(key): " }
        text += problem
        if let hint { text += " (\(hint))" }
        return text
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
