import DuoAPI

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

    /// The event as one line of JSON (no newline), keys in the reference's order. Written by hand
    /// into a byte buffer: it runs once or twice per login, and Foundation's encoder (or appending
    /// to a String scalar by scalar) costs more than the whole decision.
    public func jsonLine() -> String {
        var line = JSONLineWriter()
        line.member("timestamp", first: true) { $0.timestamp(timestamp) }
        line.member("msg", message)
        line.member("username", username)
        line.member("auth_stage", stage.rawValue)
        line.member("status", status.rawValue)
        line.member("client_ip", clientIP)
        line.member("server_section", serverSection)
        line.member("server_section_ikey", serverSectionIntegrationKey)
        line.member("factor", factor)
        line.member("hostname", hostname)
        if let distinguishedName { line.member("dn", distinguishedName) }
        return line.finish()
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

/// A JSON object on one line, written as UTF-8 bytes.
struct JSONLineWriter {
    private var bytes: [UInt8] = []

    init() {
        bytes.reserveCapacity(512)
        bytes.append(UInt8(ascii: "{"))
    }

    mutating func member(_ key: StaticString, _ value: String?, first: Bool = false) {
        member(key, first: first) { writer in
            if let value { writer.string(value) } else { writer.bytes.append(contentsOf: "null".utf8) }
        }
    }

    mutating func member(_ key: StaticString, first: Bool = false, value: (inout JSONLineWriter) -> Void) {
        if !first { bytes.append(contentsOf: ", ".utf8) }
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: "\": ".utf8)
        value(&self)
    }

    /// RFC 8259 §7: quote, backslash and control characters escaped, and U+2028 / U+2029 too
    /// (JavaScript line terminators); everything else copied as UTF-8, in runs between escapes.
    mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var runStart = 0
            var index = 0
            let count = utf8.count
            while index < count {
                let byte = utf8[index]
                // Most bytes are plain: one comparison chain, no table, no allocation.
                guard byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x7F || byte == 0xE2 else {
                    index += 1
                    continue
                }
                var width = 1
                let escaped: UInt32?
                switch byte {
                case 0x22, 0x5C: escaped = nil
                case 0xE2:
                    guard index + 2 < count, utf8[index + 1] == 0x80, utf8[index + 2] == 0xA8 || utf8[index + 2] == 0xA9 else {
                        index += 1
                        continue
                    }
                    escaped = utf8[index + 2] == 0xA8 ? 0x2028 : 0x2029
                    width = 3
                default: escaped = UInt32(byte)
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                switch escaped {
                case nil: bytes.append(contentsOf: [0x5C, byte])
                case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
                case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
                case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
                case let scalar?: appendUnicodeEscape(scalar)
                }
                index += width
                runStart = index
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<count]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendUnicodeEscape(_ value: UInt32) {
        let hex: StaticString = "0123456789abcdef"
        bytes.append(contentsOf: [0x5C, UInt8(ascii: "u")])
        hex.withUTF8Buffer { digits in
            for shift: UInt32 in [12, 8, 4, 0] { bytes.append(digits[Int((value >> shift) & 0xF)]) }
        }
    }

    /// `"2026-11-29T15:40:36.123456Z"`: UTC with microseconds, as the reference writes it.
    mutating func timestamp(_ seconds: Double) {
        let micros = Int64((seconds * 1_000_000).rounded(.down))
        let days = DuoDate.floorDivide(micros, 86_400_000_000)
        let microsOfDay = micros - days * 86_400_000_000
        let (year, month, day) = DuoDate.civil(fromDays: days)
        let secondOfDay = microsOfDay / 1_000_000
        bytes.append(UInt8(ascii: "\""))
        digits(year, 4)
        bytes.append(UInt8(ascii: "-"))
        digits(month, 2)
        bytes.append(UInt8(ascii: "-"))
        digits(day, 2)
        bytes.append(UInt8(ascii: "T"))
        digits(secondOfDay / 3600, 2)
        bytes.append(UInt8(ascii: ":"))
        digits(secondOfDay / 60 % 60, 2)
        bytes.append(UInt8(ascii: ":"))
        digits(secondOfDay % 60, 2)
        bytes.append(UInt8(ascii: "."))
        digits(microsOfDay % 1_000_000, 6)
        bytes.append(contentsOf: "Z\"".utf8)
    }

    /// A non-negative number in exactly `width` digits (years beyond 9999 are not logged).
    private mutating func digits(_ value: Int64, _ width: Int) {
        var divisor: Int64 = 1
        for _ in 1..<width { divisor *= 10 }
        var rest = value
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: (rest / divisor) % 10))
            rest %= divisor
            divisor /= 10
        }
    }

    consuming func finish() -> String {
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }
}
