import Policy
import RADIUSWire

/// The two pure halves of one upstream exchange: the Access-Request built for a login, and the
/// reply read into a `PrimaryOutcome`. No sockets, no clocks.
enum RADIUSUpstreamMessages {
    /// Attributes of ``PrimaryRequest/forwardedAttributes`` that are never forwarded, whatever the
    /// front passed (the front filters them too; this client does not rely on it).
    static let neverForwarded = RADIUSAttributeType.notForwardedUpstream

    /// Why a login could not even be put into an Access-Request.
    enum RequestProblem: Error, Equatable {
        /// RFC 2865 §5.2 allows at most 128 octets of password.
        case passwordTooLong(Int)
        /// RFC 2865 §5.1: User-Name is 1 to 253 octets.
        case userNameLength(Int)
        /// The attributes do not fit in 4,096 octets (RFC 2865 §3).
        case tooLarge(String)
    }

    /// The Access-Request for a login, unsigned and with identifier 0 (the transport picks the
    /// identifier and signs it): User-Name, User-Password hidden with the secret and this
    /// request's fresh authenticator, the front's forwarded attributes, the upstream State of a
    /// challenge being answered, and NAS-IP-Address when configured. Message-Authenticator is
    /// placed first when the transport encodes it.
    static func accessRequest(
        for request: PrimaryRequest,
        configuration: RADIUSClientConfiguration,
        authenticator: RADIUSAuthenticator
    ) throws(RequestProblem) -> RADIUSPacket {
        let userName = Array(request.username.utf8)
        guard (1...RADIUSAttribute.maximumValueLength).contains(userName.count) else {
            throw .userNameLength(userName.count)
        }
        let hidden: [UInt8]
        do {
            hidden = try RADIUSUserPassword.hide(
                request.password.bytes, secret: configuration.secret.bytes, authenticator: authenticator)
        } catch {
            throw .passwordTooLong(request.password.bytes.count)
        }
        var attributes = [RADIUSAttribute(.userName, userName), RADIUSAttribute(.userPassword, hidden)]
        let configuredNAS = configuration.nasIPAttribute
        for attribute in request.forwardedAttributes where !neverForwarded.contains(attribute.type) {
            if configuredNAS != nil, attribute.type == .nasIPAddress || attribute.type == .nasIPv6Address { continue }
            attributes.append(attribute)
        }
        if let configuredNAS { attributes.append(configuredNAS) }
        if let state = request.upstreamState, !state.isEmpty {
            guard state.count <= RADIUSAttribute.maximumValueLength else {
                throw .tooLarge("the upstream State has \(state.count) octets, above 253")
            }
            attributes.append(RADIUSAttribute(.state, state))
        }
        let packet = RADIUSPacket(code: .accessRequest, identifier: 0, authenticator: authenticator, attributes: attributes)
        // Message-Authenticator adds 18 octets when the transport signs the packet.
        do throws(RADIUSWireError) {
            let length = try packet.encoded().count + 18
            guard length <= RADIUSPacket.maximumLength else {
                throw RADIUSWireError(.packetTooLong, "the Access-Request would have \(length) octets, above 4096")
            }
        } catch {
            throw .tooLarge(error.diagnostic)
        }
        return packet
    }

    /// What an authenticated reply means for the login. The reply has passed
    /// `RADIUSReplyValidator`, so its code is Access-Accept, -Reject or -Challenge.
    static func outcome(
        of reply: RADIUSPacket,
        from server: RADIUSClientConfiguration.Server,
        filter: RADIUSPassThroughFilter
    ) -> PrimaryOutcome {
        switch reply.code {
        case .accessAccept:
            return .accepted(PrimaryAccept(passThroughAttributes: filter.apply(to: reply.attributes)))
        case .accessChallenge:
            let message = reply.all(.replyMessage).map { String(decoding: $0.value, as: UTF8.self) }.joined()
            return .challenged(
                PrimaryChallenge(
                    state: reply[.state]?.value ?? [],
                    message: message,
                    passThroughAttributes: filter.apply(to: reply.attributes.filter { $0.type != .replyMessage })))
        default:
            // Access-Reject (the validator lets no other code through): RFC 5080 §2.6.3 leaves it
            // only Reply-Message worth showing.
            return .rejected(
                PrimaryRejection(
                    .refusedByServer, diagnostic: "Access-Reject from \(server)",
                    passThroughAttributes: reply.all(.replyMessage)))
        }
    }
}
