/// A preauth decision (Auth API v2 `/auth/v2/preauth`).
public enum DuoPreauthResult: Hashable, Sendable {
    /// The user may pass without a second factor (bypass, or integration policy).
    case allow(message: String)
    /// The user may not log in.
    case deny(message: String)
    /// The user has no device yet; `portalURL` is where to enroll.
    case enroll(message: String, portalURL: String?)
    /// A second factor is required; these are the user's devices.
    case auth(devices: [DuoDevice], message: String)
}

/// The factor of an `/auth/v2/auth` call.
public enum DuoFactor: Hashable, Sendable, CustomStringConvertible {
    case auto
    case push
    case phone
    case sms
    case passcode(String)

    /// The `factor` parameter.
    public var parameter: String {
        switch self {
        case .auto: "auto"
        case .push: "push"
        case .phone: "phone"
        case .sms: "sms"
        case .passcode: "passcode"
        }
    }

    /// For logs: the factor's name, never a passcode.
    public var description: String { parameter }
}

/// One `/auth/v2/auth` request.
public struct DuoAuthRequest: Hashable, Sendable {
    public var username: String
    public var factor: DuoFactor
    /// `auto` or a device ID from preauth (`phone2`-style aliases too).
    public var device: String
    public var ipAddress: String?
    /// Extra lines shown in the push (`pushinfo`, URL-encoded key=value pairs).
    public var pushInfo: String?
    public var displayUsername: String?

    public init(
        username: String, factor: DuoFactor, device: String = "auto", ipAddress: String? = nil,
        pushInfo: String? = nil, displayUsername: String? = nil
    ) {
        self.username = username
        self.factor = factor
        self.device = device
        self.ipAddress = ipAddress
        self.pushInfo = pushInfo
        self.displayUsername = displayUsername
    }

    /// The request parameters. Factors that wait for the user (push, phone, auto) get `async=1`
    /// and are polled with auth_status; a passcode or an SMS request is answered at once, so it
    /// costs one round trip, not two.
    public var parameters: [String: String] {
        var parameters = ["username": username, "factor": factor.parameter]
        switch factor {
        case .passcode(let code):
            parameters["passcode"] = code
        case .sms:
            parameters["device"] = device
        case .auto, .push, .phone:
            parameters["device"] = device
            parameters["async"] = "1"
        }
        if let ipAddress { parameters["ipaddr"] = ipAddress }
        if let pushInfo { parameters["pushinfo"] = pushInfo }
        if let displayUsername { parameters["display_username"] = displayUsername }
        return parameters
    }
}

/// The outcome of an authentication.
public enum DuoAuthResult: Hashable, Sendable {
    case allow(message: String)
    /// `status` says why: `deny`, `fraud`, `timeout`, `locked_out`, ...
    case deny(message: String, status: String)
}

/// The answer of `/auth/v2/check` with our clock compared to Duo's.
public struct DuoCheckResult: Hashable, Sendable {
    /// Duo's time, seconds since 1970.
    public var serverTime: Int64
    /// Duo's time minus ours, in seconds.
    public var drift: Int64
    /// RFC-less but Duo's own rule: signatures with a Date more than a few minutes off are refused;
    /// we report drift above 60 s.
    public static let maximumDrift: Int64 = 60
    public var driftIsExcessive: Bool { abs(drift) > Self.maximumDrift }
}
