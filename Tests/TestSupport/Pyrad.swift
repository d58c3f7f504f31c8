import Foundation

/// pyrad (in the test virtual environment) as a RADIUS peer: a dictionary it needs and a way to run
/// a script with it.
public enum Pyrad {
    /// The attributes the scripts use, in FreeRADIUS dictionary syntax (pyrad ships none).
    public static let dictionary = """
        ATTRIBUTE User-Name 1 string
        ATTRIBUTE User-Password 2 string encrypt=1
        ATTRIBUTE NAS-IP-Address 4 ipaddr
        ATTRIBUTE Reply-Message 18 string
        ATTRIBUTE State 24 octets
        ATTRIBUTE Class 25 octets
        ATTRIBUTE Vendor-Specific 26 octets
        ATTRIBUTE Session-Timeout 27 integer
        ATTRIBUTE Calling-Station-Id 31 string
        ATTRIBUTE NAS-Identifier 32 string
        ATTRIBUTE Proxy-State 33 octets
        ATTRIBUTE Message-Authenticator 80 octets
        VENDOR Juniper 2636
        BEGIN-VENDOR Juniper
        ATTRIBUTE Juniper-Local-User-Name 1 string
        END-VENDOR Juniper

        """

    /// Runs `script` with the test Python as `script ARGUMENTS... DICTIONARY_PATH`.
    public static func run(script: String, arguments: [String], timeout: Duration = .seconds(30)) async throws
        -> (status: Int32, stdout: String, stderr: String)
    {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("twofold-pyrad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let scriptURL = folder.appendingPathComponent("pyrad_peer.py")
        let dictionaryURL = folder.appendingPathComponent("dictionary")
        try script.write(to: scriptURL, atomically: true, encoding: .utf8)
        try dictionary.write(to: dictionaryURL, atomically: true, encoding: .utf8)
        return try await PeerProcess.run(try Peers.python(), [scriptURL.path] + arguments + [dictionaryURL.path], timeout: timeout)
    }
}
