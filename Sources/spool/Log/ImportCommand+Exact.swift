import Foundation
import JSON
import SpoolCore
import SpoolProtocol

extension ImportCommand {
    /// `--exact`: writes the file's events back into a data directory at their own seqs, with
    /// their own ids, times and actors, so the restored log has the exported log's hash chain
    /// (the same `spool digest`). Each event must hash to its exported `hash`; events already
    /// present are skipped, so an interrupted restore can be run again.
    func restore() async throws {
        var reader = try LineReader(path: file)
        defer { reader.close() }
        let progress = ProgressBar("restore")
        let file = file
        let (restored, present) = try await connection.withBackend(directory: data.directory, access: .create) { backend in
            guard let engine = backend.engine else { throw CLIFailure("--exact needs a data directory (--data DIR)") }
            var restored = 0
            var present = 0
            var batch: [RecordedEvent] = []
            var firstLine = 1
            func flush() async throws {
                guard !batch.isEmpty else { return }
                do {
                    let counts = try await engine.restore(batch)
                    restored += counts.restored
                    present += counts.present
                } catch let error as SpoolError {
                    throw CLIFailure("\(file) lines \(firstLine)–\(reader.lineNumber): \(error.message)", exitCode: 1)
                }
                batch.removeAll(keepingCapacity: true)
                progress.update(done: reader.consumed, total: reader.size, items: UInt64(restored + present))
            }
            while let line = try reader.nextWithContent() {
                if batch.isEmpty { firstLine = reader.lineNumber }
                do {
                    batch.append(try RecordedEvent(exported: try JSONParser.parse(line, maxDepth: 1_000)))
                } catch {
                    throw CLIFailure("\(file) line \(reader.lineNumber): not an exported event: \(error)", exitCode: 1)
                }
                if batch.count >= 1_000 { try await flush() }
            }
            try await flush()
            return (restored, present)
        }
        progress.finish()
        if output.json {
            return Terminal.printJSON(["restored": .int(Int64(restored)), "present": .int(Int64(present))])
        }
        Terminal.print(
            "restored \(restored) event\(restored == 1 ? "" : "s") from \(file) with their seqs, times and hashes; \(present) already present"
        )
    }
}
