/// Why RADIUS bytes or values were refused: a kind to decide on, and a diagnostic for the log.
///
/// The diagnostic says what was wrong and where (`attribute 18 at offset 42: length 1 is below 2`).
/// It never contains a secret or a password.
public struct RADIUSWireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, for decisions. New kinds may be added.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: Hashable, Sendable {
            case truncatedHeader, lengthOutOfRange, malformedAttribute, invalidMessageAuthenticator
            case valueTooLong, packetTooLong, invalidPassword, invalidText, invalidVendorSpecific
            case invalidAuthenticator, unknownAttribute, invalidValue
        }
        fileprivate var base: Base

        /// Fewer than 20 octets: not even a header.
        public static let truncatedHeader = Kind(base: .truncatedHeader)
        /// The Length field is below 20, above 4096, or beyond the datagram.
        public static let lengthOutOfRange = Kind(base: .lengthOutOfRange)
        /// An attribute's length is below 2 or runs past the packet's Length.
        public static let malformedAttribute = Kind(base: .malformedAttribute)
        /// Message-Authenticator is not 16 octets, or appears more than once.
        public static let invalidMessageAuthenticator = Kind(base: .invalidMessageAuthenticator)
        /// An attribute value longer than 253 octets was to be encoded.
        public static let valueTooLong = Kind(base: .valueTooLong)
        /// The encoded packet would exceed 4096 octets.
        public static let packetTooLong = Kind(base: .packetTooLong)
        /// A User-Password value of length 0, not a multiple of 16, or over 128 octets.
        public static let invalidPassword = Kind(base: .invalidPassword)
        /// Text that must be UTF-8 without NUL, CR or LF is not.
        public static let invalidText = Kind(base: .invalidText)
        /// A Vendor-Specific value that does not follow RFC 2865 §5.26's suggested format.
        public static let invalidVendorSpecific = Kind(base: .invalidVendorSpecific)
        /// An authenticator that is not 16 octets.
        public static let invalidAuthenticator = Kind(base: .invalidAuthenticator)
        /// An attribute name the dictionary does not know.
        public static let unknownAttribute = Kind(base: .unknownAttribute)
        /// A textual value that does not fit the attribute's data type.
        public static let invalidValue = Kind(base: .invalidValue)

        public var description: String { "\(base)" }
    }

    public var kind: Kind
    /// What was wrong and where, fit for an administrator's log.
    public var diagnostic: String

    public init(_ kind: Kind, _ diagnostic: String) {
        self.kind = kind
        self.diagnostic = diagnostic
    }

    public var description: String { diagnostic }
}
