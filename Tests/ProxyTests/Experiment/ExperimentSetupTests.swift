import Foundation
import Policy
@testable import Proxy
import Upstream
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

/// LDAP sections as targets: Duo-only sections one each, auto sections one per listener and directory.
@Suite struct ExperimentLDAPTargetTests {
    static let configuration = """
        [ad_client]
        host=127.0.0.1
        auth_type=plain
        bind_dn=cn=vpn,ou=services,dc=example,dc=com
        service_account_password=vpn-secret
        search_dn=ou=people,dc=example,dc=com
        username_attribute=uid

        [ldap_server_auto]
        ikey=DIAAAAAAAAAAAAAAAAAA
        skey=s
        api_host=h
        client=ad_client
        failmode=safe
        interface=127.0.0.1
        port=10389
        match_bind_dn_suffix=ou=people,dc=example,dc=com

        [ldap_server_auto2]
        ikey=DIBBBBBBBBBBBBBBBBBB
        skey=s
        api_host=h
        client=ad_client
        failmode=secure
        interface=127.0.0.1
        port=10389
        match_bind_dn_suffix=dc=example,dc=com

        [ldap_server_duo_only]
        ikey=DICCCCCCCCCCCCCCCCCC
        skey=duo-only-secret
        api_host=h
        interface=127.0.0.1
        port=10390

        """

    @Test func autoSectionsOnOneListenerAndDirectoryAreOneTargetThatLogsInThroughTheServiceAccount() throws {
        let targets = try ExperimentSetup.targets(try TwofoldConfiguration.parse(Self.configuration, path: "/c.cfg"))
        #expect(targets == [
            ExperimentTarget(
                name: "ldap_server_auto+ldap_server_auto2", failmode: "safe+secure", host: "127.0.0.1", port: 10_389,
                kind: .ldap(
                    .directory(
                        serviceDN: "cn=vpn,ou=services,dc=example,dc=com", servicePassword: "vpn-secret",
                        searchBase: "ou=people,dc=example,dc=com", usernameAttribute: "uid"),
                    ldaps: false)),
            ExperimentTarget(
                name: "ldap_server_duo_only", failmode: "safe", host: "127.0.0.1", port: 10_390,
                kind: .ldap(.duoOnly(integrationKey: "DICCCCCCCCCCCCCCCCCC", secretKey: "duo-only-secret"), ldaps: false)),
        ])
        #expect(targets.map(\.listener) == ["ldap://127.0.0.1:10389", "ldap://127.0.0.1:10390"])
    }

    @Test func onlyDirectoryLoginsExpectThePrimaryToDecide() throws {
        let wrong = ExperimentUser(name: "alice", password: "wrong", expectPrimary: false)
        func login(_ flow: ExperimentLDAPLogin.Flow) -> ExperimentLDAPLogin {
            ExperimentLDAPLogin(endpoint: .init(host: "127.0.0.1", port: 1), security: .clear, flow: flow, timeout: .seconds(1))
        }
        #expect(login(.duoOnly(integrationKey: "DI", secretKey: "s")).expectPrimary(wrong))
        #expect(!login(.directory(serviceDN: "cn=a", servicePassword: "p", searchBase: "dc=x", usernameAttribute: "uid")).expectPrimary(wrong))
    }
}
