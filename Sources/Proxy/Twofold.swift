import ArgumentParser

/// The `twofold` command: a two-factor authentication proxy for RADIUS and LDAP.
/// (`main.swift` starts it.)
struct Twofold: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "twofold",
        abstract: "A two-factor authentication proxy for RADIUS and LDAP (password, then Duo).",
        discussion: """
            twofold reads Duo Authentication Proxy's authproxy.cfg, checks the password against \
            Active Directory, LDAP, an upstream RADIUS server or a local users file, then asks Duo \
            for a second factor and answers the device.
            """,
        version: TwofoldVersion.current,
        subcommands: [
            RunCommand.self, CheckCommand.self, Demo.self, DuoSimCommand.self, HashPasswordCommand.self, BenchCommand.self, ExperimentCommand.self,
        ]
    )
}

enum TwofoldVersion {
    static let current = "0.1.0-dev"
}
