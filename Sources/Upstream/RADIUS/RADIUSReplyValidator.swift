import NIOCore
import RADIUSWire

/// Why a datagram on a client socket was dropped rather than matched to a pending request.
///
/// SECURITY.md: "Upstream replies from the wrong address or port, with an unknown ID, a bad
/// Response Authenticator or a bad Message-Authenticator: drop, never matched to a pending request."
public struct RADIUSReplyDropReason: Hashable, Sendable, CustomStringConvertible {
    fileprivate enum Base: String, Hashable, Sendable, CaseIterable {
        case malformed = "malformed"
        case unknownIdentifier = "unknown identifier"
        case wrongSource = "wrong source address or port"
        case unexpectedCode = "not an Access-Accept, -Reject or -Challenge"
        case badResponseAuthenticator = "bad Response Authenticator"
        case missingMessageAuthenticator = "missing Message-Authenticator"
        case badMessageAuthenticator = "bad Message-Authenticator"
    }
    fileprivate var base: Base

    /// Not a RADIUS packet (RFC 2865 §3 length and attribute rules).
    public static let malformed = Self(base: .malformed)
    /// No request is pending with this identifier on this socket (late, duplicate, or forged).
    public static let unknownIdentifier = Self(base: .unknownIdentifier)
    /// Not from the address and port the request was sent to.
    public static let wrongSource = Self(base: .wrongSource)
    /// RFC 2865 §4: a client only expects Access-Accept, Access-Reject and Access-Challenge.
    public static let unexpectedCode = Self(base: .unexpectedCode)
    /// RFC 2865 §3: "If the Response Authenticator does not match, the packet is silently discarded."
    public static let badResponseAuthenticator = Self(base: .badResponseAuthenticator)
    /// `require_message_authenticator` is on and the reply has none (BlastRADIUS, CVE-2024-3596).
    public static let missingMessageAuthenticator = Self(base: .missingMessageAuthenticator)
    /// RFC 3579 §3.2: a Message-Authenticator that does not verify is silently discarded.
    public static let badMessageAuthenticator = Self(base: .badMessageAuthenticator)

    public static let allCases: [Self] = Base.allCases.map { Self(base: $0) }

    public var description: String { base.rawValue }
}

/// Decides whether a datagram is the authentic reply to one pending request. Pure: bytes in,
/// verdict out.
///
/// The order is cheapest first, and nothing from an unauthenticated datagram is trusted beyond
/// the lookup of its identifier: the source, then the strict decode, the code, the Response
/// Authenticator (RFC 2865 §3), then Message-Authenticator (RFC 3579 §3.2), which is verified
/// whenever present and required unless configured otherwise.
struct RADIUSReplyValidator: Sendable {
    var secret: [UInt8]
    var requireMessageAuthenticator: Bool

    /// What the validator needs to know of the request a datagram claims to answer.
    struct Expectation: Sendable {
        var source: SocketAddress
        var identifier: UInt8
        var requestAuthenticator: RADIUSAuthenticator
    }

    enum Verdict: Sendable {
        case reply(RADIUSPacket)
        case drop(RADIUSReplyDropReason, diagnostic: String)
    }

    func validate(_ datagram: [UInt8], from source: SocketAddress, expecting expected: Expectation) -> Verdict {
        guard Self.sameEndpoint(source, expected.source) else {
            return .drop(.wrongSource, diagnostic: "from \(source.endpointDescription), but the request went to \(expected.source.endpointDescription)")
        }
        let packet: RADIUSPacket
        do throws(RADIUSWireError) {
            packet = try RADIUSPacket(decoding: datagram)
        } catch {
            return .drop(.malformed, diagnostic: "from \(source.endpointDescription): \(error.diagnostic)")
        }
        guard packet.identifier == expected.identifier else {
            return .drop(.unknownIdentifier, diagnostic: "from \(source.endpointDescription): identifier \(packet.identifier) is not \(expected.identifier)")
        }
        switch packet.code {
        case .accessAccept, .accessReject, .accessChallenge:
            break
        default:
            return .drop(.unexpectedCode, diagnostic: "from \(source.endpointDescription): code \(packet.code) answers no Access-Request")
        }
        let responseValid =
            (try? RADIUSPacket.verifyResponseAuthenticator(
                in: datagram, requestAuthenticator: expected.requestAuthenticator, secret: secret)) ?? false
        guard responseValid else {
            return .drop(
                .badResponseAuthenticator,
                diagnostic: "\(packet.code) from \(source.endpointDescription) (identifier \(packet.identifier)): the Response Authenticator does not verify; check that both ends have the same secret")
        }
        let check =
            (try? RADIUSPacket.checkMessageAuthenticator(
                in: datagram, secret: secret, requestAuthenticator: expected.requestAuthenticator)) ?? .invalid
        switch check {
        case .valid:
            break
        case .invalid:
            return .drop(
                .badMessageAuthenticator,
                diagnostic: "\(packet.code) from \(source.endpointDescription) (identifier \(packet.identifier)): the Message-Authenticator does not verify")
        case .absent:
            guard !requireMessageAuthenticator else {
                return .drop(
                    .missingMessageAuthenticator,
                    diagnostic: "\(packet.code) from \(source.endpointDescription) (identifier \(packet.identifier)) has no Message-Authenticator and require_message_authenticator is on; upgrade the server (FreeRADIUS 3.2.5+ sends one) or, on a trusted path only, set require_message_authenticator=false")
            }
        }
        return .reply(packet)
    }

    /// Address and port equality; an IPv4-mapped IPv6 source equals its IPv4 address.
    static func sameEndpoint(_ lhs: SocketAddress, _ rhs: SocketAddress) -> Bool {
        guard lhs.port == rhs.port, let left = lhs.ipAddress, let right = rhs.ipAddress else { return false }
        return normalized(left) == normalized(right)
    }

    private static func normalized(_ address: String) -> String {
        let lower = address.lowercased()
        return lower.hasPrefix("::ffff:") && lower.contains(".") ? String(lower.dropFirst(7)) : lower
    }
}

extension SocketAddress {
    /// `127.0.0.1:1812` or `[::1]:1812`, for diagnostics.
    var endpointDescription: String {
        let ip = ipAddress ?? "\(self)"
        let port = port ?? 0
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }
}
