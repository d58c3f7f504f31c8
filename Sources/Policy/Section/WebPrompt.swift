import Foundation

/// Duo's Web v2 frame. `radius_server_iframe`: after the primary factor, the device shows the
/// frame, whose signed answer comes back as the password of the challenge's answer.
/// `ldap_server_duo_only`: a bind with the password `web` is answered with the signed request (a
/// failed bind whose message carries it), and a bind whose password is the frame's whole signed
/// response (`AUTH|...:APP|...`) succeeds for that user.
///
/// The challenge's Reply-Message is `template` with the reference's placeholders filled:
/// `%(script_uri)s`, `%(api_host)s`, and `%(proxy_txid)s` (or `%(sig_request)s`), which is the Duo
/// Web `sig_request` here, where the reference put a transaction id of Duo's proxy API.
public struct WebPrompt: Sendable, CustomStringConvertible {
    /// The section's secret key: Duo signs its AUTH cookie with it.
    public var secretKey: String
    /// The application key: twofold signs its APP cookie with it; it never leaves the process.
    public var applicationKey: String
    /// `api_host` (with `:port` when not 443), where the frame loads from.
    public var apiHost: String
    /// `iframe_script_uri`.
    public var scriptURI: String
    /// `script_inject`.
    public var template: String

    /// The reference's `script_inject` for `type=juniper`.
    public static let juniperTemplate =
        "<script src='%(script_uri)s'></script><script>Duo_Init('%(proxy_txid)s', '%(api_host)s');</script>"

    /// `[ldap_server_duo_only]`: the bind's diagnostic message is the signed request alone, for the
    /// device's sign-in page to hand to Duo's frame.
    public static let signedRequestTemplate = "%(sig_request)s"

    /// The password of a duo-only login that asks for the frame instead of naming a factor.
    public static let frameRequestWord = "web"

    /// The reference's default `iframe_script_uri` for `type=juniper`.
    public static func juniperScriptURI(apiHost: String) -> String {
        "https://\(apiHost)/frame/hosted/Duo-Juniper-v1.js"
    }

    public init(secretKey: String, applicationKey: String, apiHost: String, scriptURI: String, template: String = WebPrompt.juniperTemplate) {
        self.secretKey = secretKey
        self.applicationKey = applicationKey
        self.apiHost = apiHost
        self.scriptURI = scriptURI
        self.template = template
    }

    /// The challenge text for a signed request.
    public func prompt(signedRequest: String) -> String {
        template
            .replacingOccurrences(of: "%(script_uri)s", with: scriptURI)
            .replacingOccurrences(of: "%(api_host)s", with: apiHost)
            .replacingOccurrences(of: "%(proxy_txid)s", with: signedRequest)
            .replacingOccurrences(of: "%(sig_request)s", with: signedRequest)
    }

    /// Keys are never printed.
    public var description: String { "WebPrompt(apiHost: \(apiHost), scriptURI: \(scriptURI))" }
}
