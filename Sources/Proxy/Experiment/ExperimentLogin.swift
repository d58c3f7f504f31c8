/// One login the experiment sent, and how the proxy answered it.
struct ExperimentLogin: Hashable, Sendable {
    enum Outcome: String, Hashable, Sendable, CaseIterable {
        case accepted, rejected, challenged
        /// No answer within the experiment's `--timeout`.
        case timeout
    }

    /// When it was sent, in milliseconds since the scenario started.
    var sentMilliseconds: Double
    /// The scenario phase it was sent in.
    var phase: Int
    /// The server section (or sections sharing a listener) it was sent to.
    var section: String
    var user: String
    /// Whether the primary factor should accept the password.
    var expectPrimary: Bool
    var outcome: Outcome
    /// Decided by failmode because Duo failed: the proxy's answer carried a failmode message
    /// ("Failmode Safe - Allowed ...", "Failmode Secure - Denied ..."), the one its auth event logs.
    var failmode: Bool
    /// Time to the answer (or to the timeout), in milliseconds.
    var latencyMilliseconds: Double
}

/// A change of one section's Duo circuit breaker, as the Duo client logged it.
struct ExperimentBreakerChange: Hashable, Sendable, Codable {
    /// Milliseconds since the scenario started.
    var atMilliseconds: Double
    var section: String
    var from: String
    var to: String
}
