import Foundation
/// The addresses a `radius_ip_N` line admits: one address, a CIDR network, an address with a
/// netmask, or a range, as the reference proxy reads them.
///
/// `192.0.2.10`, `192.0.2.0/24`, `192.0.2.0/255.255.255.0`, `192.0.2.10-192.0.2.20`,
/// `2001:db8::/32`, `2001:db8::1-2001:db8::ff`.
public struct ClientNetwork: Hashable, Sendable, CustomStringConvertible {
    public let first: IPAddress
    public let last: IPAddress

    public init(first: IPAddress, last: IPAddress) {
        precondition(first.family == last.family && first.value <= last.value, "a network runs from its first address to its last")
        self.first = first
        self.last = last
    }

    public func contains(_ address: IPAddress) -> Bool {
        address.family == first.family && first.value <= address.value && address.value <= last.value
    }

    /// How many addresses it spans, minus one: the smaller, the more specific.
    public var span: UInt128 { last.value - first.value }

    public var description: String { first == last ? "\(first)" : "\(first)-\(last)" }

    /// Why a `radius_ip` value was refused.
    public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        public var description: String

        public init(description: String) {
            self.description = description
        }
    }

    public static func parse(_ text: String) throws(ParseError) -> ClientNetwork {
        let text = text.trimmingCharacters(in: .whitespaces)
        if let dash = text.firstIndex(of: "-") {
            guard let low = IPAddress(String(text[..<dash]).trimmingCharacters(in: .whitespaces)),
                let high = IPAddress(String(text[text.index(after: dash)...]).trimmingCharacters(in: .whitespaces))
            else { throw ParseError(description: "'\(text)' is not a range of two addresses (192.0.2.10-192.0.2.20)") }
            guard low.family == high.family, low.value <= high.value else {
                throw ParseError(description: "'\(text)': a range runs from the lower address to the higher one, in one family")
            }
            return ClientNetwork(first: low, last: high)
        }
        if let slash = text.firstIndex(of: "/") {
            guard let base = IPAddress(String(text[..<slash])) else {
                throw ParseError(description: "'\(text)': '\(text[..<slash])' is not an IP address")
            }
            let suffix = String(text[text.index(after: slash)...])
            let prefixLength: Int
            if let length = Int(suffix), String(length) == suffix, (0...base.bitWidth).contains(length) {
                prefixLength = length
            } else if base.family == .v4, let mask = IPAddress(suffix), mask.family == .v4, let length = Self.prefixLength(ofMask: UInt32(mask.value)) {
                prefixLength = length
            } else {
                throw ParseError(description: "'\(text)': '\(suffix)' is no prefix length (0-\(base.bitWidth))\(base.family == .v4 ? " or contiguous netmask" : "")")
            }
            let hostBits = base.bitWidth - prefixLength
            let hostMask: UInt128 = hostBits == 0 ? 0 : (hostBits == 128 ? .max : (UInt128(1) << hostBits) - 1)
            guard base.value & hostMask == 0 else {
                throw ParseError(description: "'\(text)' has host bits set; did you mean \(Self.network(base, hostMask: hostMask))/\(suffix)?")
            }
            return ClientNetwork(first: Self.address(base.family, base.value), last: Self.address(base.family, base.value | hostMask))
        }
        guard let address = IPAddress(text) else {
            throw ParseError(description: "'\(text)' is not an address, network (192.0.2.0/24) or range (192.0.2.10-192.0.2.20)")
        }
        return ClientNetwork(first: address, last: address)
    }

    private static func address(_ family: IPAddress.Family, _ value: UInt128) -> IPAddress {
        family == .v4 ? IPAddress(v4: UInt32(value)) : IPAddress(v6: value)
    }

    private static func network(_ base: IPAddress, hostMask: UInt128) -> IPAddress {
        address(base.family, base.value & ~hostMask)
    }

    /// 255.255.255.0 -> 24; nil for a mask whose ones are not contiguous.
    private static func prefixLength(ofMask mask: UInt32) -> Int? {
        let ones = mask.leadingZeroBitCount == 0 ? (~mask).leadingZeroBitCount : 0
        return mask == (ones == 0 ? 0 : UInt32.max << (32 - ones)) ? ones : nil
    }
}
