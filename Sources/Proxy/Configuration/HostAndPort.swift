/// `HOST:PORT` as administrators write a listening address: `127.0.0.1:9100`, `[::1]:9100`.
struct HostAndPort: Sendable, Hashable, CustomStringConvertible {
    var host: String
    var port: Int

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Nil when the text is no `HOST:PORT` with a port from 0 to 65535 (an IPv6 host needs its
    /// brackets: `::1:9100` is ambiguous).
    init?(_ value: String) {
        let host: Substring
        let port: Substring
        if value.hasPrefix("["), let close = value.firstIndex(of: "]"), value[value.index(after: close)...].hasPrefix(":") {
            host = value[value.index(after: value.startIndex)..<close]
            port = value[value.index(close, offsetBy: 2)...]
        } else if let colon = value.lastIndex(of: ":"), value.firstIndex(of: ":") == colon {
            host = value[..<colon]
            port = value[value.index(after: colon)...]
        } else {
            return nil
        }
        guard !host.isEmpty, port.allSatisfy(\.isASCII), let number = Int(port), (0...65_535).contains(number) else { return nil }
        self.host = String(host)
        self.port = number
    }

    var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
