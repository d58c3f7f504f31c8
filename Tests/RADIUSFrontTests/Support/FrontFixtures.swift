import DuoAPI
import Policy
import RADIUSFront
import RADIUSWire

/// A primary with one user, alice / `secret`.
struct OneUserPrimary: PrimaryAuthenticator {
    let name = "test_client"
    func authenticate(_ request: PrimaryRequest) async -> PrimaryOutcome {
        request.username == "alice" && request.password.bytes == Array("secret".utf8)
            ? .accepted(PrimaryAccept(passThroughAttributes: [RADIUSAttribute(.class, text: "vpn-users")]))
            : .rejected(PrimaryRejection(.wrongPassword, diagnostic: "test"))
    }
}

/// A Duo that allows passcode 123456 and every push, at once.
struct InstantDuo: SecondFactor {
    func preauth(username: String, ipAddress: String?) async throws(DuoFailure) -> DuoPreauthResult {
        .auth(devices: [DuoDevice(device: "DPHONE1", number: "XXX-XXX-1111", capabilities: ["auto", "push", "phone", "sms"])], message: "")
    }
    func auth(_ request: DuoAuthRequest) async throws(DuoFailure) -> DuoAuthResult {
        if case .passcode(let code) = request.factor, code != "123456" { return .deny(message: "Incorrect passcode", status: "deny") }
        return .allow(message: "Success. Logging you in...")
    }
}

enum Fixtures {
    static let secret = Array("front-secret-0123456789".utf8)

    static func section(
        name: String = "radius_server_auto", mode: SectionPolicy.Mode = .auto, networks: [String] = ["127.0.0.1", "192.0.2.0/24"],
        secret: [UInt8] = Fixtures.secret, requireMessageAuthenticator: Bool = true, duo: any SecondFactor = InstantDuo(),
        primary: any PrimaryAuthenticator = OneUserPrimary()
    ) -> RADIUSServerSection {
        let policy = SectionPolicy(name: name, mode: mode, integrationKey: "DIWJ8X6AEYOR5OMC6TQ1", factors: [.push, .phone, .passcode])
        return RADIUSServerSection(
            name: name, clients: networks.map { .init(network: try! ClientNetwork.parse($0), secret: secret) },
            requireMessageAuthenticator: requireMessageAuthenticator,
            engine: PolicyEngine(section: policy, primary: primary, duo: duo, hostname: "test"))
    }

    /// An Access-Request as a device sends it.
    static func accessRequest(
        _ user: String, _ password: String, identifier: UInt8 = 1, secret: [UInt8] = Fixtures.secret, messageAuthenticator: Bool = true,
        extra: [RADIUSAttribute] = [], authenticator: RADIUSAuthenticator = .random()
    ) -> [UInt8] {
        let hidden = try! RADIUSUserPassword.hide(Array(password.utf8), secret: secret, authenticator: authenticator)
        let packet = RADIUSPacket(
            code: .accessRequest, identifier: identifier, authenticator: authenticator,
            attributes: [RADIUSAttribute(.userName, text: user), RADIUSAttribute(.userPassword, hidden)] + extra)
        return try! packet.encodeRequest(secret: secret, messageAuthenticator: messageAuthenticator)
    }
}
