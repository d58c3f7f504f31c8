import Foundation
@testable import Proxy
import Testing

/// Scenario files: what is read, and what each mistake is told.
@Suite struct ExperimentScenarioTests {
    static func parse(_ json: String) throws(ExperimentScenarioError) -> ExperimentScenario {
        try ExperimentScenario.parse(Data(json.utf8), file: "scenario.json")
    }

    static func problem(_ json: String) -> String? {
        do {
            _ = try parse(json)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func everyConditionWithDefaults() throws {
        let scenario = try Self.parse("""
            {
              "phase_seconds": 4,
              "rate": 25,
              "users": [
                {"name": "alice", "password": "right one", "expect_primary": true},
                {"name": "mallory", "password": "guess", "expect_primary": false}
              ],
              "phases": [
                {"condition": "healthy"},
                {"condition": "down", "seconds": 2.5},
                {"condition": "hang"},
                {"condition": "slow", "ms": 1500},
                {"condition": "5xx"},
                {"condition": "5xx", "status": 502},
                {"condition": "4xx", "status": 401},
                {"condition": "malformed"},
                {"condition": "flapping", "period_seconds": 2, "name": "unstable"}
              ]
            }
            """)
        #expect(scenario.rate == 25)
        #expect(scenario.users == [
            ExperimentUser(name: "alice", password: "right one", expectPrimary: true),
            ExperimentUser(name: "mallory", password: "guess", expectPrimary: false),
        ])
        #expect(scenario.phases.map(\.condition) == [
            .healthy, .down, .hang, .slow(milliseconds: 1_500), .status(503), .status(502), .status(401), .malformed,
            .flapping(period: .seconds(2)),
        ])
        let durations: [Duration] = [.seconds(4), .milliseconds(2_500)] + Array(repeating: Duration.seconds(4), count: 7)
        #expect(scenario.phases.map(\.duration) == durations)
        #expect(scenario.phases.map(\.name).last == "unstable")
        #expect(scenario.phases.first?.name == "healthy")
        #expect(scenario.totalDuration == .milliseconds(34_500))
    }

    @Test func theDefaultScenarioWalksHealthyDown5xxSlowHealthy() {
        let scenario = ExperimentScenario.standard()
        #expect(scenario.phases.map(\.condition) == [.healthy, .down, .status(503), .slow(milliseconds: 2_000), .healthy])
        #expect(scenario.phases.allSatisfy { $0.duration == .seconds(10) })
        #expect(scenario.withPhaseDuration(seconds: 1.5).totalDuration == .milliseconds(7_500))
    }

    @Test func errorsSayWhereAndWhatIsValid() {
        #expect(Self.problem("[1, 2") == "scenario.json: not valid JSON")
        #expect(Self.problem("[]") == "scenario.json: top level: expected an object with \"phases\"")
        #expect(Self.problem("{}") == "scenario.json: phases: required key is missing (a list of phases)")
        #expect(Self.problem(#"{"phases": []}"#)?.hasPrefix("scenario.json: phases: expected a non-empty list") == true)
        #expect(Self.problem(#"{"phases": [{"condition": "healthy"}], "speed": 3}"#)
            == "scenario.json: speed: unknown key (valid: phase_seconds, phases, rate, users)")
        #expect(Self.problem(#"{"phases": [{"condition": "healthy"}, {"condition": "sideways"}]}"#)
            == "scenario.json: phases[1].condition: unknown condition \"sideways\" (valid: healthy, down, hang, slow, 5xx, 4xx, malformed, flapping)")
        #expect(Self.problem(#"{"phases": [{"seconds": 3}]}"#)
            == "scenario.json: phases[0].condition: required, one of: healthy, down, hang, slow, 5xx, 4xx, malformed, flapping")
        #expect(Self.problem(#"{"phases": [{"condition": "slow"}]}"#)
            == "scenario.json: phases[0].ms: a slow phase needs ms, the delay of each answer in milliseconds (1 to 600000)")
        #expect(Self.problem(#"{"phases": [{"condition": "slow", "ms": 2.5}]}"#)
            == "scenario.json: phases[0].ms: expected a whole number from 1 to 600000")
        #expect(Self.problem(#"{"phases": [{"condition": "4xx", "status": 503}]}"#)
            == "scenario.json: phases[0].status: expected a whole number from 400 to 499")
        #expect(Self.problem(#"{"phases": [{"condition": "down", "ms": 10}]}"#)
            == "scenario.json: phases[0].ms: does not apply to a down phase")
        #expect(Self.problem(#"{"phases": [{"condition": "down", "seconds": "ten"}]}"#)
            == "scenario.json: phases[0].seconds: expected a number from 0.1 to 86400")
        #expect(Self.problem(#"{"phases": [{"condition": "flapping"}]}"#)?.hasPrefix("scenario.json: phases[0].period_seconds: a flapping phase needs period_seconds") == true)
        #expect(Self.problem(#"{"phases": [{"condition": "down", "colour": "red"}]}"#)
            == "scenario.json: phases[0].colour: unknown key (valid: condition, ms, name, period_seconds, seconds, status)")
        #expect(Self.problem(#"{"phases": [{"condition": "down"}], "users": [{"name": "a", "password": "p", "expect_primary": 1}]}"#)
            == "scenario.json: users[0].expect_primary: required, true when the primary accepts this password, false when it must refuse it")
        #expect(Self.problem(#"{"phases": [{"condition": "down"}], "users": [{"name": "a", "expect_primary": true}]}"#)
            == "scenario.json: users[0].password: required, a password of 1 to 128 bytes (RADIUS's limit)")
        #expect(Self.problem(#"{"phases": [{"condition": "down"}], "rate": 0}"#) == "scenario.json: rate: expected a number from 0.1 to 10000")
    }

    @Test func theShippedExampleIsValid() throws {
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Examples/failmode-experiment/scenario.json")
        let scenario = try ExperimentScenario.load(path: example.path)
        #expect(scenario.phases.count >= 5)
        #expect(scenario.users.contains { $0.expectPrimary } && scenario.users.contains { !$0.expectPrimary })
    }
}

/// `--user NAME:PASSWORD`: the user with the password, and again with a wrong one.
@Suite struct ExperimentCommandLineUsersTests {
    @Test func eachUserIsAlsoSentWithAWrongPassword() {
        #expect(FailmodeExperimentCommand.commandLineUsers(["alice:pa:ss", "bob:x"]) == [
            ExperimentUser(name: "alice", password: "pa:ss", expectPrimary: true),
            ExperimentUser(name: "alice", password: "wrong-pa:ss", expectPrimary: false),
            ExperimentUser(name: "bob", password: "x", expectPrimary: true),
            ExperimentUser(name: "bob", password: "wrong-x", expectPrimary: false),
        ])
    }

    @Test func aUserWithoutAPasswordIsRefused() throws {
        #expect(throws: (any Error).self) {
            try FailmodeExperimentCommand.parse(["--config", "a.cfg", "--out", "out", "--user", "alice"])
        }
        #expect(throws: (any Error).self) {
            try FailmodeExperimentCommand.parse(["--config", "a.cfg", "--out", "out", "--user", "alice:"])
        }
        _ = try FailmodeExperimentCommand.parse(["--config", "a.cfg", "--out", "out", "--user", "alice:secret", "--rate", "5"])
    }
}
