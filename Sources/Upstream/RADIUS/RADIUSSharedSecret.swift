/// The shared secret of `[radius_client]`: bytes that never print.
///
/// RFC 2865 §3: the secret keys the Response Authenticator and hides User-Password, and RFC 3579
/// §3.2 keys Message-Authenticator with it. Whoever reads it can forge replies and recover every
/// forwarded password, so descriptions and dumps show a placeholder.
public struct RADIUSSharedSecret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public let bytes: [UInt8]

    public init(_ text: String) {
        bytes = Array(text.utf8)
    }

    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    public var description: String { "<secret>" }
    public var debugDescription: String { "<secret>" }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
