/// The texts users see (Reply-Message, LDAP diagnosticMessage). Where the reference proxy has a
/// text, it is used word for word so that administrators' runbooks and help-desk scripts keep
/// working; Duo's own status messages are passed on as Duo wrote them.
public enum PolicyMessages {
    public static let failmodeSafePreauth = "Failmode Safe - Allowed Duo login on preauth failure"
    public static let failmodeSecurePreauth = "Failmode Secure - Denied Duo login on preauth failure"
    public static let failmodeSafeAuth = "Failmode Safe - Allowed Duo login on auth failure"
    public static let failmodeSecureAuth = "Failmode Secure - Denied Duo login on auth failure"
    /// Duo answered but refused the request (bad keys, bad request, unreadable answer): denied in
    /// every failmode.
    public static let duoRefused = "Duo could not check this login; contact your administrator"
    /// Unknown user and wrong password get the same words.
    public static let primaryRejected = "Incorrect username or password"
    public static let primaryUnavailable = "The directory could not be reached; try again later"
    public static let exempt = "Duo skipped: exempt user"
    public static let lockedOut = "Too many failed attempts; try again later"
    public static let tooManyPushes = "Too many Duo requests; try again later"
    public static let missingFactor = "Append a passcode or a factor to your password (password,push)"
    public static let tooManyAnswers = "Too many incorrect answers"
    public static let challengeMismatch = "This answer belongs to another login"
    public static let passcodePrompt = "Enter a Duo passcode"

    static func enroll(_ message: String, portalURL: String?) -> String {
        guard let portalURL else { return message }
        return message.isEmpty ? "Enroll in Duo at \(portalURL)" : "\(message): \(portalURL)"
    }

    static func noSuchDevice(_ factor: FactorAnswer, number: Int) -> String {
        "You have no device number \(number) for \(factor)"
    }

    /// The reference's console menu for `radius_server_challenge`.
    static func menu(username: String, entries: [LoginContinuation.MenuEntry]) -> String {
        var lines = ["Duo two-factor login for \(username)", "", "Enter a passcode or select one of the following options:", ""]
        for (index, entry) in entries.enumerated() {
            lines.append(" \(index + 1). \(entry.label)")
        }
        lines.append("")
        lines.append(entries.isEmpty ? "Passcode:" : "Passcode or option (1-\(entries.count)):")
        return lines.joined(separator: "\n")
    }
}
