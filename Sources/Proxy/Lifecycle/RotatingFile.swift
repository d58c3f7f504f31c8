import Foundation
import Synchronization

/// An append-only log file that rotates by size, as the reference proxy's logs do (`[main]
/// log_max_size`, `log_max_files`): a write that would take the file past `maximumSize` first
/// renames it `NAME.1` (older ones move up to `NAME.(maximumFiles - 1)`, the oldest is deleted)
/// and starts a new `NAME`. ``reopen()`` starts a new file at the same path after an external
/// tool (logrotate) moved it away.
final class RotatingFile: Sendable {
    struct Limits: Sendable, Hashable {
        /// Bytes per file; a single write longer than this still goes whole into a fresh file.
        var maximumSize: Int
        /// Files kept, the current one included (1 keeps no rotated file).
        var maximumFiles: Int

        /// The reference proxy's defaults: 10 MiB, 6 files.
        static let reference = Limits(maximumSize: 10 * 1024 * 1024, maximumFiles: 6)
    }

    let path: String
    let limits: Limits?
    private let state: Mutex<(handle: FileHandle, size: Int)>

    /// Opens (creating with mode 0640) `path` for appending.
    init(path: String, limits: Limits?) throws {
        self.path = path
        self.limits = limits
        state = Mutex(try Self.open(path))
    }

    func write(_ data: Data) {
        state.withLock { state in
            if let limits, state.size > 0, state.size + data.count > limits.maximumSize {
                rotate(&state, limits)
            }
            state.handle.write(data)
            state.size += data.count
        }
    }

    /// Closes the file and opens `path` again (a new file when it was moved away).
    func reopen() {
        state.withLock { state in
            guard let fresh = try? Self.open(path) else { return }
            try? state.handle.close()
            state = fresh
        }
    }

    func close() {
        state.withLock { try? $0.handle.close() }
    }

    private func rotate(_ state: inout (handle: FileHandle, size: Int), _ limits: Limits) {
        let files = FileManager.default
        try? state.handle.close()
        if limits.maximumFiles <= 1 {
            try? files.removeItem(atPath: path)
        } else {
            try? files.removeItem(atPath: "\(path).\(limits.maximumFiles - 1)")
            for number in stride(from: limits.maximumFiles - 2, through: 1, by: -1) {
                try? files.moveItem(atPath: "\(path).\(number)", toPath: "\(path).\(number + 1)")
            }
            try? files.moveItem(atPath: path, toPath: "\(path).1")
        }
        if let fresh = try? Self.open(path) {
            state = fresh
        } else if let reopened = try? FileHandle(forWritingTo: URL(fileURLWithPath: "\(path).1")) {
            // Cannot create a new file: keep appending to the one just moved rather than lose lines.
            _ = try? reopened.seekToEnd()
            state = (reopened, 0)
        }
    }

    private static func open(_ path: String) throws -> (handle: FileHandle, size: Int) {
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o640]) else {
                throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
            }
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        let size = try handle.seekToEnd()
        return (handle, Int(size))
    }
}
