import Foundation

/// What the simulated Duo service does during one phase of a failmode experiment.
enum DuoCondition: Hashable, Sendable, CustomStringConvertible {
    /// Duo answers normally (users approve pushes at once).
    case healthy
    /// Connections are closed without an answer.
    case down
    /// Requests are never answered: the client waits for its `api_timeout`.
    case hang
    /// Every answer comes `milliseconds` late.
    case slow(milliseconds: Int)
    /// Every request is answered with this HTTP status (5xx or 4xx) and a Duo error body.
    case status(Int)
    /// 200 with a body that is not JSON.
    case malformed
    /// Down for the first half of each `period`, healthy for the second half, starting with down.
    case flapping(period: Duration)

    var description: String {
        switch self {
        case .healthy: "healthy"
        case .down: "down"
        case .hang: "hang"
        case .slow(let ms): "slow \(ms) ms"
        case .status(let code): "HTTP \(code)"
        case .malformed: "malformed"
        case .flapping(let period): "flapping every \(ExperimentScenario.seconds(period)) s"
        }
    }
}

/// A login the experiment sends, and whether its password is right for the primary factor.
struct ExperimentUser: Hashable, Sendable {
    var name: String
    var password: String
    /// True when the primary (directory, users file, upstream RADIUS) accepts this password.
    var expectPrimary: Bool
}

/// A failmode experiment: the phases and, optionally, the users and the rate.
///
/// The JSON form (README, "Failmode experiment"; `Examples/failmode-experiment/scenario.json`):
///
/// ```json
/// {
///   "phase_seconds": 10,
///   "rate": 20,
///   "users": [{"name": "alice", "password": "right one", "expect_primary": true}],
///   "phases": [
///     {"condition": "healthy"},
///     {"condition": "down", "seconds": 15},
///     {"condition": "5xx", "status": 503},
///     {"condition": "slow", "ms": 2000},
///     {"condition": "flapping", "period_seconds": 4, "name": "unstable"}
///   ]
/// }
/// ```
struct ExperimentScenario: Hashable, Sendable {
    struct Phase: Hashable, Sendable {
        var name: String
        var condition: DuoCondition
        var duration: Duration
    }

    var phases: [Phase]
    /// Users from the scenario; empty when it lists none (the command line may give them).
    var users: [ExperimentUser]
    /// Logins per second per listener, when the scenario sets it.
    var rate: Double?

    /// The scenario when none is given: healthy, down, 5xx, slow, healthy.
    static func standard(phaseSeconds: Double = 10) -> ExperimentScenario {
        let duration = duration(seconds: phaseSeconds)
        return ExperimentScenario(
            phases: [
                Phase(name: "healthy", condition: .healthy, duration: duration),
                Phase(name: "down", condition: .down, duration: duration),
                Phase(name: "5xx", condition: .status(503), duration: duration),
                Phase(name: "slow", condition: .slow(milliseconds: 2_000), duration: duration),
                Phase(name: "recovered", condition: .healthy, duration: duration),
            ],
            users: [], rate: nil)
    }

    var totalDuration: Duration { phases.reduce(.zero) { $0 + $1.duration } }

    /// The phases with a new duration for each (`--phase-seconds`).
    func withPhaseDuration(seconds: Double) -> ExperimentScenario {
        var copy = self
        for index in copy.phases.indices { copy.phases[index].duration = Self.duration(seconds: seconds) }
        return copy
    }

    static func duration(seconds: Double) -> Duration { .milliseconds(Int64((seconds * 1_000).rounded())) }

    static func seconds(_ duration: Duration) -> String {
        let ms = duration.components.seconds * 1_000 + duration.components.attoseconds / 1_000_000_000_000_000
        return ms % 1_000 == 0 ? "\(ms / 1_000)" : String(format: "%.3g", Double(ms) / 1_000)
    }
}

/// Why a scenario was refused: the file, the place in it (`phases[2].ms`), and what would be valid.
struct ExperimentScenarioError: Error, Hashable, CustomStringConvertible {
    var file: String
    var place: String
    var problem: String
    var description: String { place.isEmpty ? "\(file): \(problem)" : "\(file): \(place): \(problem)" }
}

extension ExperimentScenario {
    static let conditionNames = ["healthy", "down", "hang", "slow", "5xx", "4xx", "malformed", "flapping"]
    static let phaseKeys: Set<String> = ["name", "condition", "seconds", "ms", "status", "period_seconds"]
    static let topKeys: Set<String> = ["phases", "users", "rate", "phase_seconds"]
    static let userKeys: Set<String> = ["name", "password", "expect_primary"]

    /// Reads a scenario file; `file` names it in errors.
    static func load(path: String) throws(ExperimentScenarioError) -> ExperimentScenario {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ExperimentScenarioError(file: path, place: "", problem: "cannot read the scenario (\(error.localizedDescription))")
        }
        return try parse(data, file: path)
    }

    /// Parses and validates scenario JSON. Every error says where it is and what would be valid.
    static func parse(_ data: Data, file: String) throws(ExperimentScenarioError) -> ExperimentScenario {
        func fail(_ place: String, _ problem: String) -> ExperimentScenarioError {
            ExperimentScenarioError(file: file, place: place, problem: problem)
        }
        let object: ScenarioJSON
        do {
            object = try JSONDecoder().decode(ScenarioJSON.self, from: data)
        } catch {
            throw fail("", "not valid JSON")
        }
        guard case .object(let top) = object else { throw fail("top level", "expected an object with \"phases\"") }
        if let unknown = top.keys.sorted().first(where: { !topKeys.contains($0) }) {
            throw fail(unknown, "unknown key (valid: \(topKeys.sorted().joined(separator: ", ")))")
        }
        let defaultSeconds = try number(top["phase_seconds"], at: "phase_seconds", in: 0.1...86_400, fail) ?? 10
        let rate = try number(top["rate"], at: "rate", in: 0.1...10_000, fail)

        guard let rawPhases = top["phases"] else { throw fail("phases", "required key is missing (a list of phases)") }
        guard let phaseList = rawPhases.list, !phaseList.isEmpty else {
            throw fail("phases", "expected a non-empty list of phases, e.g. [{\"condition\": \"down\", \"seconds\": 10}]")
        }
        var phases: [Phase] = []
        for (index, raw) in phaseList.enumerated() {
            let place = "phases[\(index)]"
            guard let phase = raw.object else { throw fail(place, "expected an object with \"condition\"") }
            if let unknown = phase.keys.sorted().first(where: { !phaseKeys.contains($0) }) {
                throw fail("\(place).\(unknown)", "unknown key (valid: \(phaseKeys.sorted().joined(separator: ", ")))")
            }
            guard let name = phase["condition"]?.string else {
                throw fail("\(place).condition", "required, one of: \(conditionNames.joined(separator: ", "))")
            }
            let seconds = try number(phase["seconds"], at: "\(place).seconds", in: 0.1...86_400, fail) ?? defaultSeconds
            func forbid(_ keys: [String]) throws(ExperimentScenarioError) {
                if let key = keys.first(where: { phase[$0] != nil }) {
                    throw fail("\(place).\(key)", "does not apply to a \(name) phase")
                }
            }
            let condition: DuoCondition
            switch name {
            case "healthy":
                try forbid(["ms", "status", "period_seconds"])
                condition = .healthy
            case "down":
                try forbid(["ms", "status", "period_seconds"])
                condition = .down
            case "hang":
                try forbid(["ms", "status", "period_seconds"])
                condition = .hang
            case "malformed":
                try forbid(["ms", "status", "period_seconds"])
                condition = .malformed
            case "slow":
                try forbid(["status", "period_seconds"])
                guard let ms = try integer(phase["ms"], at: "\(place).ms", in: 1...600_000, fail) else {
                    throw fail("\(place).ms", "a slow phase needs ms, the delay of each answer in milliseconds (1 to 600000)")
                }
                condition = .slow(milliseconds: ms)
            case "5xx", "4xx":
                try forbid(["ms", "period_seconds"])
                let range = name == "5xx" ? 500...599 : 400...499
                let status = try integer(phase["status"], at: "\(place).status", in: range, fail) ?? (name == "5xx" ? 503 : 400)
                condition = .status(status)
            case "flapping":
                try forbid(["ms", "status"])
                guard let period = try number(phase["period_seconds"], at: "\(place).period_seconds", in: 0.2...3_600, fail) else {
                    throw fail("\(place).period_seconds", "a flapping phase needs period_seconds (down for the first half, healthy for the second), 0.2 to 3600")
                }
                condition = .flapping(period: duration(seconds: period))
            default:
                throw fail("\(place).condition", "unknown condition \"\(name)\" (valid: \(conditionNames.joined(separator: ", ")))")
            }
            let label: String
            if let given = phase["name"] {
                guard let given = given.string, !given.isEmpty, given.count <= 40 else {
                    throw fail("\(place).name", "expected a string of 1 to 40 characters")
                }
                label = given
            } else {
                label = name
            }
            phases.append(Phase(name: label, condition: condition, duration: duration(seconds: seconds)))
        }

        var users: [ExperimentUser] = []
        if let rawUsers = top["users"] {
            guard let list = rawUsers.list else {
                throw fail("users", "expected a list of {\"name\", \"password\", \"expect_primary\"}")
            }
            for (index, raw) in list.enumerated() {
                let place = "users[\(index)]"
                guard let user = raw.object else { throw fail(place, "expected an object with name, password and expect_primary") }
                if let unknown = user.keys.sorted().first(where: { !userKeys.contains($0) }) {
                    throw fail("\(place).\(unknown)", "unknown key (valid: \(userKeys.sorted().joined(separator: ", ")))")
                }
                guard let name = user["name"]?.string, !name.isEmpty, name.utf8.count <= 253 else {
                    throw fail("\(place).name", "required, a user name of 1 to 253 bytes")
                }
                guard let password = user["password"]?.string, !password.isEmpty, password.utf8.count <= 128 else {
                    throw fail("\(place).password", "required, a password of 1 to 128 bytes (RADIUS's limit)")
                }
                guard let expect = user["expect_primary"]?.bool else {
                    throw fail("\(place).expect_primary", "required, true when the primary accepts this password, false when it must refuse it")
                }
                users.append(ExperimentUser(name: name, password: password, expectPrimary: expect))
            }
        }
        return ExperimentScenario(phases: phases, users: users, rate: rate)
    }

    private static func number(
        _ value: ScenarioJSON?, at place: String, in range: ClosedRange<Double>, _ fail: (String, String) -> ExperimentScenarioError
    ) throws(ExperimentScenarioError) -> Double? {
        guard let value else { return nil }
        guard let number = value.number, range.contains(number) else {
            throw fail(place, "expected a number from \(format(range.lowerBound)) to \(format(range.upperBound))")
        }
        return number
    }

    private static func integer(
        _ value: ScenarioJSON?, at place: String, in range: ClosedRange<Int>, _ fail: (String, String) -> ExperimentScenarioError
    ) throws(ExperimentScenarioError) -> Int? {
        guard let value else { return nil }
        guard let number = value.number, number == number.rounded(), Double(range.lowerBound) <= number, number <= Double(range.upperBound)
        else {
            throw fail(place, "expected a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return Int(number)
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}

/// JSON as it was written, so that validation can tell `true` from `1` and name the place of a
/// wrong value (Codable's errors would not say what would be valid).
enum ScenarioJSON: Decodable, Hashable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case list([ScenarioJSON])
    case object([String: ScenarioJSON])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([ScenarioJSON].self) {
            self = .list(value)
        } else {
            self = .object(try container.decode([String: ScenarioJSON].self))
        }
    }

    var bool: Bool? { if case .bool(let value) = self { value } else { nil } }
    var number: Double? { if case .number(let value) = self { value } else { nil } }
    var string: String? { if case .string(let value) = self { value } else { nil } }
    var list: [ScenarioJSON]? { if case .list(let value) = self { value } else { nil } }
    var object: [String: ScenarioJSON]? { if case .object(let value) = self { value } else { nil } }
}
