/// One line of the auth-event log (`[main] log_auth_events`): what was decided at one stage of a
/// login. The fields and their names are those of the reference proxy's `authevents.log`, so SIEM
/// parsers written for it keep working.
public struct AuthEvent: Sendable, Hashable {
    public enum Stage: String, Sendable, Hashable {
        case primary = "Primary authentication"
        case secondary = "Secondary authentication"
    }

    public enum Status: String, Sendable, Hashable {
        case allow = "Allow"
        case reject = "Reject"
    }

    /// Seconds since 1970 (wall clock).
    public var timestamp: Double
    public var message: String
    public var username: String
    public var stage: Stage
    public var status: Status
    public var clientIP: String?
    public var serverSection: String
    public var serverSectionIntegrationKey: String
    /// Duo's name of the factor (`duo_push`, `phone_call`, `passcode`, ...), when one was used.
    public var factor: String?
    /// The host twofold runs on.
    public var hostname: String
    /// The user's DN, for LDAP sections.
    public var distinguishedName: String?

    public init(
        timestamp: Double, message: String, username: String, stage: Stage, status: Status, clientIP: String?,
        serverSection: String, serverSectionIntegrationKey: String, factor: String?, hostname: String,
        distinguishedName: String? = nil
    ) {
        self.timestamp = timestamp
        self.message = message
        self.username = username
        self.stage = stage
        self.status = status
        self.clientIP = clientIP
        self.serverSection = serverSection
        self.serverSectionIntegrationKey = serverSectionIntegrationKey
        self.factor = factor
        self.hostname = hostname
        self.distinguishedName = distinguishedName
    }

    /// The event as one line of JSON (no newline), keys in the reference's order. Written by hand:
    /// it runs once or twice per login, and Foundation's encoder costs more than the decision.
    public func jsonLine() -> String {
        var line = "{"
        line.reserveCapacity(320)
        line.appendJSONMember("timestamp", Self.iso8601(timestamp), first: true)
        line.appendJSONMember("msg", message)
        line.appendJSONMember("username", username)
        line.appendJSONMember("auth_stage", stage.rawValue)
        line.appendJSONMember("status", status.rawValue)
        line.appendJSONMember("client_ip", clientIP)
        line.appendJSONMember("server_section", serverSection)
        line.appendJSONMember("server_section_ikey", serverSectionIntegrationKey)
        line.appendJSONMember("factor", factor)
        line.appendJSONMember("hostname", hostname)
        if let distinguishedName { line.appendJSONMember("dn", distinguishedName) }
        line.append("}")
        return line
    }

    /// `2026-11-29T15:40:36.123456Z`: UTC with microseconds, as the reference writes it.
    static func iso8601(_ seconds: Double) -> String {
        let micros = Int64((seconds * 1_000_000).rounded(.down))
        let (days, microsOfDay) = micros.floorDivided(by: 86_400_000_000)
        let (year, month, day) = civilDate(daysSince1970: days)
        let secondOfDay = microsOfDay / 1_000_000
        return "\(year.padded(4))-\(month.padded(2))-\(day.padded(2))T\((secondOfDay / 3600).padded(2)):"
            + "\((secondOfDay / 60 % 60).padded(2)):\((secondOfDay % 60).padded(2)).\((microsOfDay % 1_000_000).padded(6))Z"
    }

    /// Howard Hinnant's days-to-civil algorithm (proleptic Gregorian calendar).
    private static func civilDate(daysSince1970: Int64) -> (Int64, Int64, Int64) {
        let z = daysSince1970 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// Where auth events go: the Proxy writes them to `authevents.log`; tests collect them.
public protocol AuthEventSink: Sendable {
    func record(_ event: AuthEvent)
}

/// Drops every event (`log_auth_events=false`).
public struct DiscardingAuthEventSink: AuthEventSink {
    public init() {}
    public func record(_ event: AuthEvent) {}
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> (Int64, Int64) {
        let quotient = self >= 0 ? self / divisor : (self - divisor + 1) / divisor
        return (quotient, self - quotient * divisor)
    }

    fileprivate func padded(_ width: Int) -> String {
        let digits = String(self)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}

extension String {
    fileprivate mutating func appendJSONMember(_ key: String, _ value: String?, first: Bool = false) {
        if !first { append(", ") }
        append("\"")
        append(key)
        append("\": ")
        guard let value else {
            append("null")
            return
        }
        appendJSONString(value)
    }

    /// RFC 8259 §7: quote, backslash and control characters escaped; everything else as UTF-8.
    mutating func appendJSONString(_ value: String) {
        append("\"")
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": append("\\\"")
            case "\\": append("\\\\")
            case "\n": append("\\n")
            case "\r": append("\\r")
            case "\t": append("\\t")
            case _ where scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            default: unicodeScalars.append(scalar)
            }
        }
        append("\"")
    }
}
