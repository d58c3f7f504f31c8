import ArgumentParser

/// `twofold demo`: runs the proxy on its embedded default configuration.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run twofold on its embedded default configuration (not built yet)."
    )

    func run() async throws {
        // The demo needs the RADIUS listener, the Duo simulator and the local users file
        // (issues 3, 4 and 5). Until they exist, say so plainly and fail, rather than pretend.
        printToStandardError(
            """
            twofold demo: not available yet.
            The demo runs the RADIUS path (local users file -> Duo simulator) on an embedded
            configuration; it arrives with the RADIUS front. What exists today are the wire
            formats (RADIUSWire, LDAPWire) and their tests: run ./scripts/test.
            """)
        throw ExitCode(2)
    }
}
