/// The caller's limits for decoding LDAP PDUs, checked before anything is allocated.
///
/// A front uses a small `maximumPDUSize` before a successful bind and a larger one afterwards; an
/// upstream client reading search results uses a larger one still. RFC 4511 §5.1: "Only the definite
/// form of length encoding is used"; everything else here is local policy.
public struct LDAPLimits: Sendable, Hashable {
    /// The largest whole LDAPMessage (tag, length and contents) that is framed. A length field that
    /// claims more closes the connection before the body is buffered.
    public var maximumPDUSize: Int

    /// The deepest BER nesting accepted anywhere in a PDU (the LDAPMessage SEQUENCE is depth 1).
    /// Values above 50 behave as 50, the cap of the BER parser underneath (swift-asn1).
    public var maximumDepth: Int

    /// The deepest nesting of `and` / `or` / `not` in a search filter (a leaf filter is depth 1).
    public var maximumFilterDepth: Int

    /// The most filter components (leaves and operators together) in one search filter.
    public var maximumFilterComponents: Int

    /// The most elements in any SEQUENCE OF or SET OF: requested attributes, attribute values,
    /// attributes of an entry, modifications, controls, referral URIs.
    public var maximumElements: Int

    public init(
        maximumPDUSize: Int = 1 << 20,
        maximumDepth: Int = 40,
        maximumFilterDepth: Int = 32,
        maximumFilterComponents: Int = 512,
        maximumElements: Int = 1024
    ) {
        self.maximumPDUSize = maximumPDUSize
        self.maximumDepth = maximumDepth
        self.maximumFilterDepth = maximumFilterDepth
        self.maximumFilterComponents = maximumFilterComponents
        self.maximumElements = maximumElements
    }

    /// 1 MiB PDUs, BER depth 40, filter depth 32, 512 filter components, 1024 elements per list.
    public static let `default` = LDAPLimits()

    /// The BER parser underneath refuses anything deeper than this.
    static let parserDepthCap = 50

    var effectiveDepth: Int { Swift.max(1, Swift.min(maximumDepth, Self.parserDepthCap)) }
}
