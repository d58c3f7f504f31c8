import Foundation

/// Writes a line to standard error (for messages meant for the administrator at the terminal).
func printToStandardError(_ text: String) {
    var line = text
    if !line.hasSuffix("\n") { line += "\n" }
    FileHandle.standardError.write(Data(line.utf8))
}
