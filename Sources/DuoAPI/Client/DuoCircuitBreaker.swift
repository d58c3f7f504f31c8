/// The circuit breaker of one API host: after `failureThreshold` consecutive failures of the
/// service (transport, 5xx), calls fail fast for `coolDown` instead of each waiting for a timeout;
/// then one probe decides whether to close the circuit again.
///
/// A pure state machine (STYLE.md §1): the caller passes `now` and performs the actions.
public struct DuoCircuitBreaker: Sendable {
    public struct Configuration: Hashable, Sendable {
        public var failureThreshold: Int
        public var coolDown: Duration

        public init(failureThreshold: Int = 5, coolDown: Duration = .seconds(30)) {
            self.failureThreshold = max(1, failureThreshold)
            self.coolDown = coolDown
        }
    }

    /// The breaker's state, for metrics and logs.
    public enum Status: String, Hashable, Sendable {
        case closed, open, halfOpen = "half-open"
        /// 0, 1, 2 for a gauge.
        public var gaugeValue: Int { self == .closed ? 0 : self == .open ? 1 : 2 }
    }

    /// What to do with a call.
    public enum Decision: Hashable, Sendable {
        /// Make the call.
        case proceed
        /// The cool-down is over: make one probe (ping) first; its outcome decides.
        case probe
        /// Fail now without calling.
        case failFast(retryAfter: Duration)
    }

    /// A change of status, to log and publish.
    public struct Transition: Hashable, Sendable {
        public var from: Status
        public var to: Status
        public var consecutiveFailures: Int

        public init(from: Status, to: Status, consecutiveFailures: Int) {
            self.from = from
            self.to = to
            self.consecutiveFailures = consecutiveFailures
        }
    }

    private enum State: Hashable, Sendable {
        case closed(consecutiveFailures: Int)
        case open(until: ContinuousClock.Instant, consecutiveFailures: Int)
        case probing(consecutiveFailures: Int)
    }

    public let configuration: Configuration
    private var state: State = .closed(consecutiveFailures: 0)

    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    public var status: Status {
        switch state {
        case .closed: .closed
        case .open: .open
        case .probing: .halfOpen
        }
    }

    /// Decides about a call at `now`.
    public mutating func decide(now: ContinuousClock.Instant) -> (Decision, Transition?) {
        switch state {
        case .closed:
            return (.proceed, nil)
        case .open(let until, let failures):
            guard now >= until else { return (.failFast(retryAfter: until - now), nil) }
            state = .probing(consecutiveFailures: failures)
            return (.probe, Transition(from: .open, to: .halfOpen, consecutiveFailures: failures))
        case .probing:
            // One probe at a time; others fail fast meanwhile.
            return (.failFast(retryAfter: .zero), nil)
        }
    }

    /// Records that the service answered (any HTTP answer that is not 5xx).
    public mutating func recordSuccess() -> Transition? {
        switch state {
        case .closed:
            state = .closed(consecutiveFailures: 0)
            return nil
        case .open(_, let failures), .probing(let failures):
            let from = status
            state = .closed(consecutiveFailures: 0)
            return Transition(from: from, to: .closed, consecutiveFailures: failures)
        }
    }

    /// Records a failure of the service (transport or 5xx).
    public mutating func recordFailure(now: ContinuousClock.Instant) -> Transition? {
        switch state {
        case .closed(let failures):
            let count = failures + 1
            guard count >= configuration.failureThreshold else {
                state = .closed(consecutiveFailures: count)
                return nil
            }
            state = .open(until: now + configuration.coolDown, consecutiveFailures: count)
            return Transition(from: .closed, to: .open, consecutiveFailures: count)
        case .probing(let failures):
            state = .open(until: now + configuration.coolDown, consecutiveFailures: failures + 1)
            return Transition(from: .halfOpen, to: .open, consecutiveFailures: failures + 1)
        case .open(let until, let failures):
            // A call that was already in flight when the circuit opened.
            state = .open(until: until, consecutiveFailures: failures + 1)
            return nil
        }
    }
}
