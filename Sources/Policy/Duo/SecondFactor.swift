import DuoAPI

/// The second factor as Policy sees it: Duo's preauth and auth, with every failure classified
/// (`DuoFailure.failmodeClass`). `DuoClient` is the real one; tests pass fakes.
public protocol SecondFactor: Sendable {
    func preauth(username: String, ipAddress: String?) async throws(DuoFailure) -> DuoPreauthResult
    /// Push, phone and auto wait for the user (polled until answered or the client's auth timeout).
    func auth(_ request: DuoAuthRequest) async throws(DuoFailure) -> DuoAuthResult
}

extension DuoClient: SecondFactor {}
