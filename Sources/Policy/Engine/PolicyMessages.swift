import Foundation

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
    /// The reference's answer to any reply to an enrollment challenge.
    public static let enrollThenLogInAgain = "Please complete the enrollment process and login again"
    /// The reference's texts for the answer to a Duo Web frame.
    public static let webPromptValid = "Valid login from iframe"
    public static let webPromptInvalid = "Invalid login from iframe"
    /// The longest Reply-Message a device is sure to show whole (RFC 2865 §5.18: one attribute).
    static let singleReplyMessageLength = 253

    static func enroll(_ message: String, portalURL: String?) -> String {
        guard let portalURL else { return message }
        return message.isEmpty ? "Enroll in Duo at \(portalURL)" : "\(message): \(portalURL)"
    }

    static func noSuchDevice(_ factor: FactorAnswer, number: Int) -> String {
        "You have no device number \(number) for \(factor)"
    }

    /// The challenge text in the section's `prompt_format`, as the reference writes it: `console`
    /// the menu's lines, `html` the same lines escaped and joined by `<br>`, `short` one line of the
    /// answers one may type. A console or html text that does not fit one Reply-Message falls back
    /// to short, as the reference's does.
    static func challengePrompt(username: String, entries: [LoginContinuation.MenuEntry], format: PromptFormat) -> String {
        let text: String
        switch format {
        case .console:
            text = entries.isEmpty ? passcodePrompt : menu(username: username, entries: entries)
        case .html:
            text = (entries.isEmpty ? passcodePrompt : menu(username: username, entries: entries))
                .split(separator: "\n", omittingEmptySubsequences: false)
                .map { escapeHTML($0.trimmingCharacters(in: .whitespaces)) }
                .joined(separator: "<br>")
        case .short:
            return shortPrompt(entries)
        }
        return text.utf8.count > singleReplyMessageLength ? shortPrompt(entries) : text
    }

    /// `Choose a secondary factor from ('push1', 'phone1') or enter passcode:`: each entry by the
    /// name it is answered with (`push2` is the second push entry; `auto` by its number).
    static func shortPrompt(_ entries: [LoginContinuation.MenuEntry]) -> String {
        guard !entries.isEmpty else { return "Enter passcode:" }
        var seen: [String: Int] = [:]
        var names: [String] = []
        for (index, entry) in entries.enumerated() {
            if entry.factor == "auto" {
                names.append("'\(index + 1)'")
            } else {
                seen[entry.factor, default: 0] += 1
                names.append("'\(entry.factor)\(seen[entry.factor]!)'")
            }
        }
        let text = "Choose a secondary factor from (\(names.joined(separator: ", "))) or enter passcode:"
        return text.utf8.count > singleReplyMessageLength ? "Choose a secondary factor or enter passcode:" : text
    }

    private static func escapeHTML(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            default: escaped.append(character)
            }
        }
        return escaped
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
