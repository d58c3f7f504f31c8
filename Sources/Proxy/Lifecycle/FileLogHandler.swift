import Foundation
import Logging
import Synchronization

/// `[main] log_file`: log lines appended to a file, in the format swift-log's stream handler
/// writes to a terminal, one `write` per line so that lines never interleave.
struct FileLogHandler: LogHandler {
    /// One open file shared by every logger of the process, rotated by size.
    final class Output: Sendable {
        let file: RotatingFile
        var path: String { file.path }

        init(path: String, limits: RotatingFile.Limits?) throws {
            file = try RotatingFile(path: path, limits: limits)
        }

        func write(_ line: String) {
            file.write(Data(line.utf8))
        }
    }

    let label: String
    let output: Output
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        let fields = all.isEmpty ? "" : " " + all.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let timestamp = Date().formatted(.iso8601)
        output.write("\(timestamp) \(event.level) \(label):\(fields) [\(event.source)] \(event.message)\n")
    }
}
