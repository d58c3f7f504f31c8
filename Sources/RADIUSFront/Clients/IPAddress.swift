#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address as a number, for matching client networks.
///
/// IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`, what a dual-stack socket reports for an IPv4
/// peer) are read as the IPv4 address, so one `radius_ip` line covers both ways of arriving.
public struct IPAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    public enum Family: Hashable, Sendable { case v4, v6 }

    public let family: Family
    /// The address as an unsigned number (IPv4 in the low 32 bits).
    public let value: UInt128

    public init(v4 value: UInt32) {
        family = .v4
        self.value = UInt128(value)
    }

    public init(v6 value: UInt128) {
        if value >> 32 == 0xFFFF {
            family = .v4
            self.value = value & 0xFFFF_FFFF
        } else {
            family = .v6
            self.value = value
        }
    }

    /// Parses dotted IPv4 or RFC 4291 IPv6 text (with `inet_pton`, which refuses leading zeros
    /// in IPv4 octets and other ambiguous spellings). Zone indexes (`fe80::1%eth0`) are refused.
    public init?(_ text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self.init(v4: UInt32(bigEndian: v4.s_addr))
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        self.init(v6: bytes.reduce(UInt128(0)) { $0 << 8 | UInt128($1) })
    }

    /// The largest value of this family.
    var familyMaximum: UInt128 { family == .v4 ? UInt128(UInt32.max) : UInt128.max }
    var bitWidth: Int { family == .v4 ? 32 : 128 }

    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        lhs.family == rhs.family ? lhs.value < rhs.value : lhs.family == .v4
    }

    public var description: String {
        switch family {
        case .v4:
            return (0..<4).map { String((value >> (24 - 8 * $0)) & 0xFF) }.joined(separator: ".")
        case .v6:
            var address = in6_addr()
            withUnsafeMutableBytes(of: &address) { bytes in
                for index in 0..<16 { bytes[index] = UInt8(truncatingIfNeeded: value >> (120 - 8 * index)) }
            }
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            guard inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count)) != nil else { return "?" }
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }
}
