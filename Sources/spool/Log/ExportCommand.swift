import ArgumentParser
import Foundation
import JSON
import SpoolCore

/// `spool export`: the log as NDJSON, one event `E` per line in seq order, read with paged
/// `read_all`. `spool import` reads the same lines back.
///
/// The export stops at the log's head as it was when the export began (or at `--to-seq` /
/// `--until`), so a busy server cannot make it run forever.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Writes the log as NDJSON, one event per line in seq order (the format import reads).")

    @Option(name: .customLong("from-seq"), help: "The first seq to export.")
    var fromSeq: UInt64 = 1

    @Option(name: .customLong("to-seq"), help: "The last seq to export (default: the head when the export starts).")
    var toSeq: UInt64?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Export events at or before this time only: " + TimeArgument.forms + ".", valueName: "time"))
    var until: TimeArgument?

    @Option(
        name: [.short, .long],
        help: ArgumentHelp("Write to this file instead of stdout (with a progress bar on a terminal).", valueName: "file"))
    var output: String?

    @Option(help: "Events per read_all request (1 to 10000).")
    var page: Int = 1_000

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var data: DataOptions

    func validate() throws {
        try connection.validate(alongside: data.directory)
        if toSeq != nil, until != nil { throw ValidationError("give --to-seq or --until, not both") }
        if let toSeq, toSeq < fromSeq { throw ValidationError("--to-seq \(toSeq) is before --from-seq \(fromSeq)") }
        guard (1...10_000).contains(page) else { throw ValidationError("--page must be 1 to 10000, got \(page)") }
    }

    func run() async throws {
        let sink = try output.map(Self.create)
        let progress = ProgressBar("export", enabled: sink != nil && Terminal.isErrorTerminal)
        let (count, first, last) = try await connection.withBackend(directory: data.directory, access: .read) { backend in
            try await export(backend, sink: sink, progress: progress)
        }
        progress.finish()
        if let sink, let output {
            try? sink.close()
            let range = count == 0 ? "" : " (seq \(first)…\(last))"
            Terminal.print("exported \(count) event\(count == 1 ? "" : "s")\(range) to \(output)")
        }
    }

    /// Pages through the log and writes each event; returns how many, and the first and last seq.
    private func export(_ backend: any Backend, sink: FileHandle?, progress: ProgressBar) async throws -> (UInt64, UInt64, UInt64) {
        let head = try await backend.call("digest")["seq"]?.uint64Value ?? 0
        let bound = min(toSeq ?? head, head)
        let total = bound >= fromSeq ? bound - fromSeq + 1 : 0
        var from = max(fromSeq, 1)
        var (count, first, last): (UInt64, UInt64, UInt64) = (0, 0, 0)
        while from <= bound {
            let limit = Int(min(UInt64(page), bound - from + 1))
            let response = try await backend.call("read_all", ["from_seq": .int(Int64(from)), "limit": .int(Int64(limit))])
            var bytes: [UInt8] = []
            var finished = false
            for event in response["events"]?.arrayValue ?? [] {
                guard let seq = event["seq"]?.uint64Value, seq <= bound else {
                    finished = true
                    break
                }
                if let until, let time = event["time"]?.stringValue.flatMap(Timestamp.init(rfc3339:)), time > until.timestamp {
                    finished = true
                    break
                }
                bytes += event.jsonBytes
                bytes.append(0x0A)
                if count == 0 { first = seq }
                count += 1
                last = seq
            }
            if let sink {
                do {
                    try sink.write(contentsOf: Data(bytes))
                } catch {
                    throw CLIFailure("cannot write \(output ?? "the output file"): \(error)")
                }
            } else {
                Terminal.write(bytes)
            }
            progress.update(done: last >= fromSeq ? last - fromSeq + 1 : 0, total: total, items: count)
            guard !finished, let next = response["next_seq"]?.uint64Value, next > from else { break }
            from = next
        }
        return (count, first, last)
    }

    /// Creates (or empties) `path` for writing. Throws `CLIFailure` when it cannot.
    static func create(_ path: String) throws -> FileHandle {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw CLIFailure("cannot write \(path)")
        }
        return handle
    }
}
