/// A password or passcode as the device sent it: bytes, never printed.
///
/// RADIUS passwords are octets (RFC 2865 §5.2) and need not be UTF-8; LDAP simple-bind passwords
/// are an OCTET STRING (RFC 4511 §4.2). Descriptions and dumps show a placeholder, so a password
/// cannot reach a log by string interpolation.
public struct Password: Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    public var bytes: [UInt8]

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    public init(_ text: String) {
        self.bytes = Array(text.utf8)
    }

    public var isEmpty: Bool { bytes.isEmpty }

    /// The password as UTF-8 text, or nil when it is not valid UTF-8.
    public var text: String? { String(validating: bytes, as: UTF8.self) }

    public var description: String { "<password>" }
    public var debugDescription: String { "<password>" }
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
