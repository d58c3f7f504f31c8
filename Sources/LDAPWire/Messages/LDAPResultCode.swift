/// An LDAP resultCode (RFC 4511 §4.1.9, Appendix A), extensible: unknown codes keep their value.
///
///     resultCode         ENUMERATED {
///          success                      (0),
///          operationsError              (1),
///          ...
///          other                        (80),
///          ...  }
public struct LDAPResultCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: Int

    public init(rawValue: Int) { self.rawValue = rawValue }
    public init(_ rawValue: Int) { self.rawValue = rawValue }

    /// 0 (RFC 4511 §4.1.9; 0-80 are its codes)
    public static let success = LDAPResultCode(0)
    /// 1
    public static let operationsError = LDAPResultCode(1)
    /// 2
    public static let protocolError = LDAPResultCode(2)
    /// 3
    public static let timeLimitExceeded = LDAPResultCode(3)
    /// 4
    public static let sizeLimitExceeded = LDAPResultCode(4)
    /// 5
    public static let compareFalse = LDAPResultCode(5)
    /// 6
    public static let compareTrue = LDAPResultCode(6)
    /// 7
    public static let authMethodNotSupported = LDAPResultCode(7)
    /// 8
    public static let strongerAuthRequired = LDAPResultCode(8)
    /// 10
    public static let referral = LDAPResultCode(10)
    /// 11
    public static let adminLimitExceeded = LDAPResultCode(11)
    /// 12
    public static let unavailableCriticalExtension = LDAPResultCode(12)
    /// 13
    public static let confidentialityRequired = LDAPResultCode(13)
    /// 14
    public static let saslBindInProgress = LDAPResultCode(14)
    /// 16
    public static let noSuchAttribute = LDAPResultCode(16)
    /// 17
    public static let undefinedAttributeType = LDAPResultCode(17)
    /// 18
    public static let inappropriateMatching = LDAPResultCode(18)
    /// 19
    public static let constraintViolation = LDAPResultCode(19)
    /// 20
    public static let attributeOrValueExists = LDAPResultCode(20)
    /// 21
    public static let invalidAttributeSyntax = LDAPResultCode(21)
    /// 32
    public static let noSuchObject = LDAPResultCode(32)
    /// 33
    public static let aliasProblem = LDAPResultCode(33)
    /// 34
    public static let invalidDNSyntax = LDAPResultCode(34)
    /// 36
    public static let aliasDereferencingProblem = LDAPResultCode(36)
    /// 48
    public static let inappropriateAuthentication = LDAPResultCode(48)
    /// 49
    public static let invalidCredentials = LDAPResultCode(49)
    /// 50
    public static let insufficientAccessRights = LDAPResultCode(50)
    /// 51
    public static let busy = LDAPResultCode(51)
    /// 52
    public static let unavailable = LDAPResultCode(52)
    /// 53
    public static let unwillingToPerform = LDAPResultCode(53)
    /// 54
    public static let loopDetect = LDAPResultCode(54)
    /// 64
    public static let namingViolation = LDAPResultCode(64)
    /// 65
    public static let objectClassViolation = LDAPResultCode(65)
    /// 66
    public static let notAllowedOnNonLeaf = LDAPResultCode(66)
    /// 67
    public static let notAllowedOnRDN = LDAPResultCode(67)
    /// 68
    public static let entryAlreadyExists = LDAPResultCode(68)
    /// 69
    public static let objectClassModsProhibited = LDAPResultCode(69)
    /// 71
    public static let affectsMultipleDSAs = LDAPResultCode(71)
    /// 80
    public static let other = LDAPResultCode(80)
    /// 118 (RFC 3909)
    public static let canceled = LDAPResultCode(118)
    /// 119 (RFC 3909)
    public static let noSuchOperation = LDAPResultCode(119)
    /// 120 (RFC 3909)
    public static let tooLate = LDAPResultCode(120)
    /// 121 (RFC 3909)
    public static let cannotCancel = LDAPResultCode(121)
    /// 122 (RFC 4528)
    public static let assertionFailed = LDAPResultCode(122)
    /// 123 (RFC 4370)
    public static let authorizationDenied = LDAPResultCode(123)
    /// 4096 (RFC 4533)
    public static let eSyncRefreshRequired = LDAPResultCode(4096)
    /// 16654 (draft-zeilenga-ldap-noop)
    public static let noOperation = LDAPResultCode(16654)

    /// Every code named here, in numeric order.
    public static let allKnown: [LDAPResultCode] = [
        .success, .operationsError, .protocolError, .timeLimitExceeded, .sizeLimitExceeded, .compareFalse, .compareTrue, .authMethodNotSupported, .strongerAuthRequired, .referral, .adminLimitExceeded, .unavailableCriticalExtension, .confidentialityRequired, .saslBindInProgress, .noSuchAttribute, .undefinedAttributeType, .inappropriateMatching, .constraintViolation, .attributeOrValueExists, .invalidAttributeSyntax, .noSuchObject, .aliasProblem, .invalidDNSyntax, .aliasDereferencingProblem, .inappropriateAuthentication, .invalidCredentials, .insufficientAccessRights, .busy, .unavailable, .unwillingToPerform, .loopDetect, .namingViolation, .objectClassViolation, .notAllowedOnNonLeaf, .notAllowedOnRDN, .entryAlreadyExists, .objectClassModsProhibited, .affectsMultipleDSAs, .other, .canceled, .noSuchOperation, .tooLate, .cannotCancel, .assertionFailed, .authorizationDenied, .eSyncRefreshRequired, .noOperation,
    ]

    /// The RFC name, or nil for a code not named here.
    public var name: String? {
        switch rawValue {
        case 0: return "success"
        case 1: return "operationsError"
        case 2: return "protocolError"
        case 3: return "timeLimitExceeded"
        case 4: return "sizeLimitExceeded"
        case 5: return "compareFalse"
        case 6: return "compareTrue"
        case 7: return "authMethodNotSupported"
        case 8: return "strongerAuthRequired"
        case 10: return "referral"
        case 11: return "adminLimitExceeded"
        case 12: return "unavailableCriticalExtension"
        case 13: return "confidentialityRequired"
        case 14: return "saslBindInProgress"
        case 16: return "noSuchAttribute"
        case 17: return "undefinedAttributeType"
        case 18: return "inappropriateMatching"
        case 19: return "constraintViolation"
        case 20: return "attributeOrValueExists"
        case 21: return "invalidAttributeSyntax"
        case 32: return "noSuchObject"
        case 33: return "aliasProblem"
        case 34: return "invalidDNSyntax"
        case 36: return "aliasDereferencingProblem"
        case 48: return "inappropriateAuthentication"
        case 49: return "invalidCredentials"
        case 50: return "insufficientAccessRights"
        case 51: return "busy"
        case 52: return "unavailable"
        case 53: return "unwillingToPerform"
        case 54: return "loopDetect"
        case 64: return "namingViolation"
        case 65: return "objectClassViolation"
        case 66: return "notAllowedOnNonLeaf"
        case 67: return "notAllowedOnRDN"
        case 68: return "entryAlreadyExists"
        case 69: return "objectClassModsProhibited"
        case 71: return "affectsMultipleDSAs"
        case 80: return "other"
        case 118: return "canceled"
        case 119: return "noSuchOperation"
        case 120: return "tooLate"
        case 121: return "cannotCancel"
        case 122: return "assertionFailed"
        case 123: return "authorizationDenied"
        case 4096: return "eSyncRefreshRequired"
        case 16654: return "noOperation"
        default: return nil
        }
    }

    /// `invalidCredentials (49)`.
    public var description: String { "\(name ?? "resultCode") (\(rawValue))" }
}
