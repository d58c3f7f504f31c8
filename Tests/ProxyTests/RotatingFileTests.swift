import Foundation
@testable import Proxy
import Testing

/// The log file and authevents.log rotate by size (`log_max_size`, `log_max_files`) and reopen on SIGHUP.
@Suite struct RotatingFileTests {
    static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("twofold-rotate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    static func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    @Test func aWritePastTheSizeRotatesAndTheOldestGoes() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("authevents.log").path
        let file = try RotatingFile(path: path, limits: .init(maximumSize: 25, maximumFiles: 3))
        for number in 1...5 { file.write(Data("line \(number) of the log\n".utf8)) }  // 19 bytes each: one per file
        file.close()
        #expect(Self.read(path) == "line 5 of the log\n")
        #expect(Self.read(path + ".1") == "line 4 of the log\n")
        #expect(Self.read(path + ".2") == "line 3 of the log\n")
        #expect(!FileManager.default.fileExists(atPath: path + ".3"), "3 files kept, the current one included")

        // A write longer than the limit goes whole into a file of its own; an existing file's size counts.
        let again = try RotatingFile(path: path, limits: .init(maximumSize: 25, maximumFiles: 3))
        again.write(Data(String(repeating: "x", count: 40).utf8))
        again.close()
        #expect(Self.read(path) == String(repeating: "x", count: 40))
        #expect(Self.read(path + ".1") == "line 5 of the log\n")
    }

    @Test func oneFileKeptMeansTheFileStartsOver() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("twofold.log").path
        let file = try RotatingFile(path: path, limits: .init(maximumSize: 10, maximumFiles: 1))
        file.write(Data("12345678\n".utf8))
        file.write(Data("abcdefgh\n".utf8))
        file.close()
        #expect(Self.read(path) == "abcdefgh\n")
        #expect(!FileManager.default.fileExists(atPath: path + ".1"))
    }

    @Test func reopenStartsANewFileAfterLogrotateMovedIt() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("twofold.log").path
        let file = try RotatingFile(path: path, limits: nil)
        file.write(Data("before\n".utf8))
        try FileManager.default.moveItem(atPath: path, toPath: path + ".moved")
        file.write(Data("still the old file\n".utf8))
        file.reopen()
        file.write(Data("after\n".utf8))
        file.close()
        #expect(Self.read(path + ".moved") == "before\nstill the old file\n")
        #expect(Self.read(path) == "after\n")
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o640)
    }
}
