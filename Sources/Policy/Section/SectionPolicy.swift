import LDAPWire

/// The policy of one server section of authproxy.cfg (`[radius_server_auto]`,
/// `[ldap_server_duo_only2]`, ...): everything Policy needs to decide a login that arrived there.
///
/// A plain `Sendable` value: the configuration reader builds it, the engine only reads it. Duo's
/// keys, host and `api_timeout` belong to the section's `DuoClient`, which the engine is given.
public struct SectionPolicy: Sendable {
    /// How the second factor reaches twofold.
    public enum Mode: Sendable, Hashable {
        /// `radius_server_auto`: the password, optionally with `,factor` appended
        /// (`allow_concat`); otherwise the first of `factors` is used.
        case auto
        /// `radius_server_concat`: the password must carry `,factor` or `,passcode`.
        case concat
        /// `radius_server_duo_only`, `ldap_server_duo_only`: no primary; the password field is the
        /// factor (`push`, `phone2`, `sms`) or a passcode.
        case duoOnly
        /// `radius_server_challenge`: the password alone, then a challenge asks for the factor.
        case challenge
        /// `radius_server_iframe`: the password alone, then a challenge carries Duo's Web v2
        /// frame (``SectionPolicy/webPrompt``) and the answer is its signed response.
        case iframe
    }

    /// The section's name as written (`radius_server_auto2`), for logs and auth events.
    public var name: String
    public var mode: Mode
    /// The integration key, for auth events (`server_section_ikey`). Not a secret.
    public var integrationKey: String
    public var failmode: Failmode
    /// `factors`: in `auto` mode the first is used when the password names none; in `challenge`
    /// mode they are the menu's choices. The reference's default is `auto`.
    public var factors: [FactorChoice]
    /// `delimiter` (also read as the reference's misspelling `delimeter`); a comma by default.
    public var delimiter: Character
    /// `allow_concat` (also `concat_mode`): whether a password may carry `,factor` in `auto` mode.
    public var allowConcatenation: Bool
    /// `delimited_password_length`: when set, the first N characters are the password and the
    /// rest, after an optional delimiter, is the factor; for passwords that contain the delimiter.
    public var delimitedPasswordLength: Int?
    /// `exempt_username_N`: users who pass on the primary factor alone. Matched on the whole name
    /// as sent, Unicode lower-cased: `svc` exempts `SVC`, never `svc-evil` or `svc@evil`.
    public var exemptUsernames: Set<String>
    /// `exempt_ou_N`: users whose directory entry lies below one of these DNs pass on the primary
    /// factor alone (needs a primary that returns the user's DN).
    public var exemptOrganizationalUnits: [LDAPDN]
    /// How many answers a challenge accepts before the login is rejected (passcode guessing).
    public var challengeAttempts: Int
    /// `prompt_format` of `radius_server_challenge`: how the menu is written.
    public var promptFormat: PromptFormat
    /// `enroll_challenge` of `radius_server_challenge` (default true): a user who must enroll gets
    /// the enrollment message in an Access-Challenge, which devices show more readily than a
    /// reject's; any answer to it is rejected, and the user logs in again after enrolling.
    public var enrollChallenge: Bool
    /// The Duo Web prompt of an `iframe` or `ldap_server_duo_only` section (nil for the others).
    public var webPrompt: WebPrompt?
    /// Shown in push notifications as the application's name (`pushinfo`), when set.
    public var pushInfo: String?
    /// Limits on failed primary attempts and pushes, per user and per client address.
    public var limits: LoginLimits

    public init(
        name: String,
        mode: Mode = .auto,
        integrationKey: String,
        failmode: Failmode = .safe,
        factors: [FactorChoice] = [.auto],
        delimiter: Character = ",",
        allowConcatenation: Bool = true,
        delimitedPasswordLength: Int? = nil,
        exemptUsernames: [String] = [],
        exemptOrganizationalUnits: [LDAPDN] = [],
        challengeAttempts: Int = 3,
        promptFormat: PromptFormat = .console,
        enrollChallenge: Bool = true,
        webPrompt: WebPrompt? = nil,
        pushInfo: String? = nil,
        limits: LoginLimits = LoginLimits()
    ) {
        self.name = name
        self.mode = mode
        self.integrationKey = integrationKey
        self.failmode = failmode
        self.factors = factors.isEmpty ? [.auto] : factors
        self.delimiter = delimiter
        self.allowConcatenation = allowConcatenation
        self.delimitedPasswordLength = delimitedPasswordLength
        self.exemptUsernames = Set(exemptUsernames.map { $0.lowercased() })
        self.exemptOrganizationalUnits = exemptOrganizationalUnits
        self.challengeAttempts = max(1, challengeAttempts)
        self.promptFormat = promptFormat
        self.enrollChallenge = enrollChallenge
        self.webPrompt = webPrompt
        self.pushInfo = pushInfo
        self.limits = limits
    }

    /// Whether this user skips Duo after a successful primary factor.
    public func isExempt(_ identity: LoginIdentity, distinguishedName: String?) -> Bool {
        if exemptUsernames.contains(identity.normalized) { return true }
        guard !exemptOrganizationalUnits.isEmpty, let distinguishedName,
            let entry = try? LDAPDN(parsing: distinguishedName)
        else { return false }
        return exemptOrganizationalUnits.contains { entry.hasSuffix($0) }
    }
}

/// How a challenge menu is written (`prompt_format=console|html|short`).
public enum PromptFormat: String, Sendable, Hashable, CaseIterable {
    /// The menu's lines as they are (the reference's default).
    case console
    /// The lines HTML-escaped and joined by `<br>`, for devices that show the text in a web page.
    case html
    /// One line naming the answers, for devices that show little text.
    case short
}

/// A factor a section offers (`factors=auto,push,phone,sms,passcode`).
public enum FactorChoice: String, Sendable, Hashable, CaseIterable {
    case auto, push, phone, sms, passcode
}
