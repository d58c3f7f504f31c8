import Policy
import RADIUSWire

/// Chooses the server section of a listener that takes a request (DESIGN.md, multi-realm routing).
///
/// The candidates are the sections with a `radius_ip_N` that contains the source address; of
/// those whose rules all hold, the one with the most specific client network wins, then the one
/// with more rules, then the first in the file. A request no candidate takes gets no section:
/// it never falls through to one whose rules did not hold (SECURITY.md, "An unknown realm is
/// rejected, never routed to a default that was not configured as one"). Pure: no I/O.
public struct SectionRouter: Sendable {
    public struct Section: Sendable {
        public var name: String
        public var networks: [ClientNetwork]
        public var rules: RealmRules

        public init(name: String, networks: [ClientNetwork], rules: RealmRules) {
            self.name = name
            self.networks = networks
            self.rules = rules
        }
    }

    public enum Route: Sendable {
        /// The section's index and the identity it works with (`strip_realm` applied).
        case section(Int, LoginIdentity)
        /// The client is known but no section's rules hold; the names of the candidates.
        case noRealm(candidates: [String])
    }

    public let sections: [Section]

    public init(sections: [Section]) {
        self.sections = sections
    }

    public init(_ sections: [RADIUSServerSection]) {
        self.init(sections: sections.map { Section(name: $0.name, networks: $0.clients.map(\.network), rules: $0.rules) })
    }

    public func route(_ identity: LoginIdentity, _ packet: RADIUSPacket, from source: IPAddress) -> Route {
        var best: (index: Int, span: UInt128, rules: Int, identity: LoginIdentity)?
        var candidates: [String] = []
        for (index, section) in sections.enumerated() {
            guard let span = section.networks.filter({ $0.contains(source) }).map(\.span).min() else { continue }
            candidates.append(section.name)
            guard let routed = section.rules.match(identity, packet) else { continue }
            let rules = section.rules.count
            if let current = best, current.span < span || (current.span == span && current.rules >= rules) { continue }
            best = (index, span, rules, routed)
        }
        guard let best else { return .noRealm(candidates: candidates) }
        return .section(best.index, best.identity)
    }

    /// What the checks of ``conflicts(_:)`` read of a section: known when the configuration is
    /// read, before any engine exists.
    public struct Listing: Sendable {
        public var clients: [RADIUSServerSection.Client]
        public var requireMessageAuthenticator: Bool
        public var rules: RealmRules

        public init(clients: [RADIUSServerSection.Client], requireMessageAuthenticator: Bool, rules: RealmRules) {
            self.clients = clients
            self.requireMessageAuthenticator = requireMessageAuthenticator
            self.rules = rules
        }
    }

    /// A pair of sections a listener cannot serve together.
    public struct Conflict: Sendable, Hashable {
        public enum Kind: Sendable, Hashable {
            /// For some client address both are candidates but give it different secrets or
            /// `require_message_authenticator` settings; the entries are those that do.
            case clientSettings(firstEntry: Int, secondEntry: Int)
            /// Same rules and a client network in common: for those clients the later section could never be chosen.
            case indistinguishable(firstEntry: Int, secondEntry: Int)
            /// The section at `shadowed` (one of the pair) is never chosen for any of its clients:
            /// the other is a candidate for each of them, wins over it there, and takes every login
            /// it would (its rules are implied by the shadowed one's: `@example.com` before
            /// `@staff.example.com`).
            case shadowed(Int)
        }

        public var first: Int
        public var second: Int
        public var kind: Kind

        public init(first: Int, second: Int, kind: Kind) {
            self.first = first
            self.second = second
            self.kind = kind
        }
    }

    /// Checks the sections of one listener for ``Conflict``s, first ones first.
    ///
    /// The secret that verifies a request is chosen by the client network, before any rule is
    /// read (the rules read attributes of a request not yet proved authentic), so every candidate
    /// section must give a client the same secret. Each section's choice for an address (its
    /// smallest containing network) only changes where some network begins or ends, so testing
    /// those addresses tests them all.
    public static func conflicts(_ sections: [Listing]) -> [Conflict] {
        var found: [Conflict] = []
        for first in sections.indices {
            for second in sections.indices where second > first {
                if let conflict = conflict(sections, first, second) {
                    found.append(conflict)
                } else if shadows(sections, first, over: second) {
                    found.append(Conflict(first: first, second: second, kind: .shadowed(second)))
                } else if shadows(sections, second, over: first) {
                    found.append(Conflict(first: first, second: second, kind: .shadowed(first)))
                }
            }
        }
        return found
    }

    /// True when section `winner` takes every login section `loser` would take: for each client
    /// address of `loser`, `winner` is a candidate that wins a tie with it (a more specific
    /// network, or as specific with more rules, or as many rules and earlier in the file), and its
    /// rules hold whenever `loser`'s do. Addresses are tested where some network begins or ends,
    /// as in ``conflict(_:_:_:)``.
    private static func shadows(_ sections: [Listing], _ winner: Int, over loser: Int) -> Bool {
        let a = sections[winner]
        let b = sections[loser]
        guard a.rules.holds(whenever: b.rules) else { return false }
        var tested = false
        for point in boundaries(a, b) {
            guard let j = entry(b, for: point) else { continue }
            guard let i = entry(a, for: point) else { return false }
            let (spanA, spanB) = (a.clients[i].network.span, b.clients[j].network.span)
            let winsTie = a.rules.count > b.rules.count || (a.rules.count == b.rules.count && winner < loser)
            guard spanA < spanB || (spanA == spanB && winsTie) else { return false }
            tested = true
        }
        return tested
    }

    private static func conflict(_ sections: [Listing], _ first: Int, _ second: Int) -> Conflict? {
        let a = sections[first]
        let b = sections[second]
        if a.rules.sameConditions(as: b.rules) {
            for (i, client) in a.clients.enumerated() {
                if let j = b.clients.firstIndex(where: { $0.network == client.network }) {
                    return Conflict(first: first, second: second, kind: .indistinguishable(firstEntry: i, secondEntry: j))
                }
            }
        }
        for point in boundaries(a, b) {
            guard let i = entry(a, for: point), let j = entry(b, for: point) else { continue }
            if a.clients[i].secret != b.clients[j].secret || a.requireMessageAuthenticator != b.requireMessageAuthenticator {
                return Conflict(first: first, second: second, kind: .clientSettings(firstEntry: i, secondEntry: j))
            }
        }
        return nil
    }

    /// The addresses where some network of either section begins or just ends: between two of
    /// them, which entry each section uses for an address does not change.
    private static func boundaries(_ a: Listing, _ b: Listing) -> [IPAddress] {
        var points: [IPAddress] = []
        for client in a.clients + b.clients {
            points.append(client.network.first)
            if client.network.last.value < client.network.last.maximum { points.append(client.network.last.next) }
        }
        return points
    }

    /// The entry of a section a client address uses: its smallest network; the first of equals.
    static func entry(_ section: Listing, for address: IPAddress) -> Int? {
        var best: Int?
        for (index, client) in section.clients.enumerated() where client.network.contains(address) {
            if best == nil || client.network.span < section.clients[best!].network.span { best = index }
        }
        return best
    }
}

extension IPAddress {
    /// The highest address value of the family.
    fileprivate var maximum: UInt128 { family == .v4 ? UInt128(UInt32.max) : .max }
    /// The address after this one (the caller checks it is not the last).
    fileprivate var next: IPAddress { family == .v4 ? IPAddress(v4: UInt32(value + 1)) : IPAddress(v6: value + 1) }
}
