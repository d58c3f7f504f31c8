import RADIUSWire
import Testing

@testable import Upstream

/// `[radius_client]` values: defaults, refusals naming the key, and warnings.
@Suite struct RADIUSClientConfigurationTests {
    static let secret = RADIUSSharedSecret("a-long-enough-shared-secret")

    static func error(_ build: () throws -> RADIUSClientConfiguration) -> RADIUSClientConfigurationError? {
        do {
            _ = try build()
            return nil
        } catch let error as RADIUSClientConfigurationError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test func defaultsAreThoseOfTheReferenceProxy() throws {
        let configuration = try RADIUSClientConfiguration(
            servers: [.init(host: "10.0.0.5")], secret: Self.secret)
        #expect(configuration.servers == [.init(host: "10.0.0.5", port: 1812)])
        #expect(configuration.retries == 3)
        #expect(configuration.retryWait == .seconds(2))
        #expect(configuration.requireMessageAuthenticator)
        #expect(configuration.passThrough == .none)
        #expect(configuration.passwordCodec == "utf-8")
        #expect(configuration.nasIPAttribute == nil)
        #expect(configuration.warnings.isEmpty)
        #expect(configuration.worstCaseDuration == .seconds(8))
    }

    @Test func serversKeepTheirOrderAndKeysNameTheirIndex() throws {
        let configuration = try RADIUSClientConfiguration(
            servers: [.init(host: "radius-a.example.com", port: 1645), .init(host: "::1"), .init(host: "10.0.0.7")],
            secret: Self.secret)
        #expect(configuration.servers.map(\.description) == ["radius-a.example.com:1645", "[::1]:1812", "10.0.0.7:1812"])

        let badPort = Self.error {
            try RADIUSClientConfiguration(servers: [.init(host: "10.0.0.5"), .init(host: "10.0.0.6", port: 70000)], secret: Self.secret)
        }
        #expect(badPort?.kind == .invalidPort)
        #expect(badPort?.key == "port_2")
        #expect(badPort?.diagnostic.contains("1 to 65535") == true)

        let badHost = Self.error {
            try RADIUSClientConfiguration(
                servers: [.init(host: "10.0.0.5"), .init(host: "10.0.0.6"), .init(host: "bad host!")], secret: Self.secret)
        }
        #expect(badHost?.kind == .invalidHost)
        #expect(badHost?.key == "host_3")

        let none = Self.error { try RADIUSClientConfiguration(servers: [], secret: Self.secret) }
        #expect(none?.kind == .missingServer)
        #expect(none?.key == "host")

        let empty = Self.error { try RADIUSClientConfiguration(servers: [.init(host: "")], secret: Self.secret) }
        #expect(empty?.kind == .invalidHost)
    }

    @Test func anEmptySecretIsRefusedAndAShortOneWarned() throws {
        let empty = Self.error { try RADIUSClientConfiguration(servers: [.init(host: "10.0.0.5")], secret: RADIUSSharedSecret("")) }
        #expect(empty?.kind == .emptySecret)
        #expect(empty?.key == "secret")

        let short = try RADIUSClientConfiguration(servers: [.init(host: "10.0.0.5")], secret: RADIUSSharedSecret("short-secret"))
        #expect(short.warnings.count == 1)
        #expect(short.warnings.first?.contains("12 characters") == true)
        #expect(short.warnings.first?.contains("16") == true)
        // The secret never prints: not in the warning, the configuration, nor a dump.
        #expect(short.warnings.first?.contains("short-secret") == false)
        #expect(!"\(short)".contains("short-secret"))
        var dumped = ""
        dump(short, to: &dumped)
        #expect(!dumped.contains("short-secret"))
        #expect("\(short.secret)" == "<secret>")
    }

    @Test func retriesAndRetryWaitAreBounded() throws {
        let retries = Self.error {
            try RADIUSClientConfiguration(servers: [.init(host: "10.0.0.5")], secret: Self.secret, retries: -1)
        }
        #expect(retries?.kind == .invalidRetries)
        #expect(retries?.key == "retries")
        let tooMany = Self.error {
            try RADIUSClientConfiguration(servers: [.init(host: "10.0.0.5")], secret: Self.secret, retries: 11)
        }
        #expect(tooMany?.key == "retries")
        let wait = Self.error {
            try RADIUSClientConfiguration(servers: [.init(host: "10.0.0.5")], secret: Self.secret, retryWait: .zero)
        }
        #expect(wait?.kind == .invalidRetryWait)
        #expect(wait?.key == "retry_wait")
        let zeroRetries = try RADIUSClientConfiguration(
            servers: [.init(host: "10.0.0.5")], secret: Self.secret, retries: 0, retryWait: .milliseconds(250))
        #expect(zeroRetries.retries == 0)
        #expect(zeroRetries.retryWait == .milliseconds(250))
    }

    @Test func nasIPBecomesTheAttributeOfItsFamily() throws {
        let v4 = try RADIUSClientConfiguration(servers: [.init(host: "10.0.0.5")], secret: Self.secret, nasIP: "192.0.2.10")
        #expect(v4.nasIPAttribute == RADIUSAttribute(.nasIPAddress, [192, 0, 2, 10]))
        let v6 = try RADIUSClientConfiguration(servers: [.init(host: "10.0.0.5")], secret: Self.secret, nasIP: "2001:db8::1")
        #expect(v6.nasIPAttribute == RADIUSAttribute(.nasIPv6Address, [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1]))
        let bad = Self.error {
            try RADIUSClientConfiguration(servers: [.init(host: "10.0.0.5")], secret: Self.secret, nasIP: "vpn.example.com")
        }
        #expect(bad?.kind == .invalidNASIP)
        #expect(bad?.key == "nas_ip")
    }

    @Test func passThroughNamesAreCheckedAgainstTheDictionary() throws {
        let names = RADIUSClientConfiguration.splitNameList(" class, Filter-Id ,,juniper-local-user-name ")
        #expect(names == ["class", "Filter-Id", "juniper-local-user-name"])
        let configuration = try RADIUSClientConfiguration(
            servers: [.init(host: "10.0.0.5")], secret: Self.secret, passThroughAttributeNames: names)
        guard case .names(let definitions) = configuration.passThrough else {
            Issue.record("expected a names filter, got \(configuration.passThrough)")
            return
        }
        #expect(definitions.map(\.name) == ["Class", "Filter-Id", "Juniper-Local-User-Name"])

        let unknown = Self.error {
            try RADIUSClientConfiguration(
                servers: [.init(host: "10.0.0.5")], secret: Self.secret, passThroughAttributeNames: ["Class", "Clas"])
        }
        #expect(unknown?.kind == .unknownAttributeName)
        #expect(unknown?.key == "pass_through_attr_names")
        #expect(unknown?.diagnostic.contains("'Clas'") == true)

        let hopByHop = Self.error {
            try RADIUSClientConfiguration(
                servers: [.init(host: "10.0.0.5")], secret: Self.secret, passThroughAttributeNames: ["Proxy-State"])
        }
        #expect(hopByHop?.key == "pass_through_attr_names")

        let both = try RADIUSClientConfiguration(
            servers: [.init(host: "10.0.0.5")], secret: Self.secret, passThroughAttributeNames: ["Class"],
            passThroughAll: true)
        #expect(both.passThrough == .all)
        #expect(both.warnings.contains { $0.contains("pass_through_all") })
    }

    @Test func turningOffMessageAuthenticatorSaysWhyItIsDangerous() throws {
        let legacy = try RADIUSClientConfiguration(
            servers: [.init(host: "10.0.0.5")], secret: Self.secret, requireMessageAuthenticator: false)
        #expect(!legacy.requireMessageAuthenticator)
        #expect(legacy.warnings == [RADIUSClientConfiguration.messageAuthenticatorWarning])
        #expect(legacy.warnings[0].contains("BlastRADIUS"))
        #expect(legacy.warnings[0].contains("CVE-2024-3596"))
    }

    @Test func anEmptyCodecIsRefused() {
        let codec = Self.error {
            try RADIUSClientConfiguration(servers: [.init(host: "10.0.0.5")], secret: Self.secret, passwordCodec: " ")
        }
        #expect(codec?.kind == .invalidPasswordCodec)
        #expect(codec?.key == "pw_codec")
    }
}
