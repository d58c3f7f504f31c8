import Metrics

/// What a RADIUS listener counts, for `/metrics`: datagrams dropped by reason, replies resent to
/// retransmits from the duplicate cache, and logins being decided.
struct RADIUSListenerMetrics: Sendable {
    private let dropped: [RADIUSRequestGate.DropReason.Kind: Counter]
    let resent: Counter
    let inFlight: Gauge

    init(listener: String, factory: any MetricsFactory = MetricsSystem.factory) {
        var dropped: [RADIUSRequestGate.DropReason.Kind: Counter] = [:]
        for kind in RADIUSRequestGate.DropReason.Kind.allCases {
            dropped[kind] = Counter(
                label: "twofold_radius_dropped_total", dimensions: [("listener", listener), ("reason", kind.label)], factory: factory)
        }
        self.dropped = dropped
        resent = Counter(label: "twofold_radius_replies_resent_total", dimensions: [("listener", listener)], factory: factory)
        inFlight = Gauge(label: "twofold_radius_logins_in_flight", dimensions: [("listener", listener)], factory: factory)
    }

    func drop(_ kind: RADIUSRequestGate.DropReason.Kind) {
        dropped[kind]?.increment()
    }
}
