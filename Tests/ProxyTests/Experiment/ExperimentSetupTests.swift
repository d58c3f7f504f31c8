import Foundation
import Policy
@testable import Proxy
import Testing

/// The administrator's configuration, pointed at the simulator.
@Suite struct ExperimentSetupTests {
    static func configuration(_ extra: String = "", secondRadiusIP: String = "127.0.0.0/8") throws -> TwofoldConfiguration {
        try TwofoldConfiguration.parse(
            """
            [radius_server_auto]
            ikey=DIAAAAAAAAAAAAAAAAAA
            skey=safe-secret-key-0000000000000000000000000
            api_host=api-xxxxxxxx.duosecurity.com
            client=duo_only_client
            failmode=safe
            radius_ip_1=10.0.0.1
            radius_secret_1=other-secret
            radius_ip_2=127.0.0.1
            radius_secret_2=loopback-secret
            interface=127.0.0.1
            port=18120

            [radius_server_auto2]
            ikey=DIBBBBBBBBBBBBBBBBBB
            skey=secure-secret-key-000000000000000000000000
            api_host=api-yyyyyyyy.duosecurity.com
            client=duo_only_client
            failmode=secure
            radius_ip_1=\(secondRadiusIP)
            radius_secret_1=second-secret
            port=18121

            [duo_only_client]
            \(extra)
            """, path: "/etc/authproxy.cfg")
    }

    @Test func everySectionsDuoGoesToTheSimulatorWithItsCA() throws {
        let configuration = try Self.configuration()
        #expect(try ExperimentSetup.integrations(configuration) == [
            "DIAAAAAAAAAAAAAAAAAA": "safe-secret-key-0000000000000000000000000",
            "DIBBBBBBBBBBBBBBBBBB": "secure-secret-key-000000000000000000000000",
        ])
        let pointed = ExperimentSetup.pointAtSimulator(
            configuration, duoPort: 44_321, duoCA: "PEM", outDirectory: "/tmp/out", coolDown: .seconds(2))
        for server in pointed.radiusServers {
            #expect(server.duo.apiHost == "127.0.0.1")
            #expect(server.duo.apiPort == 44_321)
            #expect(server.duo.trustRoots == .pem("PEM"))
            #expect(server.duo.circuitBreaker.coolDown == .seconds(2))
            #expect(server.policy.limits == .unlimited)
        }
        #expect(pointed.radiusServers.map(\.policy.failmode) == [.safe, .secure])
        #expect(pointed.main.logAuthEvents && pointed.main.logDirectory == "/tmp/out")
        let kept = ExperimentSetup.pointAtSimulator(configuration, duoPort: 1, duoCA: "", outDirectory: "/tmp", coolDown: nil)
        #expect(kept.radiusServers[0].duo.circuitBreaker == configuration.radiusServers[0].duo.circuitBreaker)
    }

    @Test func targetsUseTheSecretThatAdmitsLoopback() throws {
        let targets = try ExperimentSetup.targets(try Self.configuration())
        #expect(targets == [
            ExperimentTarget(name: "radius_server_auto", failmode: "safe", host: "127.0.0.1", port: 18_120, kind: .radius(secret: Array("loopback-secret".utf8))),
            ExperimentTarget(name: "radius_server_auto2", failmode: "secure", host: "127.0.0.1", port: 18_121, kind: .radius(secret: Array("second-secret".utf8))),
        ])
    }

    @Test func aListenerThatRefusesLoopbackIsNamed() throws {
        #expect {
            try ExperimentSetup.targets(try Self.configuration(secondRadiusIP: "10.1.0.0/16"))
        } throws: { error in
            "\(error)".contains("[radius_server_auto2] no radius_ip_N admits 127.0.0.1, the address the experiment sends from")
        }
    }
}
