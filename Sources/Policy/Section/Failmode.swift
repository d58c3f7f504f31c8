import DuoAPI

/// What a section does when Duo itself fails (`failmode=safe|secure`).
///
/// DESIGN.md's table, which `DuoFailure.failmodeClass` encodes:
///
/// | Duo failure                                     | safe  | secure |
/// |-------------------------------------------------|-------|--------|
/// | unreachable, TLS error, timeout (`api_timeout`) | allow | deny   |
/// | HTTP 5xx                                        | allow | deny   |
/// | HTTP 4xx (bad keys, bad signature, bad request) | deny  | deny   |
/// | 200 with an unreadable body                     | deny  | deny   |
///
/// Failmode concerns Duo's failures only. It is consulted after the primary factor succeeded (or
/// for sections without one), and at most once per login: the first Duo failure decides.
public enum Failmode: String, Sendable, Hashable, CaseIterable {
    /// Let the user in on the primary factor alone when Duo is unavailable (the reference's default).
    case safe
    /// Refuse the login when Duo is unavailable.
    case secure

    /// Whether a login that got this failure may pass.
    public func allows(_ failure: DuoFailure) -> Bool {
        switch (self, failure.failmodeClass) {
        case (.safe, .unavailable): true
        case (.safe, .refused), (.secure, .unavailable), (.secure, .refused): false
        }
    }
}
