import RADIUSWire

/// What Policy decided about a login. The front turns it into an Access-Accept / Reject /
/// Challenge or an LDAP BindResponse.
public enum Decision: Sendable {
    case accept(Accept)
    case reject(Reject)
    case challenge(Challenge)

    public struct Accept: Sendable, Hashable {
        /// For the user (Reply-Message, LDAP diagnosticMessage).
        public var message: String
        /// Attributes from the primary's reply to pass to the device.
        public var attributes: [RADIUSAttribute]
        /// True when Duo was not asked or failed and the login passed anyway: exempt users,
        /// preauth `allow`, failmode safe. Fronts and logs may show it; it never changes the answer.
        public var withoutSecondFactor: Bool
    }

    public struct Reject: Sendable, Hashable {
        public var message: String
        /// Attributes of an upstream Access-Reject that the device may see (RFC 5080 §2.6.3
        /// filtering is the front's job).
        public var attributes: [RADIUSAttribute]
    }

    public struct Challenge: Sendable, Hashable {
        /// The question for the user (Reply-Message of an Access-Challenge, LDAP message).
        public var prompt: String
        /// What the engine needs to go on when the answer arrives. The front seals it (encrypted,
        /// authenticated, expiring, single use, bound to client, user and section) into State.
        public var continuation: LoginContinuation
        /// Attributes of an upstream Access-Challenge to pass to the device.
        public var attributes: [RADIUSAttribute]
    }

    public var isAccept: Bool {
        if case .accept = self { return true }
        return false
    }

    /// The text for the user, whichever the decision.
    public var message: String {
        switch self {
        case .accept(let accept): accept.message
        case .reject(let reject): reject.message
        case .challenge(let challenge): challenge.prompt
        }
    }
}

/// The state of a login waiting for its challenge answer: plain data, `Codable` so that a front
/// can seal it into an opaque token and any process with the key can continue the login.
public struct LoginContinuation: Sendable, Hashable, Codable {
    public enum Stage: Sendable, Hashable, Codable {
        /// The upstream RADIUS server challenged; its State goes back with the answer.
        case upstreamChallenge(state: [UInt8])
        /// The primary factor passed; the answer is a menu number, a factor name or a passcode.
        case secondFactor(menu: [MenuEntry])
        /// The user must enroll first (`enroll_challenge`): every answer is rejected.
        case enrollment
        /// The Duo Web frame was sent (`radius_server_iframe`); the answer is its signed response.
        /// `applicationCookie` is the request's APP cookie, so that an answer that carries only
        /// Duo's AUTH cookie (a whole response is longer than User-Password's 128 octets for most
        /// names) can be verified as the whole response.
        case webPrompt(applicationCookie: String)
    }

    /// One choice of a challenge menu: a factor and, when known, the Duo device it goes to.
    public struct MenuEntry: Sendable, Hashable, Codable {
        public var factor: String
        public var device: String
        public var label: String

        public init(factor: String, device: String, label: String) {
            self.factor = factor
            self.device = device
            self.label = label
        }
    }

    /// The identity's raw name: the answer must come for the same user.
    public var username: String
    public var stage: Stage
    /// The user's directory DN, kept for exemptions and events.
    public var distinguishedName: String?
    /// The primary's pass-through attributes (type and value), returned with the final accept.
    public var passThrough: [StoredAttribute]
    /// Answers still accepted before the login is rejected.
    public var attemptsLeft: Int

    public init(username: String, stage: Stage, distinguishedName: String?, passThrough: [StoredAttribute], attemptsLeft: Int) {
        self.username = username
        self.stage = stage
        self.distinguishedName = distinguishedName
        self.passThrough = passThrough
        self.attemptsLeft = attemptsLeft
    }

    public struct StoredAttribute: Sendable, Hashable, Codable {
        public var type: UInt8
        public var value: [UInt8]

        public init(type: UInt8, value: [UInt8]) {
            self.type = type
            self.value = value
        }
    }

    var passThroughAttributes: [RADIUSAttribute] {
        passThrough.map { RADIUSAttribute(RADIUSAttributeType($0.type), $0.value) }
    }

    static func store(_ attributes: [RADIUSAttribute]) -> [StoredAttribute] {
        attributes.map { StoredAttribute(type: $0.type.rawValue, value: $0.value) }
    }
}
