import DuoSim
@testable import Proxy
import Testing

@Suite struct ExperimentPhaseClockTests {
    static let scenario = ExperimentScenario(
        phases: [
            .init(name: "healthy", condition: .healthy, duration: .seconds(2)),
            .init(name: "down", condition: .down, duration: .seconds(3)),
            .init(name: "flap", condition: .flapping(period: .seconds(2)), duration: .seconds(5)),
            .init(name: "5xx", condition: .status(503), duration: .milliseconds(500)),
        ],
        users: [], rate: nil)

    @Test func phasesByElapsedTime() {
        let clock = ExperimentPhaseClock(Self.scenario)
        #expect(clock.total == .milliseconds(10_500))
        #expect(clock.starts == [.zero, .seconds(2), .seconds(5), .seconds(10)])
        #expect(clock.phase(at: .zero) == 0)
        #expect(clock.phase(at: .milliseconds(1_999)) == 0)
        #expect(clock.phase(at: .seconds(2)) == 1)
        #expect(clock.phase(at: .milliseconds(10_499)) == 3)
        #expect(clock.phase(at: .milliseconds(10_500)) == nil)
        #expect(clock.phase(at: .milliseconds(-1)) == nil)
    }

    @Test func flappingAlternatesDownThenHealthyEachHalfPeriod() {
        let clock = ExperimentPhaseClock(Self.scenario)
        #expect(clock.condition(at: .milliseconds(5_000)) == .down)
        #expect(clock.condition(at: .milliseconds(5_999)) == .down)
        #expect(clock.condition(at: .milliseconds(6_000)) == .healthy)
        #expect(clock.condition(at: .milliseconds(7_500)) == .down)
        #expect(clock.condition(at: .milliseconds(9_999)) == .down)
        #expect(clock.condition(at: .seconds(11)) == nil)
        #expect(clock.changes == [
            .init(at: .zero, phase: 0, condition: .healthy),
            .init(at: .seconds(2), phase: 1, condition: .down),
            .init(at: .seconds(5), phase: 2, condition: .down),
            .init(at: .seconds(6), phase: 2, condition: .healthy),
            .init(at: .seconds(7), phase: 2, condition: .down),
            .init(at: .seconds(8), phase: 2, condition: .healthy),
            .init(at: .seconds(9), phase: 2, condition: .down),
            .init(at: .seconds(10), phase: 3, condition: .status(503)),
        ])
    }

    @Test func conditionsBecomeSimulatorFaults() {
        #expect(ExperimentPhaseClock.Applied.healthy.faults.isEmpty)
        #expect(ExperimentPhaseClock.Applied.down.faults == [.down()])
        #expect(ExperimentPhaseClock.Applied.hang.faults == [.hang()])
        #expect(ExperimentPhaseClock.Applied.slow(milliseconds: 700).faults == [.delay(milliseconds: 700)])
        #expect(ExperimentPhaseClock.Applied.status(401).faults == [.status(401)])
        #expect(ExperimentPhaseClock.Applied.malformed.faults == [.malformed()])
    }
}
