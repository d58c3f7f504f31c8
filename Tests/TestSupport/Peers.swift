import Foundation

/// Where the test peers (slapd, FreeRADIUS, radclient, ldapwhoami, the Python packages) are found.
///
/// `./scripts/test` installs every peer and exports `TWOFOLD_REQUIRE_PEERS=1`; under it a missing
/// peer is a failure. A bare `swift test` on a machine without the peers skips those tests instead.
public enum Peers {
    /// True when a missing peer must fail the run (set by `./scripts/test`).
    public static var required: Bool {
        ProcessInfo.processInfo.environment["TWOFOLD_REQUIRE_PEERS"] == "1"
    }

    /// Folders searched after `PATH`: Debian installs daemons in sbin, which a non-root PATH lacks.
    private static let extraSearchPaths = ["/usr/sbin", "/usr/local/sbin", "/sbin"]

    /// The absolute path of an executable, or nil when it is not installed.
    public static func find(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let folders = path.split(separator: ":").map(String.init) + extraSearchPaths
        for folder in folders {
            let candidate = folder + "/" + tool
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Whether a test that needs these tools should run: always under `./scripts/test` (so that a
    /// missing tool fails it), otherwise only when they are installed.
    public static func shouldRun(_ tools: String...) -> Bool {
        required || tools.allSatisfy { find($0) != nil }
    }

    /// The path of a tool the test cannot do without.
    public static func tool(_ name: String) throws -> String {
        guard let found = find(name) else { throw PeerMissing(peer: name) }
        return found
    }

    /// The Python interpreter of the test virtual environment (`.venv-test`, made by `./scripts/test`
    /// with pyrad, ldap3, duo-client and duo-web), or `TWOFOLD_PYTHON` when set.
    public static func python() throws -> String {
        if let configured = ProcessInfo.processInfo.environment["TWOFOLD_PYTHON"], !configured.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: configured) else {
                throw PeerMissing(peer: "python at TWOFOLD_PYTHON=\(configured)")
            }
            return configured
        }
        let venv = packageRoot.appendingPathComponent(".venv-test/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: venv) else {
            throw PeerMissing(peer: "the test virtual environment (.venv-test)")
        }
        return venv
    }

    /// Whether the Python test environment exists (for `.enabled(if:)`).
    public static var pythonAvailable: Bool { (try? python()) != nil }

    /// Whether tests that need the Python peers should run.
    public static var shouldRunPython: Bool { required || pythonAvailable }

    /// The package's root folder, found from this source file's location.
    public static let packageRoot: URL = {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // TestSupport
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()
    }()

    /// The project's shared folder with reference test data (`../shared/reference` beside the checkout).
    public static func sharedReference(_ name: String) -> URL {
        packageRoot.deletingLastPathComponent().appendingPathComponent("shared/reference/\(name)")
    }
}

/// A peer a test needs is not installed.
public struct PeerMissing: Error, CustomStringConvertible {
    public var peer: String
    public init(peer: String) { self.peer = peer }
    public var description: String {
        "test peer missing: \(peer). ./scripts/test installs every peer; run it instead of a bare `swift test`."
    }
}
