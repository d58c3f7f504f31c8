import RADIUSFront
import RADIUSWire

extension TwofoldConfiguration {
    /// `match_username_suffix`, `match_username_prefix`, `match_nas_identifier`,
    /// `match_attribute_N` and `strip_realm` of a `[radius_server_*]` section.
    ///
    /// A suffix starts with `@` and a prefix ends with `\`, each holding that separator once, so a
    /// rule always names a whole realm: `contractors.example.com` alone would also take
    /// `alice@evil-contractors.example.com`.
    static func readRealmRules(_ reader: inout ConfigSectionReader) throws(ConfigError) -> RealmRules {
        var rules = RealmRules()
        if let entry = try reader.entry("match_username_suffix") {
            guard entry.value.hasPrefix("@"), entry.value.count > 1, entry.value.filter({ $0 == "@" }).count == 1 else {
                throw reader.error(entry, "'\(entry.value)' is not a realm suffix", hint: "an @ and the realm, e.g. @contractors.example.com")
            }
            rules.usernameSuffix = entry.value
        }
        if let entry = try reader.entry("match_username_prefix") {
            guard entry.value.hasSuffix("\\"), entry.value.count > 1, entry.value.filter({ $0 == "\\" }).count == 1 else {
                throw reader.error(entry, "'\(entry.value)' is not a realm prefix", hint: "the domain and a backslash, e.g. CONTRACTORS\\")
            }
            rules.usernamePrefix = entry.value
        }
        if let entry = try reader.entry("match_nas_identifier") {
            guard !entry.value.isEmpty else { throw reader.error(entry, "is empty", hint: "the NAS-Identifier the device sends, e.g. vpn-contractors") }
            rules.nasIdentifier = entry.value
        }
        for (_, entry) in try reader.numbered("match_attribute") {
            do {
                rules.attributes.append(try AttributeRule(parsing: entry.value))
            } catch {
                throw reader.error(entry, error.description, hint: "Attribute-Name=value, or Attribute-Name=~regular expression")
            }
        }
        if let entry = try reader.entry("strip_realm") {
            rules.stripRealm = try reader.bool("strip_realm", default: false)
            if rules.stripRealm, rules.usernameSuffix == nil, rules.usernamePrefix == nil {
                throw reader.error(entry, "has no realm to strip", hint: "add match_username_suffix or match_username_prefix, or remove this line")
            }
        }
        return rules
    }

    /// Sections that share an (interface, port) form one listener: each client address must get
    /// one secret from all of them, and no two may be impossible to tell apart.
    static func checkSharedRADIUSPorts(_ servers: [RADIUSServer], path: String) throws(ConfigError) {
        var byListener: [String: [RADIUSServer]] = [:]
        for server in servers { byListener["\(server.interface)|\(server.port)", default: []].append(server) }
        for server in servers {
            let listener = byListener["\(server.interface)|\(server.port)"]!
            guard listener.count > 1, listener[0].line == server.line else { continue }
            let listings = listener.map {
                SectionRouter.Listing(clients: $0.clients, requireMessageAuthenticator: $0.requireMessageAuthenticator, rules: $0.rules)
            }
            guard let conflict = SectionRouter.conflicts(listings).first else { continue }
            let first = listener[conflict.first]
            let second = listener[conflict.second]
            switch conflict.kind {
            case .clientSettings(let i, let j):
                throw ConfigError(
                    path: path, line: second.clientLines[j], section: second.policy.name,
                    "gives client \(second.clients[j].network) another radius_secret or require_message_authenticator than [\(first.policy.name)] (line \(first.clientLines[i])) on the same port \(server.port)",
                    hint: "the secret is chosen before the realm: give the device the same secret and setting in every section on this port")
            case .indistinguishable(let i, let j):
                throw ConfigError(
                    path: path, line: second.clientLines[j], section: second.policy.name,
                    "has the same client \(second.clients[j].network) and the same match_* rules as [\(first.policy.name)] (line \(first.clientLines[i])) on port \(server.port), so it could never be chosen",
                    hint: "add a match_* rule to tell them apart (match_username_suffix, match_username_prefix, match_nas_identifier, match_attribute_N)")
            case .shadowed(let index):
                let shadowed = listener[index]
                let winner = index == conflict.first ? second : first
                throw ConfigError(
                    path: path, line: shadowed.line, section: shadowed.policy.name,
                    "could never be chosen on port \(server.port): [\(winner.policy.name)] (line \(winner.line)) is a candidate for each of its clients, is preferred there, and its match_* rules hold for every login this section's do",
                    hint: "routing prefers the most specific client network, then more match_* rules, then file order: put the more specific section first, or narrow [\(winner.policy.name)]'s rules")
            }
        }
    }
}
