import Crypto
import Foundation

/// Duo Web SDK v2 (the iframe prompt): signing the request the page hands to the Duo frame and
/// verifying the response the frame posts back, exactly as Duo's `duo_web` 1.3.1 (PyPI) does.
///
/// A request is two cookies joined by `:`, `TX|b64|sig:APP|b64|sig`; the response the frame posts is
/// `AUTH|b64|sig:APP|b64|sig` (or `ENROLL|...` after enrolment), Duo's own cookie followed by our APP
/// cookie handed back unchanged. Each cookie is `PREFIX|base64(username|ikey|expiry)|hex(HMAC-SHA1)`,
/// the HMAC taken with the UTF-8 key over `PREFIX|base64`. Duo's cookies (TX, AUTH, ENROLL) are keyed
/// with the integration's secret key; APP with the application key, which never leaves the server, so
/// a response proves both that Duo approved the user and that we asked about that user.
///
/// Time is a parameter (`now`, whole seconds since 1970, duo_web's `int(time.time())`), so callers
/// and tests decide the clock.
public enum DuoWeb {
    /// duo_web `DUO_PREFIX`: the request cookie signed with the secret key.
    public static let requestPrefix = "TX"
    /// duo_web `ENROLL_REQUEST_PREFIX`: the request cookie of `sign_enroll_request`.
    public static let enrollRequestPrefix = "ENROLL_REQUEST"
    /// duo_web `APP_PREFIX`: the cookie signed with the application key, in requests and responses.
    public static let applicationPrefix = "APP"
    /// duo_web `AUTH_PREFIX`: Duo's cookie in a response after an authentication.
    public static let authenticationPrefix = "AUTH"
    /// duo_web `ENROLL_PREFIX`: Duo's cookie in a response after an enrolment.
    public static let enrollPrefix = "ENROLL"

    /// duo_web `DUO_EXPIRE = 300`: the TX (or ENROLL_REQUEST) cookie is valid for 5 minutes.
    public static let requestLifetime: Int64 = 300
    /// duo_web `APP_EXPIRE = 3600`: the APP cookie is valid for an hour.
    public static let applicationLifetime: Int64 = 3600

    /// duo_web `IKEY_LEN = 20`: `len(ikey) != IKEY_LEN` is `ERR_IKEY` (Python counts code points).
    public static let integrationKeyLength = 20
    /// duo_web `SKEY_LEN = 40`: `len(skey) != SKEY_LEN` is `ERR_SKEY`.
    public static let secretKeyLength = 40
    /// duo_web `AKEY_LEN = 40`: `len(akey) < AKEY_LEN` is `ERR_AKEY`; longer application keys are fine.
    public static let minimumApplicationKeyLength = 40

    /// Which Duo cookie a response must carry.
    public enum ResponseKind: Hashable, Sendable {
        /// `AUTH`, checked by duo_web's `verify_response`.
        case authentication
        /// `ENROLL`, checked by duo_web's `verify_enroll_response`.
        case enrollment

        var prefix: String {
            switch self {
            case .authentication: DuoWeb.authenticationPrefix
            case .enrollment: DuoWeb.enrollPrefix
            }
        }
    }

    // MARK: Signing

    /// duo_web `sign_request`: the `TX|...:APP|...` string the page passes to `Duo.init()`.
    ///
    /// Throws where duo_web returns an `ERR|...` string, with the same precedence (username, then
    /// integration key, secret key, application key); ``DuoWebError/errorResponse`` is that string.
    public static func signRequest(
        integrationKey: String, secretKey: String, applicationKey: String, username: String, now: Int64
    ) throws(DuoWebError) -> String {
        try sign(integrationKey: integrationKey, secretKey: secretKey, applicationKey: applicationKey,
                 username: username, prefix: requestPrefix, now: now)
    }

    /// duo_web `sign_enroll_request`: as ``signRequest(integrationKey:secretKey:applicationKey:username:now:)``
    /// with an `ENROLL_REQUEST` cookie in place of `TX`.
    public static func signEnrollRequest(
        integrationKey: String, secretKey: String, applicationKey: String, username: String, now: Int64
    ) throws(DuoWebError) -> String {
        try sign(integrationKey: integrationKey, secretKey: secretKey, applicationKey: applicationKey,
                 username: username, prefix: enrollRequestPrefix, now: now)
    }

    private static func sign(
        integrationKey: String, secretKey: String, applicationKey: String, username: String, prefix: String,
        now: Int64
    ) throws(DuoWebError) -> String {
        // duo_web's ERR_USER_ENCODING (a username that cannot be encoded as UTF-8) cannot happen: a
        // Swift String is always valid Unicode.
        if username.isEmpty { throw .invalidUsername("username is empty") }
        if username.utf8.contains(UInt8(ascii: "|")) { throw .invalidUsername("username contains '|'") }
        let ikeyLength = integrationKey.unicodeScalars.count
        if ikeyLength != integrationKeyLength { throw .invalidIntegrationKey(length: ikeyLength) }
        let skeyLength = secretKey.unicodeScalars.count
        if skeyLength != secretKeyLength { throw .invalidSecretKey(length: skeyLength) }
        let akeyLength = applicationKey.unicodeScalars.count
        if akeyLength < minimumApplicationKeyLength { throw .invalidApplicationKey(length: akeyLength) }

        let duoCookie = try signedCookie(prefix: prefix, key: secretKey, username: username,
                                         integrationKey: integrationKey, now: now, lifetime: requestLifetime)
        let appCookie = try signedCookie(prefix: applicationPrefix, key: applicationKey, username: username,
                                         integrationKey: integrationKey, now: now, lifetime: applicationLifetime)
        return duoCookie + ":" + appCookie
    }

    /// duo_web `_sign_vals(key, [username, ikey], prefix, lifetime)`: one `PREFIX|b64|hexHMAC` cookie.
    ///
    /// Public for the simulator and tests, which play Duo's frame: the frame answers a request with
    /// `signedCookie(prefix: authenticationPrefix, key: secretKey, ...)` joined by `:` to the request's
    /// APP cookie. No argument is checked.
    public static func signedCookie(
        prefix: String, key: String, username: String, integrationKey: String, now: Int64, lifetime: Int64
    ) throws(DuoWebError) -> String {
        let (expiry, overflow) = now.addingReportingOverflow(lifetime)
        if overflow { throw .expiryOverflow(now: now) }
        let payload = base64(Array("\(username)|\(integrationKey)|\(expiry)".utf8))
        let cookie = prefix + "|" + payload
        return cookie + "|" + hexHMAC(key: Array(key.utf8), message: Array(cookie.utf8))
    }

    // MARK: Verification

    /// duo_web `verify_response`: the username the response vouches for, or nil.
    ///
    /// Both cookies must be correctly signed (AUTH with the secret key, APP with the application
    /// key), carry their prefix and our integration key, not be expired at `now`, and name the same
    /// user. Never traps: anything malformed is nil.
    public static func verifyResponse(
        integrationKey: String, secretKey: String, applicationKey: String, response: String, now: Int64
    ) -> String? {
        try? checkResponse(response, expecting: .authentication, integrationKey: integrationKey,
                           secretKey: secretKey, applicationKey: applicationKey, now: now).get()
    }

    /// duo_web `verify_enroll_response`: as ``verifyResponse(integrationKey:secretKey:applicationKey:response:now:)``
    /// with an ENROLL cookie in place of AUTH.
    public static func verifyEnrollResponse(
        integrationKey: String, secretKey: String, applicationKey: String, response: String, now: Int64
    ) -> String? {
        try? checkResponse(response, expecting: .enrollment, integrationKey: integrationKey,
                           secretKey: secretKey, applicationKey: applicationKey, now: now).get()
    }

    /// The verification of ``verifyResponse(integrationKey:secretKey:applicationKey:response:now:)``
    /// with the reason for a rejection, for the auth-event log.
    ///
    /// Mirrors duo_web's `_verify_response` check by check. Strings are compared by code point (as
    /// Python compares them), not by Swift's canonical equivalence, and split on the ASCII separators
    /// by byte, so a combining mark after `|` cannot hide a separator.
    public static func checkResponse(
        _ response: String, expecting kind: ResponseKind, integrationKey: String, secretKey: String,
        applicationKey: String, now: Int64
    ) -> Result<String, DuoWebError> {
        // `auth_sig, app_sig = sig_response.split(':')`
        let cookies = response.utf8.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        guard cookies.count == 2 else {
            return .failure(.malformedResponse("\(cookies.count) ':'-separated parts, expected 2"))
        }
        let duoUser: Substring
        let appUser: Substring
        switch parseCookie(Substring(cookies[0]), key: secretKey, prefix: kind.prefix, integrationKey: integrationKey,
                           now: now) {
        case .success(let user): duoUser = user
        case .failure(let error): return .failure(error)
        }
        switch parseCookie(Substring(cookies[1]), key: applicationKey, prefix: applicationPrefix,
                           integrationKey: integrationKey, now: now) {
        case .success(let user): appUser = user
        case .failure(let error): return .failure(error)
        }
        guard duoUser.utf8.elementsEqual(appUser.utf8) else { return .failure(.usernameMismatch()) }
        return .success(String(duoUser))
    }

    /// duo_web `_parse_vals(key, val, prefix, ikey)`: the username in one cookie.
    private static func parseCookie(
        _ cookie: Substring, key: String, prefix: String, integrationKey: String, now: Int64
    ) -> Result<Substring, DuoWebError> {
        // `u_prefix, u_b64, u_sig = val.split('|')`
        let parts = cookie.utf8.split(separator: UInt8(ascii: "|"), omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            return .failure(.malformedResponse("\(prefix) cookie: \(parts.count) '|'-separated parts, expected 3"))
        }
        let signedPart = cookie.utf8[parts[0].startIndex..<parts[1].endIndex]  // `u_prefix|u_b64`
        let givenSignature = parts[2]

        // duo_web compares HMAC(key, expected hex) with HMAC(key, given) rather than the signatures
        // themselves: whatever the comparison leaks about the second HMAC tells nothing about the first.
        let keyBytes = SymmetricKey(data: Array(key.utf8))
        let expected = hexHMAC(key: Array(key.utf8), message: Array(signedPart))
        let expectedMAC = HMAC<Insecure.SHA1>.authenticationCode(for: Array(expected.utf8), using: keyBytes)
        let givenMAC = HMAC<Insecure.SHA1>.authenticationCode(for: Array(givenSignature), using: keyBytes)
        guard constantTimeEqual(Array(expectedMAC), Array(givenMAC)) else {
            return .failure(.badSignature(cookie: prefix))
        }

        guard parts[0].elementsEqual(prefix.utf8) else { return .failure(.wrongPrefix(cookie: prefix, expected: prefix)) }

        // `base64.b64decode(u_b64).decode('utf-8')`
        guard let decoded = pythonBase64Decode(Substring(parts[1]).utf8) else {
            return .failure(.malformedCookie(cookie: prefix, "payload is not base64"))
        }
        guard let payload = String(validating: decoded, as: UTF8.self) else {
            return .failure(.malformedCookie(cookie: prefix, "payload is not UTF-8"))
        }
        // `user, u_ikey, exp = decoded.split('|')`
        let values = payload.utf8.split(separator: UInt8(ascii: "|"), omittingEmptySubsequences: false)
        guard values.count == 3 else {
            return .failure(.malformedCookie(cookie: prefix, "\(values.count) '|'-separated values, expected 3"))
        }
        guard values[1].elementsEqual(integrationKey.utf8) else {
            return .failure(.wrongIntegrationKey(cookie: prefix))
        }
        // `if ts >= int(exp): return None`
        guard let notExpired = pythonIntIsAfter(Substring(values[2]), now: now) else {
            return .failure(.malformedCookie(cookie: prefix, "expiry is not an integer"))
        }
        guard notExpired else { return .failure(.expired(cookie: prefix, now: now)) }
        return .success(Substring(values[0]))
    }

    private static func hexHMAC(key: [UInt8], message: [UInt8]) -> String {
        hex(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: key)))
    }
}
