import DuoAPI
import Testing

/// The circuit breaker state machine, driven with explicit instants.
@Suite struct CircuitBreakerTests {
    let start = ContinuousClock().now

    @Test func opensAfterTheThresholdOfConsecutiveFailures() {
        var breaker = DuoCircuitBreaker(configuration: .init(failureThreshold: 3, coolDown: .seconds(30)))
        #expect(breaker.recordFailure(now: start) == nil)
        #expect(breaker.recordFailure(now: start) == nil)
        #expect(breaker.status == .closed)
        let opened = breaker.recordFailure(now: start)
        #expect(opened == .init(from: .closed, to: .open, consecutiveFailures: 3))
        #expect(breaker.status == .open)
        #expect(breaker.decide(now: start + .seconds(10)).0 == .failFast(retryAfter: .seconds(20)))
    }

    @Test func aSuccessResetsTheCount() {
        var breaker = DuoCircuitBreaker(configuration: .init(failureThreshold: 2))
        _ = breaker.recordFailure(now: start)
        #expect(breaker.recordSuccess() == nil)
        #expect(breaker.recordFailure(now: start) == nil)
        #expect(breaker.status == .closed)
    }

    @Test func afterTheCoolDownOneProbeDecides() {
        var breaker = DuoCircuitBreaker(configuration: .init(failureThreshold: 1, coolDown: .seconds(5)))
        _ = breaker.recordFailure(now: start)
        let (decision, transition) = breaker.decide(now: start + .seconds(5))
        #expect(decision == .probe)
        #expect(transition?.to == .halfOpen)
        // While the probe runs, others fail fast.
        #expect(breaker.decide(now: start + .seconds(6)).0 == .failFast(retryAfter: .zero))
        // The probe fails: open again for a whole cool-down.
        #expect(breaker.recordFailure(now: start + .seconds(6))?.to == .open)
        #expect(breaker.decide(now: start + .seconds(10)).0 == .failFast(retryAfter: .seconds(1)))
        #expect(breaker.decide(now: start + .seconds(11)).0 == .probe)
        // The probe succeeds: closed.
        #expect(breaker.recordSuccess() == .init(from: .halfOpen, to: .closed, consecutiveFailures: 2))
        #expect(breaker.decide(now: start + .seconds(11)).0 == .proceed)
    }

    @Test func statusHasGaugeValues() {
        #expect(DuoCircuitBreaker.Status.closed.gaugeValue == 0)
        #expect(DuoCircuitBreaker.Status.open.gaugeValue == 1)
        #expect(DuoCircuitBreaker.Status.halfOpen.gaugeValue == 2)
    }
}
