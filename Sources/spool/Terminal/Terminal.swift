import Foundation
import JSON

#if canImport(Glibc)
    import Glibc
#endif

/// Standard output and standard error, written unbuffered: each call is one write, so a
/// follower (`tail`, `consume`) shows lines as they come and nothing is lost when it is
/// stopped with Ctrl-C. A closed stdout (`spool export | head`) ends the process quietly.
enum Terminal {
    /// Writes `text` and a newline to stdout.
    static func print(_ text: String) {
        write(Array((text + "\n").utf8))
    }

    /// Writes `value` as one line of compact JSON to stdout.
    static func printJSON(_ value: JSONValue) {
        write(value.jsonBytes + [0x0A])
    }

    /// Writes `bytes` as they are to stdout.
    static func write(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        do {
            try FileHandle.standardOutput.write(contentsOf: Data(bytes))
        } catch {
            Foundation.exit(0)
        }
    }

    /// Writes `text` and a newline to stderr.
    static func printError(_ text: String) {
        writeError(text + "\n")
    }

    /// Writes `text` as it is to stderr (progress bars redraw with `\r`).
    static func writeError(_ text: String) {
        try? FileHandle.standardError.write(contentsOf: Data(text.utf8))
    }

    /// Whether stderr is a terminal: progress bars are drawn only then.
    static var isErrorTerminal: Bool { isatty(2) == 1 }

    /// Whether stdout is a terminal: `spool top` draws its live screen only then.
    static var isOutputTerminal: Bool { isatty(1) == 1 }

    /// The terminal's width in columns ($COLUMNS, else 80).
    static var columns: Int { Int(ProcessInfo.processInfo.environment["COLUMNS"] ?? "") ?? 80 }
}
