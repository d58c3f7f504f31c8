/// Who is logging in: the name as the device sent it, parsed once, and every name derived from it.
///
/// SECURITY.md: "A login's realm, directory lookup, Duo username and log name all come from one
/// parsed identity." Routing, the directory search, the Duo call, exemptions, limits and auth
/// events read this value; none of them parses the raw name again.
public struct LoginIdentity: Sendable, Hashable, CustomStringConvertible {
    /// The realm part of a name, when it has one.
    public enum Realm: Sendable, Hashable {
        /// `alice@contractors.example.com`: the text after the last `@`.
        case suffix(String)
        /// `CORP\alice`: the text before the first backslash.
        case prefix(String)
    }

    /// The name exactly as the device sent it (validated: UTF-8, no control characters).
    public let raw: String
    /// The realm written in the name, if any. Parsing never removes it from the other names;
    /// only ``strippingRealm()`` does, when a section says so.
    public let realm: Realm?
    /// The name without its realm (`alice` for `alice@x` and `CORP\alice`).
    public let user: String
    /// The name the primary directory is asked for.
    public private(set) var directoryUsername: String
    /// The name Duo is asked about.
    public private(set) var duoUsername: String

    /// The comparison form for exemptions and limits: Unicode lower case of the raw name. Swift
    /// compares and hashes strings by canonical equivalence, so NFC and NFD spellings match too;
    /// compatibility forms (fullwidth letters) do not, which errs on the side of asking Duo.
    public let normalized: String

    /// RFC 2865 §5.1 allows a User-Name of up to 253 octets; LDAP names fit the same bound.
    public static let maximumLength = 253

    /// Parses a name from a device.
    ///
    /// Refused (SECURITY.md, "User-Name with NUL, CR/LF, invalid UTF-8: reject before any lookup or
    /// log"): empty names, names over ``maximumLength`` octets, and names with a C0 control
    /// character or DEL anywhere.
    public static func parse(_ raw: String) throws(LoginIdentityError) -> LoginIdentity {
        let octets = raw.utf8.count
        guard octets > 0 else { throw .empty }
        guard octets <= maximumLength else { throw .tooLong(octets: octets) }
        for scalar in raw.unicodeScalars where scalar.value < 0x20 || scalar.value == 0x7F {
            throw .controlCharacter(scalar.value)
        }
        return LoginIdentity(raw: raw)
    }

    /// Parses a name given as octets (RADIUS User-Name, an LDAP DN's value).
    public static func parse(octets: some Collection<UInt8>) throws(LoginIdentityError) -> LoginIdentity {
        guard let text = String(validating: octets, as: UTF8.self) else { throw .invalidUTF8 }
        return try parse(text)
    }

    private init(raw: String) {
        self.raw = raw
        self.normalized = raw.lowercased()
        if let backslash = raw.firstIndex(of: "\\") {
            let domain = String(raw[..<backslash])
            self.realm = domain.isEmpty ? nil : .prefix(domain)
            self.user = String(raw[raw.index(after: backslash)...])
        } else if let at = raw.lastIndex(of: "@") {
            let domain = String(raw[raw.index(after: at)...])
            self.realm = domain.isEmpty ? nil : .suffix(domain)
            self.user = String(raw[..<at])
        } else {
            self.realm = nil
            self.user = raw
        }
        self.directoryUsername = raw
        self.duoUsername = raw
    }

    /// The same identity with the realm removed from the directory and Duo names (`strip_realm`).
    /// The raw name, used by logs and limits, stays as sent.
    public func strippingRealm() -> LoginIdentity {
        var copy = self
        copy.directoryUsername = user
        copy.duoUsername = user
        return copy
    }

    /// The same identity with the directory and Duo names set to what is left of the raw name
    /// once a section removed the realm it matched (`strip_realm` with `match_username_prefix` /
    /// `match_username_suffix`). The raw name, used by logs and limits, stays as sent.
    public func strippingRealm(leaving user: String) -> LoginIdentity {
        var copy = self
        copy.directoryUsername = user
        copy.duoUsername = user
        return copy
    }

    public var description: String { raw }
}

/// Why a name from a device was refused before anything looked it up.
public enum LoginIdentityError: Error, Hashable, Sendable, CustomStringConvertible {
    case empty
    case tooLong(octets: Int)
    case invalidUTF8
    case controlCharacter(UInt32)

    public var description: String {
        switch self {
        case .empty: "the username is empty"
        case .tooLong(let octets): "the username is \(octets) octets long; at most \(LoginIdentity.maximumLength) are allowed"
        case .invalidUTF8: "the username is not valid UTF-8"
        case .controlCharacter(let value):
            "the username contains the control character U+\(String(value, radix: 16, uppercase: true).leftPadded(to: 4))"
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
