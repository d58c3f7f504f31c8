/// A second factor as a user types it: in a concatenated password (`secret,push2`), as the whole
/// password of a duo-only section, or as the answer to a challenge.
public enum FactorAnswer: Sendable, Hashable, CustomStringConvertible {
    /// `push`, or `push2` for the user's second device that can receive pushes.
    case push(device: Int?)
    /// `phone`, `phone2`: a call.
    case phone(device: Int?)
    /// `sms`, `sms2`: send a batch of passcodes by text message.
    case sms(device: Int?)
    /// A passcode from Duo Mobile, a hardware token, an SMS batch or a bypass code.
    case passcode(String)

    /// Duo passcodes, token codes and bypass codes are digits (6 to 9 of them); YubiKey OTPs,
    /// which Duo also accepts as passcodes, are 44 modhex letters. Anything longer is no passcode.
    public static let maximumPasscodeLength = 64
    /// A YubiKey OTP is a 12-character public ID and a 32-character token in modhex.
    static let minimumOTPLength = 32
    /// `push99` is the highest device number understood.
    static let maximumDeviceNumber = 99

    /// Reads a typed factor, or nil when the text is no factor: empty, a word other than the
    /// factor names, or a "passcode" with characters no passcode has.
    public static func parse(_ text: String) -> FactorAnswer? {
        let lowered = text.lowercased()
        for (word, make) in [("push", FactorAnswer.push), ("phone", FactorAnswer.phone), ("sms", FactorAnswer.sms)]
        where lowered.hasPrefix(word) {
            let rest = lowered.dropFirst(word.count)
            if rest.isEmpty { return make(nil) }
            if rest.count <= 2, rest.allSatisfy(\.isASCIIDigit), let number = Int(rest), number >= 1 {
                return make(number)
            }
        }
        guard !text.isEmpty, text.utf8.count <= maximumPasscodeLength else { return nil }
        let digits = text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        let otp = text.utf8.count >= minimumOTPLength && text.utf8.allSatisfy { modhex.contains($0) }
        return digits || otp ? .passcode(text) : nil
    }

    /// YubiKey's modhex alphabet.
    private static let modhex = Set("cbdefghijklnrtuv".utf8)

    /// Which capability a device needs for this factor (`nil` for passcodes, which need none).
    var capability: String? {
        switch self {
        case .push: "push"
        case .phone: "phone"
        case .sms: "sms"
        case .passcode: nil
        }
    }

    /// For logs and auth events: the factor's name, never a passcode.
    public var description: String {
        switch self {
        case .push: "push"
        case .phone: "phone"
        case .sms: "sms"
        case .passcode: "passcode"
        }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

