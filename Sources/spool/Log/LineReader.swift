import Foundation

/// Reads a file line by line in 1 MiB chunks, so an import of any size holds one chunk and
/// one batch in memory. Lines are split on `\n`; a final line without one is still a line.
struct LineReader {
    private let handle: FileHandle
    /// The file's size in bytes, for progress; nil when it cannot be told.
    let size: UInt64?
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    /// Bytes handed out so far (lines and their newlines), for progress.
    private(set) var consumed: UInt64 = 0
    /// The number of the line last returned, from 1.
    private(set) var lineNumber = 0

    /// Opens `path`. Throws `CLIFailure` when it cannot be read.
    init(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CLIFailure("cannot read \(path)") }
        self.handle = handle
        size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.uint64Value
    }

    /// The next line that holds more than spaces, tabs and `\r`, without its `\n`; nil at
    /// the end of the file.
    mutating func nextWithContent() throws -> [UInt8]? {
        while let line = try next() {
            if !line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return line }
        }
        return nil
    }

    /// The next line without its `\n`, or nil at the end of the file.
    private mutating func next() throws -> [UInt8]? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 0x0A) {
                let line = Array(buffer[start..<newline])
                consumed += UInt64(newline - start + 1)
                start = newline + 1
                lineNumber += 1
                return line
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                let line = Array(buffer[start...])
                consumed += UInt64(line.count)
                start = buffer.count
                lineNumber += 1
                return line
            }
            buffer.removeFirst(start)
            start = 0
            let chunk: Data
            do {
                chunk = try handle.read(upToCount: 1 << 20) ?? Data()
            } catch {
                throw CLIFailure("cannot read line \(lineNumber + 1) of the file: \(error)")
            }
            if chunk.isEmpty { atEnd = true } else { buffer += chunk }
        }
    }

    func close() { try? handle.close() }
}
