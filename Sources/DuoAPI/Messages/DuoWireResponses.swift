/// The JSON shapes of Duo Auth API v2 answers, as the service sends them. Shared by the client
/// (decoding) and the simulator (encoding), so the two cannot drift apart.
///
/// Every answer is an envelope: `{"stat":"OK","response":{...}}`, or on failure
/// `{"stat":"FAIL","code":40103,"message":"Invalid signature in request credentials"}` with an HTTP
/// 4xx/5xx status.
public struct DuoEnvelope<Response: Codable & Sendable>: Codable, Sendable {
    public var stat: String
    public var response: Response?
    public var code: Int?
    public var message: String?
    public var messageDetail: String?

    public init(stat: String, response: Response? = nil, code: Int? = nil, message: String? = nil, messageDetail: String? = nil) {
        self.stat = stat
        self.response = response
        self.code = code
        self.message = message
        self.messageDetail = messageDetail
    }

    public static func ok(_ response: Response) -> Self { Self(stat: "OK", response: response) }

    public static func fail(code: Int, message: String, detail: String? = nil) -> Self {
        Self(stat: "FAIL", code: code, message: message, messageDetail: detail)
    }

    enum CodingKeys: String, CodingKey {
        case stat, response, code, message
        case messageDetail = "message_detail"
    }
}

/// `/auth/v2/ping` and `/auth/v2/check`: `{"time": 1357020061}`.
public struct DuoTimeResponse: Codable, Sendable, Hashable {
    public var time: Int64
    public init(time: Int64) { self.time = time }
}

/// One of a user's devices in a preauth answer.
public struct DuoDevice: Codable, Sendable, Hashable {
    /// The device ID (`DPFZRS9FB0D46QFTM899`), or `phone1`-style aliases.
    public var device: String
    /// `phone`, `token`, `desktopbrowser`, ...
    public var type: String?
    public var name: String?
    public var number: String?
    /// `auto`, `push`, `sms`, `phone`, `mobile_otp`.
    public var capabilities: [String]
    public var smsNextcode: String?

    public init(device: String, type: String? = nil, name: String? = nil, number: String? = nil,
                capabilities: [String], smsNextcode: String? = nil) {
        self.device = device
        self.type = type
        self.name = name
        self.number = number
        self.capabilities = capabilities
        self.smsNextcode = smsNextcode
    }

    enum CodingKeys: String, CodingKey {
        case device, type, name, number, capabilities
        case smsNextcode = "sms_nextcode"
    }
}

/// `/auth/v2/preauth`: `result` is `auth`, `allow`, `deny` or `enroll`.
public struct DuoPreauthResponse: Codable, Sendable, Hashable {
    public var result: String
    public var statusMsg: String?
    public var devices: [DuoDevice]?
    public var enrollPortalURL: String?

    public init(result: String, statusMsg: String? = nil, devices: [DuoDevice]? = nil, enrollPortalURL: String? = nil) {
        self.result = result
        self.statusMsg = statusMsg
        self.devices = devices
        self.enrollPortalURL = enrollPortalURL
    }

    enum CodingKeys: String, CodingKey {
        case result, devices
        case statusMsg = "status_msg"
        case enrollPortalURL = "enroll_portal_url"
    }
}

/// `/auth/v2/auth` and `/auth/v2/auth_status`: with `async=1` the first answer is only a `txid`;
/// otherwise `result` is `allow`, `deny` or (auth_status only) `waiting`, and `status` says more
/// (`allow`, `deny`, `fraud`, `pushed`, `sent`, `calling`, `answered`, `timeout`, ...).
public struct DuoAuthResponse: Codable, Sendable, Hashable {
    public var result: String?
    public var status: String?
    public var statusMsg: String?
    public var txid: String?

    public init(result: String? = nil, status: String? = nil, statusMsg: String? = nil, txid: String? = nil) {
        self.result = result
        self.status = status
        self.statusMsg = statusMsg
        self.txid = txid
    }

    enum CodingKeys: String, CodingKey {
        case result, status, txid
        case statusMsg = "status_msg"
    }
}
