/// A PDU that cannot be framed or decoded.
///
/// Like `NIOSSHError`: a kind to switch on, a diagnostic that says what was wrong and where, and the
/// answer a server owes the peer (``disposition``). RFC 4511 §4.1.1: when "the encoding structures or
/// lengths of data fields are found to be incorrect, then the server SHOULD return the Notice of
/// Disconnection ... with the resultCode set to protocolError, and MUST immediately terminate the
/// LDAP session".
public struct LDAPDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of problem this is.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case wrongOuterTag, indefiniteLength, lengthFieldTooLong, pduTooLarge
            case truncated, trailingBytes, unsupportedTag, tooDeep, constructedString, primitiveSequence
            case invalidInteger, invalidBoolean, invalidNull
            case unexpectedElement, missingElement, messageIDOutOfRange, unknownOperation, invalidUTF8
            case unsupportedVersion, invalidValue, tooManyElements, filterTooDeep, tooManyFilterComponents
        }

        fileprivate var base: Base
        fileprivate init(_ base: Base) { self.base = base }

        /// The outer element is not a SEQUENCE (0x30).
        public static let wrongOuterTag = Kind(.wrongOuterTag)
        /// An indefinite length (0x80); RFC 4511 §5.1 allows definite lengths only.
        public static let indefiniteLength = Kind(.indefiniteLength)
        /// A length field with more than 4 length octets.
        public static let lengthFieldTooLong = Kind(.lengthFieldTooLong)
        /// The PDU is larger than ``LDAPLimits/maximumPDUSize``.
        public static let pduTooLarge = Kind(.pduTooLarge)
        /// An element is longer than the element that contains it.
        public static let truncated = Kind(.truncated)
        /// Bytes after the end of the LDAPMessage.
        public static let trailingBytes = Kind(.trailingBytes)
        /// A tag LDAP never uses (high tag numbers, end-of-contents).
        public static let unsupportedTag = Kind(.unsupportedTag)
        /// Nesting deeper than ``LDAPLimits/maximumDepth``.
        public static let tooDeep = Kind(.tooDeep)
        /// A constructed OCTET STRING or other string; LDAP requires the primitive form (RFC 4511 §5.1).
        public static let constructedString = Kind(.constructedString)
        /// A SEQUENCE, SET or CHOICE encoded in primitive form.
        public static let primitiveSequence = Kind(.primitiveSequence)
        /// An INTEGER or ENUMERATED that is empty, not minimally encoded or out of range.
        public static let invalidInteger = Kind(.invalidInteger)
        /// A BOOLEAN whose contents are not exactly one octet.
        public static let invalidBoolean = Kind(.invalidBoolean)
        /// A NULL with contents.
        public static let invalidNull = Kind(.invalidNull)
        /// An element with a tag the production does not allow at that place.
        public static let unexpectedElement = Kind(.unexpectedElement)
        /// A required element is absent.
        public static let missingElement = Kind(.missingElement)
        /// A messageID outside 1...2147483647.
        public static let messageIDOutOfRange = Kind(.messageIDOutOfRange)
        /// A protocolOp tag that is no LDAP operation.
        public static let unknownOperation = Kind(.unknownOperation)
        /// An LDAPString or LDAPDN that is not valid UTF-8.
        public static let invalidUTF8 = Kind(.invalidUTF8)
        /// A BindRequest version other than 3.
        public static let unsupportedVersion = Kind(.unsupportedVersion)
        /// A value outside what its production allows (an unknown scope, a negative size limit, ...).
        public static let invalidValue = Kind(.invalidValue)
        /// A SEQUENCE OF / SET OF with more than ``LDAPLimits/maximumElements`` elements.
        public static let tooManyElements = Kind(.tooManyElements)
        /// A filter nested deeper than ``LDAPLimits/maximumFilterDepth``.
        public static let filterTooDeep = Kind(.filterTooDeep)
        /// A filter with more than ``LDAPLimits/maximumFilterComponents`` components.
        public static let tooManyFilterComponents = Kind(.tooManyFilterComponents)

        public var description: String { base.rawValue }

    }

    /// What a server should do about the PDU.
    public enum Disposition: Hashable, Sendable {
        /// Close the connection without answering (the PDU could not even be framed).
        case closeConnection
        /// Send the Notice of Disconnection (RFC 4511 §4.4.1) with this result code, then close.
        case noticeOfDisconnection(LDAPResultCode)
        /// Answer the operation with this result code (in the response that `operation` calls for,
        /// see ``LDAPOperationKind/responseKind``) and keep the session.
        case respond(messageID: Int32, operation: LDAPOperationKind, resultCode: LDAPResultCode)
    }

    public var kind: Kind
    /// What was wrong and where, for logs and administrators.
    public var diagnostics: String
    /// The messageID of the PDU, once it was read.
    public var messageID: Int32?
    /// The operation of the PDU, once its tag was read.
    public var operation: LDAPOperationKind?
    /// True when the PDU's structure was sound and only a value was wrong, so the operation itself
    /// can be answered (RFC 4511 §4.2.2: an unsupported bind version gets a protocolError BindResponse).
    var answerable: Bool
    /// True when the outer header was unusable (wrong tag, bad or excessive length): nothing of the PDU
    /// was buffered, and the stream cannot be resynchronised.
    var framing: Bool = false

    fileprivate init(_ kind: Kind, _ diagnostics: String, answerable: Bool = false) {
        self.kind = kind
        self.diagnostics = diagnostics
        self.answerable = answerable
    }

    public var disposition: Disposition {
        if framing { return .closeConnection }
        if answerable, let messageID, let operation, operation.responseKind != nil {
            return .respond(messageID: messageID, operation: operation, resultCode: .protocolError)
        }
        return .noticeOfDisconnection(.protocolError)
    }

    /// The result code to answer with, or nil when the connection is closed unanswered.
    public var resultCode: LDAPResultCode? {
        switch disposition {
        case .closeConnection: return nil
        case .noticeOfDisconnection(let code): return code
        case .respond(_, _, let code): return code
        }
    }

    public var description: String {
        var text = "LDAPDecodingError.\(kind): \(diagnostics)"
        if let messageID { text += " (messageID \(messageID)" + (operation.map { ", \($0)" } ?? "") + ")" }
        return text
    }
}

// MARK: - Constructors

extension LDAPDecodingError {
    @inline(never)
    static func wrongOuterTag(_ tag: UInt8) -> Self {
        Self(.wrongOuterTag, "outer tag is 0x\(hex(tag)), an LDAPMessage starts with SEQUENCE (0x30)")
    }

    @inline(never)
    static func indefiniteLength(at offset: Int) -> Self {
        Self(.indefiniteLength, "indefinite length (0x80) at offset \(offset); LDAP allows definite lengths only")
    }

    @inline(never)
    static func lengthFieldTooLong(octets: Int, at offset: Int) -> Self {
        Self(.lengthFieldTooLong, "length field at offset \(offset) has \(octets) octets (at most 4)")
    }

    @inline(never)
    static func pduTooLarge(claimed: UInt64, maximum: Int) -> Self {
        Self(.pduTooLarge, "PDU claims \(claimed) bytes, more than the maximum of \(maximum)")
    }

    @inline(never)
    static func truncated(at offset: Int, claimed: UInt64, available: Int) -> Self {
        Self(
            .truncated,
            "element at offset \(offset) claims \(claimed) content bytes but its parent has \(available) left"
        )
    }

    @inline(never)
    static func trailingBytes(count: Int, at offset: Int) -> Self {
        Self(.trailingBytes, "\(count) bytes after the LDAPMessage at offset \(offset)")
    }

    @inline(never)
    static func unsupportedTag(_ tag: UInt8, at offset: Int) -> Self {
        Self(.unsupportedTag, "tag 0x\(hex(tag)) at offset \(offset) is not used by LDAP")
    }

    @inline(never)
    static func tooDeep(at offset: Int, maximum: Int) -> Self {
        Self(.tooDeep, "element at offset \(offset) is nested deeper than \(maximum) levels")
    }

    @inline(never)
    static func constructedString(_ what: String) -> Self {
        Self(.constructedString, "\(what) is a constructed string; LDAP requires the primitive form")
    }

    @inline(never)
    static func primitiveSequence(_ what: String) -> Self {
        Self(.primitiveSequence, "\(what) must be constructed but is primitive")
    }

    @inline(never)
    static func invalidInteger(_ what: String, _ why: String) -> Self {
        Self(.invalidInteger, "\(what) \(why)")
    }

    @inline(never)
    static func invalidBoolean(_ what: String, length: Int) -> Self {
        Self(.invalidBoolean, "\(what) BOOLEAN has \(length) content octets (exactly 1)")
    }

    @inline(never)
    static func invalidNull(_ what: String, length: Int) -> Self {
        Self(.invalidNull, "\(what) NULL has \(length) content octets (exactly 0)")
    }

    @inline(never)
    static func unexpectedElement(_ what: String, found: String, expected: String) -> Self {
        Self(.unexpectedElement, "\(what): found \(found) where \(expected) was expected")
    }

    @inline(never)
    static func missingElement(_ what: String, in parent: String) -> Self {
        Self(.missingElement, "\(parent) ends before its \(what)")
    }

    @inline(never)
    static func messageIDOutOfRange(_ value: Int64) -> Self {
        Self(.messageIDOutOfRange, "messageID \(value) is outside 1...2147483647")
    }

    @inline(never)
    static func unknownOperation(_ identifier: String) -> Self {
        Self(.unknownOperation, "protocolOp \(identifier) is no LDAP operation")
    }

    @inline(never)
    static func invalidUTF8(_ what: String) -> Self {
        Self(.invalidUTF8, "\(what) is not valid UTF-8")
    }

    @inline(never)
    static func unsupportedVersion(_ version: Int64) -> Self {
        Self(.unsupportedVersion, "BindRequest version \(version) is not 3", answerable: true)
    }

    @inline(never)
    static func invalidValue(_ what: String, _ why: String) -> Self {
        Self(.invalidValue, "\(what) \(why)", answerable: true)
    }

    @inline(never)
    static func tooManyElements(_ what: String, maximum: Int) -> Self {
        Self(.tooManyElements, "\(what) has more than \(maximum) elements")
    }

    @inline(never)
    static func filterTooDeep(maximum: Int) -> Self {
        Self(.filterTooDeep, "filter is nested deeper than \(maximum) levels")
    }

    @inline(never)
    static func tooManyFilterComponents(maximum: Int) -> Self {
        Self(.tooManyFilterComponents, "filter has more than \(maximum) components")
    }

    /// The same error found in the outer header, before anything was buffered.
    var inFraming: Self {
        var copy = self
        copy.framing = true
        return copy
    }

    func with(messageID: Int32?, operation: LDAPOperationKind?) -> Self {
        var copy = self
        if copy.messageID == nil { copy.messageID = messageID }
        if copy.operation == nil { copy.operation = operation }
        return copy
    }
}

@inline(never)
func hex(_ byte: UInt8) -> String {
    let digits: [Character] = Array("0123456789abcdef")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]])
}
