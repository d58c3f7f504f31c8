import Crypto
import NIOCore
import Policy
import RADIUSWire
import Testing

@testable import Upstream

/// The Access-Request built for a login, the verdict on replies, and the pass-through filter:
/// pure functions, no sockets.
@Suite struct RADIUSClientMessagesTests {
    static let secretText = "messages-test-secret-0123"
    static let secret = Array(secretText.utf8)

    static func configuration(
        nasIP: String? = nil, names: [String] = [], all: Bool = false, requireMA: Bool = true
    ) throws -> RADIUSClientConfiguration {
        try RADIUSClientConfiguration(
            servers: [.init(host: "127.0.0.1", port: 1812)], secret: RADIUSSharedSecret(secretText), nasIP: nasIP,
            passThroughAttributeNames: names, passThroughAll: all, requireMessageAuthenticator: requireMA)
    }

    // MARK: The Access-Request

    @Test func theRequestCarriesNamePasswordForwardedAttributesStateAndNAS() throws {
        let authenticator = RADIUSAuthenticator.random()
        let request = PrimaryRequest(
            username: "alice", password: Password("correct horse"),
            forwardedAttributes: [
                RADIUSAttribute(.nasIdentifier, text: "vpn-1"),
                RADIUSAttribute(.callingStationID, text: "192.0.2.7"),
                // None of these may be forwarded, whatever the front passes.
                RADIUSAttribute(.userPassword, [1, 2, 3]), RADIUSAttribute(.proxyState, [9]),
                RADIUSAttribute(.messageAuthenticator, [UInt8](repeating: 0, count: 16)),
                RADIUSAttribute(.state, [7]), RADIUSAttribute(.userName, text: "mallory"),
                RADIUSAttribute(.nasIPAddress, [10, 9, 9, 9]),
            ],
            upstreamState: Array("upstream-state".utf8))
        let packet = try RADIUSUpstreamMessages.accessRequest(
            for: request, configuration: try Self.configuration(nasIP: "192.0.2.10"), authenticator: authenticator)
        #expect(packet.code == .accessRequest)
        #expect(packet.authenticator == authenticator)
        #expect(packet.attributes.map(\.type) == [.userName, .userPassword, .nasIdentifier, .callingStationID, .nasIPAddress, .state])
        #expect(try packet.userName() == "alice")
        let hidden = try #require(packet[.userPassword]).value
        #expect(hidden != Array("correct horse".utf8) + [0, 0, 0])
        #expect(try RADIUSUserPassword.unhide(hidden, secret: Self.secret, authenticator: authenticator) == Array("correct horse".utf8))
        #expect(packet[.nasIPAddress]?.value == [192, 0, 2, 10])
        #expect(packet[.state]?.value == Array("upstream-state".utf8))

        // Signed by the transport: Message-Authenticator first and valid.
        let bytes = try packet.encodeRequest(secret: Self.secret)
        #expect(bytes[20] == RADIUSAttributeType.messageAuthenticator.rawValue)
        #expect(try RADIUSPacket.checkMessageAuthenticator(in: bytes, secret: Self.secret) == .valid)
    }

    @Test func withoutNASIPTheFrontsNASAttributesStay() throws {
        let request = PrimaryRequest(
            username: "alice", password: Password("pw"), forwardedAttributes: [RADIUSAttribute(.nasIPAddress, [10, 9, 9, 9])])
        let packet = try RADIUSUpstreamMessages.accessRequest(
            for: request, configuration: try Self.configuration(), authenticator: .random())
        #expect(packet[.nasIPAddress]?.value == [10, 9, 9, 9])
        #expect(packet[.state] == nil)
    }

    @Test func requestsThatCannotBeSentAreRefusedBeforeTheWire() throws {
        let configuration = try Self.configuration()
        #expect(throws: RADIUSUpstreamMessages.RequestProblem.passwordTooLong(129)) {
            try RADIUSUpstreamMessages.accessRequest(
                for: PrimaryRequest(username: "alice", password: Password([UInt8](repeating: 0x61, count: 129))),
                configuration: configuration, authenticator: .random())
        }
        #expect(throws: RADIUSUpstreamMessages.RequestProblem.userNameLength(254)) {
            try RADIUSUpstreamMessages.accessRequest(
                for: PrimaryRequest(username: String(repeating: "u", count: 254), password: Password("pw")),
                configuration: configuration, authenticator: .random())
        }
        let many = (0..<20).map { _ in RADIUSAttribute(.callingStationID, [UInt8](repeating: 0x41, count: 250)) }
        #expect(throws: RADIUSUpstreamMessages.RequestProblem.self) {
            try RADIUSUpstreamMessages.accessRequest(
                for: PrimaryRequest(username: "alice", password: Password("pw"), forwardedAttributes: many),
                configuration: configuration, authenticator: .random())
        }
    }

    // MARK: Reply validation

    static let server = try! SocketAddress(ipAddress: "127.0.0.1", port: 1812)

    static func reply(
        _ code: RADIUSCode, to request: RADIUSPacket, attributes: [RADIUSAttribute] = [], messageAuthenticator: Bool = true,
        secret: [UInt8] = RADIUSClientMessagesTests.secret
    ) throws -> [UInt8] {
        try RADIUSPacket(code: code, identifier: request.identifier, authenticator: request.authenticator, attributes: attributes)
            .encodeResponse(to: request.authenticator, secret: secret, messageAuthenticator: messageAuthenticator)
    }

    static let request = RADIUSPacket(code: .accessRequest, identifier: 42, authenticator: .random())
    static var expectation: RADIUSReplyValidator.Expectation {
        .init(source: server, identifier: request.identifier, requestAuthenticator: request.authenticator)
    }

    static func verdict(_ datagram: [UInt8], from source: SocketAddress = server, requireMA: Bool = true) -> RADIUSReplyDropReason? {
        let validator = RADIUSReplyValidator(secret: secret, requireMessageAuthenticator: requireMA)
        switch validator.validate(datagram, from: source, expecting: expectation) {
        case .reply: return nil
        case .drop(let reason, let diagnostic):
            #expect(!diagnostic.contains(secretText))
            return reason
        }
    }

    @Test func anAuthenticReplyWithMessageAuthenticatorIsAccepted() throws {
        for code in [RADIUSCode.accessAccept, .accessReject, .accessChallenge] {
            #expect(Self.verdict(try Self.reply(code, to: Self.request)) == nil)
        }
    }

    @Test func aReplyFromAnotherPortOrAddressIsDropped() throws {
        let good = try Self.reply(.accessAccept, to: Self.request)
        #expect(Self.verdict(good, from: try SocketAddress(ipAddress: "127.0.0.1", port: 1813)) == .wrongSource)
        #expect(Self.verdict(good, from: try SocketAddress(ipAddress: "127.0.0.2", port: 1812)) == .wrongSource)
        #expect(Self.verdict(good, from: try SocketAddress(ipAddress: "::ffff:127.0.0.1", port: 1812)) == nil)
    }

    @Test func aBadResponseAuthenticatorIsDropped() throws {
        var forged = try Self.reply(.accessAccept, to: Self.request)
        forged[4] ^= 0x01
        #expect(Self.verdict(forged) == .badResponseAuthenticator)
        // Signed with another secret: both authenticators are wrong; the first check decides.
        #expect(Self.verdict(try Self.reply(.accessAccept, to: Self.request, secret: Array("other".utf8))) == .badResponseAuthenticator)
        // An answer to another request (another authenticator) with the right identifier.
        let other = RADIUSPacket(code: .accessRequest, identifier: 42, authenticator: .random())
        #expect(Self.verdict(try Self.reply(.accessAccept, to: other)) == .badResponseAuthenticator)
    }

    @Test func messageAuthenticatorIsRequiredByDefaultAndAlwaysVerified() throws {
        let without = try Self.reply(.accessAccept, to: Self.request, messageAuthenticator: false)
        #expect(Self.verdict(without) == .missingMessageAuthenticator)
        #expect(Self.verdict(without, requireMA: false) == nil)

        // A wrong Message-Authenticator under a valid Response Authenticator (a buggy server, or
        // a forgery that got the MD5 right): dropped even when not required.
        var bytes = try Self.reply(.accessAccept, to: Self.request)
        bytes[22] ^= 0x01
        Self.resign(&bytes, requestAuthenticator: Self.request.authenticator)
        #expect(Self.verdict(bytes) == .badMessageAuthenticator)
        #expect(Self.verdict(bytes, requireMA: false) == .badMessageAuthenticator)
    }

    /// Recomputes the Response Authenticator of reply bytes (RFC 2865 §3) after a test altered them.
    static func resign(_ bytes: inout [UInt8], requestAuthenticator: RADIUSAuthenticator, secret: [UInt8] = RADIUSClientMessagesTests.secret) {
        var md5 = Insecure.MD5()
        md5.update(data: bytes[0..<4])
        md5.update(data: requestAuthenticator.bytes)
        md5.update(data: bytes[20...])
        md5.update(data: secret)
        bytes.replaceSubrange(4..<20, with: Array(md5.finalize()))
    }

    @Test func malformedWrongIdentifierAndWrongCodeAreDropped() throws {
        var good = try Self.reply(.accessAccept, to: Self.request)
        #expect(Self.verdict(Array(good.prefix(19))) == .malformed)
        good[3] = 200  // Length beyond the datagram
        #expect(Self.verdict(good) == .malformed)
        let wrongID = try RADIUSPacket(code: .accessAccept, identifier: 43, authenticator: Self.request.authenticator)
            .encodeResponse(to: Self.request.authenticator, secret: Self.secret)
        #expect(Self.verdict(wrongID) == .unknownIdentifier)
        #expect(Self.verdict(try Self.reply(.accessRequest, to: Self.request)) == .unexpectedCode)
        #expect(Self.verdict(try Self.reply(.accountingResponse, to: Self.request)) == .unexpectedCode)
    }

    // MARK: Outcomes and pass-through

    static let juniperUser = try! RADIUSDictionary.standard.attribute(named: "Juniper-Local-User-Name", value: "ops")
    static let replyAttributes: [RADIUSAttribute] = [
        RADIUSAttribute(.messageAuthenticator, [UInt8](repeating: 1, count: 16)),
        RADIUSAttribute(.class, Array("staff".utf8)),
        RADIUSAttribute(.replyMessage, text: "Hello "),
        RADIUSAttribute(.replyMessage, text: "alice"),
        RADIUSAttribute(.filterID, text: "std.vpn"),
        RADIUSAttribute(.proxyState, [1]),
        RADIUSAttribute(.state, [2]),
        juniperUser,
    ]

    static func outcome(_ code: RADIUSCode, filter: RADIUSPassThroughFilter) -> PrimaryOutcome {
        RADIUSUpstreamMessages.outcome(
            of: RADIUSPacket(code: code, identifier: 1, authenticator: .zero, attributes: replyAttributes),
            from: .init(host: "127.0.0.1"), filter: filter)
    }

    @Test func anAcceptPassesOnlyWhatTheConfigurationNames() throws {
        guard case .accepted(let none) = Self.outcome(.accessAccept, filter: try Self.configuration().passThrough) else {
            Issue.record("expected accepted")
            return
        }
        #expect(none.passThroughAttributes.isEmpty)

        guard case .accepted(let named) = Self.outcome(
            .accessAccept, filter: try Self.configuration(names: ["Class", "Juniper-Local-User-Name"]).passThrough)
        else {
            Issue.record("expected accepted")
            return
        }
        #expect(named.passThroughAttributes == [RADIUSAttribute(.class, Array("staff".utf8)), Self.juniperUser])

        guard case .accepted(let all) = Self.outcome(.accessAccept, filter: try Self.configuration(all: true).passThrough) else {
            Issue.record("expected accepted")
            return
        }
        // Everything but Message-Authenticator, Proxy-State and State.
        #expect(all.passThroughAttributes.map(\.type) == [.class, .replyMessage, .replyMessage, .filterID, .vendorSpecific])
    }

    @Test func aVendorNameKeepsOnlyItsSubAttributes() throws {
        let mixed = try RADIUSVendorSpecific(vendorID: RADIUSVendorSpecific.juniper, attributes: [
            .init(type: 1, value: Array("ops".utf8)), .init(type: 2, value: Array("other".utf8)),
        ]).attribute()
        let filter = try Self.configuration(names: ["Juniper-Local-User-Name"]).passThrough
        #expect(filter.apply(to: [mixed]) == [Self.juniperUser])
        let microsoft = try RADIUSVendorSpecific(vendorID: RADIUSVendorSpecific.microsoft, attributes: [
            .init(type: 1, value: Array("ops".utf8))
        ]).attribute()
        #expect(filter.apply(to: [microsoft]).isEmpty)
    }

    @Test func aRejectPassesItsReplyMessageOnly() throws {
        guard case .rejected(let rejection) = Self.outcome(.accessReject, filter: .all) else {
            Issue.record("expected rejected")
            return
        }
        #expect(rejection.kind == .refusedByServer)
        #expect(rejection.diagnostic.contains("127.0.0.1:1812"))
        #expect(rejection.passThroughAttributes == [RADIUSAttribute(.replyMessage, text: "Hello "), RADIUSAttribute(.replyMessage, text: "alice")])
    }

    @Test func aChallengeCarriesStateMessageAndFilteredAttributes() throws {
        guard case .challenged(let challenge) = Self.outcome(.accessChallenge, filter: .all) else {
            Issue.record("expected challenged")
            return
        }
        #expect(challenge.state == [2])
        #expect(challenge.message == "Hello alice")
        #expect(challenge.passThroughAttributes.map(\.type) == [.class, .filterID, .vendorSpecific])
    }
}
