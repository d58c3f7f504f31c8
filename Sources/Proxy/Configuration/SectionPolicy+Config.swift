import LDAPWire
import Policy

extension SectionPolicy {
    /// The Policy options every server section shares, with the reference's names and defaults,
    /// plus twofold's limits. Keys that belong to the front (addresses, secrets) or to the Duo
    /// client (`skey`, `api_host`, `api_timeout`) are read elsewhere.
    static func read(_ reader: inout ConfigSectionReader, mode: Mode) throws(ConfigError) -> SectionPolicy {
        let ikey = try reader.required("ikey", hint: "the integration key of this application in the Duo Admin Panel")

        var factors: [FactorChoice] = [.auto]
        if let names = try reader.list("factors"), let entry = try reader.entry("factors") {
            factors = []
            for name in names {
                guard let factor = FactorChoice(rawValue: name.lowercased()) else {
                    throw reader.error(entry, "'\(name)' is no factor", hint: "choose from auto, push, phone, sms, passcode")
                }
                factors.append(factor)
            }
            if factors.isEmpty { throw reader.error(entry, "lists no factor", hint: "for example factors=auto") }
        }

        var delimiter: Character = ","
        if let entry = try reader.entry("delimiter") {
            guard entry.value.count == 1, let character = entry.value.first, character.isASCII, !character.isLetter, !character.isNumber
            else {
                throw reader.error(entry, "'\(entry.value)' must be one ASCII punctuation character", hint: "the default is a comma")
            }
            delimiter = character
        }

        var exemptOUs: [LDAPDN] = []
        for (_, entry) in try reader.numbered("exempt_ou") {
            do {
                exemptOUs.append(try LDAPDN(parsing: entry.value))
            } catch {
                throw reader.error(entry, "'\(entry.value)' is not a distinguished name: \(error)", hint: "for example OU=Service Accounts,DC=example,DC=com")
            }
        }

        let window = try reader.int("failed_primary_window", default: 300, in: 1...86_400)!
        let perUser = try reader.int("max_failed_primary_per_user", default: 10, in: 0...100_000)!
        let perAddress = try reader.int("max_failed_primary_per_address", default: 50, in: 0...1_000_000)!
        let pushes = try reader.int("max_pushes_per_user", default: 5, in: 0...10_000)!
        let pushWindow = try reader.int("push_window", default: 600, in: 1...86_400)!
        let limits = LoginLimits(
            failedPrimaryPerUser: perUser == 0 ? nil : .init(count: perUser, window: .seconds(window)),
            failedPrimaryPerAddress: perAddress == 0 ? nil : .init(count: perAddress, window: .seconds(window)),
            pushesPerUser: pushes == 0 ? nil : .init(count: pushes, window: .seconds(pushWindow)))

        // Options of radius_server_challenge only; elsewhere they stay unread and are reported.
        var promptFormat = PromptFormat.console
        var enrollChallenge = true
        if mode == .challenge {
            promptFormat = try reader.choice("prompt_format", default: PromptFormat.console)
            enrollChallenge = try reader.bool("enroll_challenge", default: true)
        }

        return SectionPolicy(
            name: reader.section.name,
            mode: mode,
            integrationKey: ikey,
            failmode: try reader.choice("failmode", default: Failmode.safe),
            factors: factors,
            delimiter: delimiter,
            allowConcatenation: try reader.bool("allow_concat", default: true),
            delimitedPasswordLength: try reader.int("delimited_password_length", in: 1...1024),
            exemptUsernames: try reader.numbered("exempt_username").map(\.entry.value),
            exemptOrganizationalUnits: exemptOUs,
            challengeAttempts: try reader.int("max_challenge_answers", default: 3, in: 1...10)!,
            promptFormat: promptFormat,
            enrollChallenge: enrollChallenge,
            limits: limits)
    }
}
