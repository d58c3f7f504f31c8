import RADIUSWire

/// Which attributes of an upstream reply reach the device (`pass_through_attr_names`,
/// `pass_through_all`).
///
/// Attributes that belong to one RADIUS hop never pass, whatever the configuration: the upstream's
/// Message-Authenticator and Proxy-State were computed for this proxy, and its State names a
/// session on the upstream that the device must not confuse with the proxy's own.
public enum RADIUSPassThroughFilter: Sendable, Hashable {
    /// Nothing passes (the default).
    case none
    /// Every attribute but the hop-by-hop ones.
    case all
    /// Only attributes with these dictionary definitions. A vendor definition selects its
    /// sub-attributes: a Vendor-Specific attribute passes with just the selected ones.
    case names([RADIUSAttributeDefinition])

    /// RFC 2869 §5.14 Message-Authenticator and RFC 2865 §5.33 Proxy-State are per hop; §5.24
    /// State belongs to the upstream session; passwords never travel in replies.
    public static let neverPassed: Set<RADIUSAttributeType> = [
        .messageAuthenticator, .proxyState, .state, .userPassword, .chapPassword,
    ]

    /// The attributes of `attributes` this filter lets through, in their order.
    public func apply(to attributes: [RADIUSAttribute]) -> [RADIUSAttribute] {
        switch self {
        case .none:
            return []
        case .all:
            return attributes.filter { !Self.neverPassed.contains($0.type) }
        case .names(let definitions):
            var standard = Set<RADIUSAttributeType>()
            var vendor: [UInt32: Set<UInt8>] = [:]
            for definition in definitions {
                if definition.vendor == 0 {
                    standard.insert(RADIUSAttributeType(definition.code))
                } else {
                    vendor[definition.vendor, default: []].insert(definition.code)
                }
            }
            var result: [RADIUSAttribute] = []
            for attribute in attributes where !Self.neverPassed.contains(attribute.type) {
                if standard.contains(attribute.type) {
                    result.append(attribute)
                } else if attribute.type == .vendorSpecific, !vendor.isEmpty,
                    let specific = try? RADIUSVendorSpecific(decoding: attribute.value),
                    let wanted = vendor[specific.vendorID]
                {
                    let kept = specific.attributes.filter { wanted.contains($0.type) }
                    if kept.count == specific.attributes.count {
                        result.append(attribute)
                    } else if !kept.isEmpty,
                        let rebuilt = try? RADIUSVendorSpecific(vendorID: specific.vendorID, attributes: kept).attribute()
                    {
                        result.append(rebuilt)
                    }
                }
            }
            return result
        }
    }
}
