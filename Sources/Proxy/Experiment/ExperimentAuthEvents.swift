import Foundation

/// Reads the proxy's `authevents.log` (one JSON object per line) after an experiment.
enum ExperimentAuthEvents {
    /// Events whose `msg` is one of `messages`, by `server_section`. A missing file counts nothing.
    static func failmodeCounts(path: String, messages: Set<String>) -> [String: Int] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        return failmodeCounts(lines: text, messages: messages)
    }

    static func failmodeCounts(lines text: String, messages: Set<String>) -> [String: Int] {
        var counts: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let message = object["msg"] as? String, messages.contains(message),
                let section = object["server_section"] as? String
            else { continue }
            counts[section, default: 0] += 1
        }
        return counts
    }
}
