import DuoSim

/// Where the scenario is at a moment of the experiment: which phase, and which Duo condition holds
/// (a flapping phase alternates between down and healthy). Pure: the caller passes the elapsed time.
struct ExperimentPhaseClock: Hashable, Sendable {
    /// A condition the simulator can apply as it is (never `flapping`).
    enum Applied: Hashable, Sendable, CustomStringConvertible {
        case healthy, down, hang, malformed
        case slow(milliseconds: Int)
        case status(Int)

        var description: String {
            switch self {
            case .healthy: "healthy"
            case .down: "down"
            case .hang: "hang"
            case .malformed: "malformed"
            case .slow(let ms): "slow \(ms) ms"
            case .status(let code): "HTTP \(code)"
            }
        }

        /// The simulator faults that make Duo behave so (none when healthy).
        var faults: [DuoSimFault] {
            switch self {
            case .healthy: []
            case .down: [.down()]
            case .hang: [.hang()]
            case .malformed: [.malformed()]
            case .slow(let ms): [.delay(milliseconds: ms)]
            case .status(let code): [.status(code)]
            }
        }
    }

    /// From `at` on (since the start), `condition` holds, within phase `phase`.
    struct Change: Hashable, Sendable {
        var at: Duration
        var phase: Int
        var condition: Applied
    }

    let phases: [ExperimentScenario.Phase]
    /// When each phase starts, since the start of the experiment.
    let starts: [Duration]
    let total: Duration

    init(_ scenario: ExperimentScenario) {
        phases = scenario.phases
        var starts: [Duration] = []
        var at = Duration.zero
        for phase in phases {
            starts.append(at)
            at += phase.duration
        }
        self.starts = starts
        total = at
    }

    /// The phase at `elapsed`; nil once the scenario is over (or before it starts).
    func phase(at elapsed: Duration) -> Int? {
        guard elapsed >= .zero, elapsed < total else { return nil }
        var index = phases.count - 1
        while starts[index] > elapsed { index -= 1 }
        return index
    }

    /// The condition the simulator must show at `elapsed`; nil once the scenario is over.
    func condition(at elapsed: Duration) -> Applied? {
        guard let index = phase(at: elapsed) else { return nil }
        return Self.applied(phases[index].condition, sinceStart: elapsed - starts[index])
    }

    /// Every change of condition, in order: one per phase, and one per half period of a flapping
    /// phase. The player applies them one by one, sleeping until each.
    var changes: [Change] {
        var changes: [Change] = []
        for (index, phase) in phases.enumerated() {
            let start = starts[index]
            if case .flapping(let period) = phase.condition {
                let half = period / 2
                var offset = Duration.zero
                var down = true
                while offset < phase.duration {
                    changes.append(Change(at: start + offset, phase: index, condition: down ? .down : .healthy))
                    offset += half
                    down.toggle()
                }
            } else {
                changes.append(Change(at: start, phase: index, condition: Self.applied(phase.condition, sinceStart: .zero)))
            }
        }
        return changes
    }

    private static func applied(_ condition: DuoCondition, sinceStart: Duration) -> Applied {
        switch condition {
        case .healthy: return .healthy
        case .down: return .down
        case .hang: return .hang
        case .malformed: return .malformed
        case .slow(let ms): return .slow(milliseconds: ms)
        case .status(let code): return .status(code)
        case .flapping(let period):
            let half = period / 2
            let halves = Int(sinceStart / half)
            return halves % 2 == 0 ? .down : .healthy
        }
    }
}
