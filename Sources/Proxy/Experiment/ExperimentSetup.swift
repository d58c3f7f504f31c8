import DuoAPI
import Policy
import RADIUSFront

/// A listener of the configuration that the experiment sends logins to.
struct ExperimentTarget: Hashable, Sendable {
    enum Kind: Hashable, Sendable {
        /// PAP Access-Requests with the secret of the `radius_ip_N` that admits the experiment's
        /// loopback source address.
        case radius(secret: [UInt8])
        /// Logins to an LDAP section the way a device makes them (LDAPS when it has a certificate).
        case ldap(ExperimentLDAPLogin.Flow, ldaps: Bool)
    }

    /// The section's name, or the names of the RADIUS sections sharing the listener (`a+b`).
    var name: String
    var failmode: String
    /// Where to send: the listener's interface, or loopback when it listens on every address.
    var host: String
    var port: Int
    var kind: Kind

    /// Another section sharing this target's listener: `a+b`, and its failmode when it differs.
    mutating func add(_ section: SectionPolicy) {
        name += "+\(section.name)"
        if !failmode.split(separator: "+").contains(Substring(section.failmode.rawValue)) {
            failmode += "+\(section.failmode.rawValue)"
        }
    }

    var listener: String {
        let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        switch kind {
        case .radius: return "udp \(address)"
        case .ldap(_, let ldaps): return "\(ldaps ? "ldaps" : "ldap")://\(address)"
        }
    }
}

/// Why a configuration cannot be experimented on, said in the configuration's terms.
struct ExperimentSetupError: Error, Hashable, CustomStringConvertible {
    var description: String
}

/// The configuration the experiment runs: the administrator's, with every section's Duo pointed at
/// the in-process simulator. Pure: no files, no sockets.
enum ExperimentSetup {
    /// Integration keys and secret keys of every section, for the simulator to accept them all.
    static func integrations(_ configuration: TwofoldConfiguration) throws(ExperimentSetupError) -> [String: String] {
        var keys: [String: (secret: String, section: String)] = [:]
        let sections = configuration.radiusServers.map { ($0.policy.name, $0.duo) } + configuration.ldapServers.map { ($0.policy.name, $0.duo) }
        for (name, duo) in sections {
            if let known = keys[duo.integrationKey], known.secret != duo.secretKey {
                throw ExperimentSetupError(
                    description: "\(configuration.path): [\(known.section)] and [\(name)] use ikey \(duo.integrationKey) with different skeys; one integration has one secret key")
            }
            keys[duo.integrationKey] = (duo.secretKey, name)
        }
        return keys.mapValues(\.secret)
    }

    /// - Parameters:
    ///   - duoPort: the simulator's port on 127.0.0.1; `duoCA` the PEM of its self-signed CA.
    ///   - outDirectory: where auth events go (`authevents.log`), whatever `[main]` says.
    ///   - coolDown: the circuit breaker's cool-down, when the experiment overrides it.
    static func pointAtSimulator(
        _ configuration: TwofoldConfiguration, duoPort: Int, duoCA: String, outDirectory: String, coolDown: Duration?
    ) -> TwofoldConfiguration {
        var copy = configuration
        func redirect(_ duo: inout DuoClientConfiguration) {
            duo.apiHost = "127.0.0.1"
            duo.apiPort = duoPort
            duo.useTLS = true
            duo.trustRoots = .pem(duoCA)
            duo.httpProxy = nil
            if let coolDown { duo.circuitBreaker = .init(failureThreshold: duo.circuitBreaker.failureThreshold, coolDown: coolDown) }
        }
        for index in copy.radiusServers.indices {
            redirect(&copy.radiusServers[index].duo)
            // Many logins for a few users from one address are the experiment, not an attack.
            copy.radiusServers[index].policy.limits = .unlimited
        }
        for index in copy.ldapServers.indices {
            redirect(&copy.ldapServers[index].duo)
            copy.ldapServers[index].policy.limits = .unlimited
        }
        copy.main.logAuthEvents = true
        copy.main.logDirectory = outDirectory
        copy.main.logFile = nil
        return copy
    }

    static func loopback(_ interface: String) -> String {
        switch interface {
        case "", "0.0.0.0", "*": "127.0.0.1"
        case "::", "[::]": "::1"
        default: interface
        }
    }

    /// One target per RADIUS listener, in file order, with the secret that admits loopback; then
    /// one per `[ldap_server_duo_only]` section, and one per `[ldap_server_auto]` listener and
    /// `[ad_client]` (sections sharing both are one target, `a+b`: the proxy's realm rules choose).
    static func targets(_ configuration: TwofoldConfiguration) throws(ExperimentSetupError) -> [ExperimentTarget] {
        guard !configuration.radiusServers.isEmpty || !configuration.ldapServers.isEmpty else {
            throw ExperimentSetupError(
                description: "\(configuration.path): no radius_server_* or ldap_server_* section: nothing to send logins to")
        }
        var targets: [ExperimentTarget] = []
        var seen: [String: Int] = [:]
        for server in configuration.radiusServers {
            let key = "\(server.interface)|\(server.port)"
            if let index = seen[key] {
                targets[index].add(server.policy)
                continue
            }
            let host = loopback(server.interface)
            let source = host.contains(":") ? "::1" : "127.0.0.1"
            let sourceAddress = IPAddress(source)!
            let sections = configuration.radiusServers.filter { "\($0.interface)|\($0.port)" == key }
            guard let client = sections.lazy.flatMap(\.clients).first(where: { $0.network.contains(sourceAddress) }) else {
                throw ExperimentSetupError(
                    description: "\(configuration.path):\(server.line): [\(server.policy.name)] no radius_ip_N admits \(source), the address the experiment sends from: add radius_ip_N=\(source) with its radius_secret_N")
            }
            seen[key] = targets.count
            targets.append(
                ExperimentTarget(
                    name: server.policy.name, failmode: server.policy.failmode.rawValue, host: host, port: server.port,
                    kind: .radius(secret: client.secret)))
        }
        var seenDirectories: [String: Int] = [:]
        for server in configuration.ldapServers {
            let ldaps = server.tls != nil
            let host = loopback(server.interface)
            let port = ldaps ? server.sslPort : server.port
            guard let auto = server.auto else {
                targets.append(
                    ExperimentTarget(
                        name: server.policy.name, failmode: server.policy.failmode.rawValue, host: host, port: port,
                        kind: .ldap(.duoOnly(integrationKey: server.policy.integrationKey, secretKey: server.duo.secretKey), ldaps: ldaps)))
                continue
            }
            let key = "\(server.interface)|\(port)|\(auto.client)"
            if let index = seenDirectories[key] {
                targets[index].add(server.policy)
                continue
            }
            // The configuration checked that `client` is an `[ad_client]`, with a bind_dn and a password.
            guard case .activeDirectory(let directory) = configuration.clients[auto.client],
                let servicePassword = directory.serviceAccountPassword.text
            else {
                throw ExperimentSetupError(
                    description: "\(configuration.path):\(server.line): [\(server.policy.name)] the service_account_password of [\(auto.client)] is not UTF-8 text: the experiment binds as that service account to find its users, as a VPN does")
            }
            seenDirectories[key] = targets.count
            targets.append(
                ExperimentTarget(
                    name: server.policy.name, failmode: server.policy.failmode.rawValue, host: host, port: port,
                    kind: .ldap(
                        .directory(
                            serviceDN: directory.bindDN, servicePassword: servicePassword, searchBase: directory.searchDN,
                            usernameAttribute: directory.usernameAttribute),
                        ldaps: ldaps)))
        }
        return targets
    }
}
