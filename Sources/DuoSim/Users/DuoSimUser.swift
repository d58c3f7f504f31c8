import DuoAPI
import Foundation

/// How the simulated Duo service treats one user: the preauth result, the devices, what the user
/// does with a push or a call, and which passcodes are right.
///
/// The users file (`Examples/duo-sim/README.md` documents it) maps usernames to these; the
/// `default` entry applies to every other username.
public struct DuoSimUser: Sendable, Hashable {
    /// Preauth's `result`.
    public enum PreauthResult: String, Sendable, Hashable, CaseIterable {
        case auth, allow, deny, enroll
    }

    /// What the user does when a push arrives (or the phone rings).
    public enum PushOutcome: String, Sendable, Hashable, CaseIterable {
        /// Approves after the delay.
        case approve
        /// Denies after the delay.
        case deny
        /// Never answers: the transaction ends as `timeout` after the server's push timeout.
        case never
    }

    public var preauth: PreauthResult
    /// The `user_id` this user is also found by (`DU...`), if any.
    public var userID: String?
    public var devices: [DuoDevice]
    public var push: PushOutcome
    /// How long the user takes to answer a push or a call, in milliseconds.
    public var pushDelayMilliseconds: Int
    /// Passcodes that are accepted (reusable: the simulator does not burn them).
    public var passcodes: [String]
    /// A TOTP generator whose current code (±1 step) is accepted as a passcode.
    public var totp: TOTP?
    /// The enrollment portal URL of an `enroll` preauth answer.
    public var enrollPortalURL: String?

    public init(
        preauth: PreauthResult = .auth, userID: String? = nil, devices: [DuoDevice] = [DuoSimUser.defaultDevice],
        push: PushOutcome = .approve, pushDelayMilliseconds: Int = 0, passcodes: [String] = [],
        totp: TOTP? = nil, enrollPortalURL: String? = nil
    ) {
        self.preauth = preauth
        self.userID = userID
        self.devices = devices
        self.push = push
        self.pushDelayMilliseconds = pushDelayMilliseconds
        self.passcodes = passcodes
        self.totp = totp
        self.enrollPortalURL = enrollPortalURL
    }

    /// The device a user has when the file lists none: a phone that can do everything.
    public static let defaultDevice = DuoDevice(
        device: "DPFZRS9FB0D46QFTM899", type: "phone", name: "Simulated phone", number: "XXX-XXX-0100",
        capabilities: ["auto", "push", "sms", "phone", "mobile_otp"])

    /// What unknown users get unless configured otherwise: enrollment, as Duo's "new user policy"
    /// default ("require enrollment").
    public static let enrollDefault = DuoSimUser(
        preauth: .enroll, devices: [], enrollPortalURL: "https://127.0.0.1/portal/enroll?code=simulated")

    /// Device capabilities Duo reports (`DuoDevice.capabilities`).
    public static let capabilities: Set<String> = ["auto", "push", "sms", "phone", "mobile_otp"]
}

/// The users of a users file: named users and the entry for everybody else.
public struct DuoSimUsers: Sendable, Hashable {
    public var users: [String: DuoSimUser]
    public var defaultUser: DuoSimUser

    public init(users: [String: DuoSimUser] = [:], defaultUser: DuoSimUser = .enrollDefault) {
        self.users = users
        self.defaultUser = defaultUser
    }

    /// Reads a users file. Unknown keys, wrong types and invalid values are errors that name the
    /// file, the place in it and what would be valid.
    public static func load(path: String) throws(DuoSimError) -> DuoSimUsers {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .usersFile("\(path): cannot read the users file (\(error.localizedDescription))")
        }
        return try decode(data, file: path)
    }

    /// Decodes users-file JSON; `file` names the source in errors.
    public static func decode(_ data: Data, file: String) throws(DuoSimError) -> DuoSimUsers {
        do {
            let decoded = try JSONDecoder().decode(UsersFile.self, from: data)
            return DuoSimUsers(users: decoded.users ?? [:], defaultUser: decoded.default ?? .enrollDefault)
        } catch let error as DecodingError {
            throw .usersFile("\(file): \(describe(error))")
        } catch let error as DuoSimError {
            throw .usersFile("\(file): \(error.diagnostic)")
        } catch {
            throw .usersFile("\(file): \(error)")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func place(_ path: [any CodingKey]) -> String {
            var text = ""
            for key in path {
                if let index = key.intValue { text += "[\(index)]" } else { text += text.isEmpty ? key.stringValue : ".\(key.stringValue)" }
            }
            return text.isEmpty ? "top level" : text
        }
        switch error {
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty, context.debugDescription.contains("JSON") || context.underlyingError != nil {
                return "not valid JSON (\(context.underlyingError.map { "\($0)" } ?? context.debugDescription))"
            }
            return "\(place(context.codingPath)): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "\(place(context.codingPath + [key])): required key is missing"
        case .typeMismatch(let type, let context):
            return "\(place(context.codingPath)): expected \(typeName(type))"
        case .valueNotFound(let type, let context):
            return "\(place(context.codingPath)): expected \(typeName(type)), found null"
        @unknown default:
            return "\(error)"
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type: "an integer"
        case is [String].Type, is [Any].Type: "an array"
        default: "\(type)".contains("Dictionary") ? "an object" : "\(type)"
        }
    }
}

// MARK: Strict decoding of the file

/// Any key, to list the keys an object really has.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) {
        self.stringValue = "\(intValue)"
        self.intValue = intValue
    }
}

/// Throws when the object being decoded has a key outside `Keys`: a misspelt key must not be
/// silently ignored (a `pussh: deny` would otherwise approve every push).
func rejectUnknownKeys<Keys: CodingKey & CaseIterable>(in decoder: any Decoder, allowed: Keys.Type) throws {
    let container = try decoder.container(keyedBy: AnyCodingKey.self)
    let known = Keys.allCases.map(\.stringValue)
    for key in container.allKeys where !known.contains(key.stringValue) {
        throw DecodingError.dataCorrupted(.init(
            codingPath: decoder.codingPath + [key],
            debugDescription: "unknown key \"\(key.stringValue)\" (valid keys: \(known.joined(separator: ", ")))"))
    }
}

func invalid(_ container: KeyedDecodingContainer<some CodingKey>, _ key: some CodingKey, _ text: String) -> DecodingError {
    DecodingError.dataCorrupted(.init(codingPath: container.codingPath + [key], debugDescription: text))
}

struct UsersFile: Decodable {
    var users: [String: DuoSimUser]?
    var `default`: DuoSimUser?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case users, `default`
    }

    init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(in: decoder, allowed: CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        users = try container.decodeIfPresent([String: DuoSimUser].self, forKey: .users)
        self.default = try container.decodeIfPresent(DuoSimUser.self, forKey: .default)
    }
}

extension DuoSimUser: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case preauth
        case userID = "user_id"
        case devices, push
        case pushDelayMilliseconds = "push_delay_ms"
        case passcodes
        case totpSecret = "totp_secret"
        case enrollPortalURL = "enroll_portal_url"
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(in: decoder, allowed: CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        if let text = try container.decodeIfPresent(String.self, forKey: .preauth) {
            guard let value = PreauthResult(rawValue: text) else {
                throw invalid(container, CodingKeys.preauth, "\"\(text)\" is not a preauth result (valid: auth, allow, deny, enroll)")
            }
            preauth = value
        }
        userID = try container.decodeIfPresent(String.self, forKey: .userID)
        if let list = try container.decodeIfPresent([DeviceEntry].self, forKey: .devices) {
            devices = list.map(\.device)
        } else if preauth != .auth {
            devices = []
        }
        if let text = try container.decodeIfPresent(String.self, forKey: .push) {
            guard let value = PushOutcome(rawValue: text) else {
                throw invalid(container, CodingKeys.push, "\"\(text)\" is not a push outcome (valid: approve, deny, never)")
            }
            push = value
        }
        if let delay = try container.decodeIfPresent(Int.self, forKey: .pushDelayMilliseconds) {
            guard (0...3_600_000).contains(delay) else {
                throw invalid(container, CodingKeys.pushDelayMilliseconds, "\(delay) is out of range (valid: 0 to 3600000 ms)")
            }
            pushDelayMilliseconds = delay
        }
        passcodes = try container.decodeIfPresent([String].self, forKey: .passcodes) ?? []
        if let secret = try container.decodeIfPresent(String.self, forKey: .totpSecret) {
            guard let generator = TOTP(base32: secret) else {
                throw invalid(container, CodingKeys.totpSecret, "not a base32 secret (valid: letters A-Z and digits 2-7, e.g. JBSWY3DPEHPK3PXP)")
            }
            totp = generator
        }
        enrollPortalURL = try container.decodeIfPresent(String.self, forKey: .enrollPortalURL)
        if preauth == .enroll, enrollPortalURL == nil {
            enrollPortalURL = DuoSimUser.enrollDefault.enrollPortalURL
        }
        if preauth == .auth, devices.isEmpty {
            throw invalid(container, CodingKeys.devices, "a user whose preauth is \"auth\" needs at least one device (or omit \"devices\" for the default phone)")
        }
    }
}

/// One device in the users file, decoded strictly into the wire type `DuoDevice`.
struct DeviceEntry: Decodable {
    var device: DuoDevice

    enum CodingKeys: String, CodingKey, CaseIterable {
        case device, type, name, number, capabilities
        case smsNextcode = "sms_nextcode"
    }

    init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(in: decoder, allowed: CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let capabilities = try container.decodeIfPresent([String].self, forKey: .capabilities)
            ?? ["auto", "push", "sms", "phone", "mobile_otp"]
        for capability in capabilities where !DuoSimUser.capabilities.contains(capability) {
            throw invalid(container, CodingKeys.capabilities,
                          "\"\(capability)\" is not a capability (valid: auto, push, sms, phone, mobile_otp)")
        }
        device = DuoDevice(
            device: try container.decode(String.self, forKey: .device),
            type: try container.decodeIfPresent(String.self, forKey: .type) ?? "phone",
            name: try container.decodeIfPresent(String.self, forKey: .name),
            number: try container.decodeIfPresent(String.self, forKey: .number),
            capabilities: capabilities,
            smsNextcode: try container.decodeIfPresent(String.self, forKey: .smsNextcode))
    }
}
