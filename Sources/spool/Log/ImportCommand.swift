import ArgumentParser
import Foundation
import JSON

/// `spool import FILE`: appends the events of an NDJSON file (as `spool export` writes it),
/// idempotently: each event's id is sent as its client id, so an event already in the log
/// is not appended again. See `ImportBatcher` for how events become appends.
///
/// The events get new seqs and times (the server stamps them) and the importer as actor;
/// ids, streams, versions, types, data and the other metadata (correlation and causation
/// ids) are kept. `--exact` restores them as they were instead (`ImportCommand+Exact.swift`).
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract:
            "Appends the events of an NDJSON file (spool export's format), skipping those present; --exact restores them as they were."
    )

    @Argument(help: "The NDJSON file: one event per line, as spool export writes them.")
    var file: String

    @Flag(name: .customLong("any-version"), help: "Append with expected_version any, not the exported versions (for a partial export).")
    var anyVersion = false

    @Flag(
        help:
            "With --data: restore the events exactly (same seqs, times, ids and actors, so the same hash chain), checking each one's hash.")
    var exact = false

    @Option(help: "Events in flight at once (appends pipelined on one connection).")
    var window: Int = 8_000

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var data: DataOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        try connection.validate(alongside: data.directory)
        guard window >= 1 else { throw ValidationError("--window must be at least 1") }
        if exact, data.directory == nil { throw ValidationError("--exact restores into a data directory: give --data DIR") }
        if exact, anyVersion { throw ValidationError("--exact keeps the exported versions; leave out --any-version") }
    }

    /// What the import did.
    struct Tally {
        var appended: UInt64 = 0
        var duplicates: UInt64 = 0
        var firstSeq: UInt64?
        var lastSeq: UInt64?
    }

    func run() async throws {
        if exact { return try await restore() }
        var reader = try LineReader(path: file)
        defer { reader.close() }
        let progress = ProgressBar("import")
        let tally = try await connection.withBackend(directory: data.directory, access: .create) { backend in
            var tally = Tally()
            var batcher = ImportBatcher()
            var pending: [ImportBatcher.Run] = []
            var pendingEvents = 0
            while let line = try reader.nextWithContent() {
                let value: JSONValue
                do {
                    value = try JSONParser.parse(line, maxDepth: 1_000)
                } catch {
                    throw CLIFailure("\(file) line \(reader.lineNumber): not JSON: \(error)")
                }
                guard let run = try batcher.add(value, line: reader.lineNumber) else { continue }
                pending.append(run)
                pendingEvents += run.events.count
                if pendingEvents >= window {
                    try await send(pending, backend, &tally)
                    pending = []
                    pendingEvents = 0
                    progress.update(done: reader.consumed, total: reader.size, items: tally.appended + tally.duplicates)
                }
            }
            if let run = batcher.flush() { pending.append(run) }
            try await send(pending, backend, &tally)
            progress.update(done: reader.consumed, total: reader.size, items: tally.appended + tally.duplicates)
            return tally
        }
        progress.finish()
        if output.json {
            var object: JSONObject = ["appended": .int(Int64(tally.appended)), "duplicates": .int(Int64(tally.duplicates))]
            object["first_seq"] = tally.firstSeq.map { .int(Int64($0)) } ?? .null
            object["last_seq"] = tally.lastSeq.map { .int(Int64($0)) } ?? .null
            return Terminal.printJSON(.object(object))
        }
        let range = tally.firstSeq.map { first in " at seq \(first)…\(tally.lastSeq ?? first)" } ?? ""
        Terminal.print(
            "imported \(tally.appended) event\(tally.appended == 1 ? "" : "s")\(range) from \(file); \(tally.duplicates) already present")
    }

    /// Pipelines one window of appends and settles each answer in order.
    private func send(_ runs: [ImportBatcher.Run], _ backend: any Backend, _ tally: inout Tally) async throws {
        guard !runs.isEmpty else { return }
        let answers = try await backend.pipeline(runs.map { requestObject("append", $0.fields(exact: !anyVersion)) })
        for (run, answer) in zip(runs, answers) { try await settle(run, answer, backend, &tally) }
    }

    /// Counts an append's answer. A run refused because some but not all of its ids are
    /// present (an earlier import stopped inside it) is retried one event at a time; a run
    /// whose stream is past the expected version may already be there (`resume`). Throws
    /// `ServerError` naming the lines for any other refusal.
    private func settle(_ run: ImportBatcher.Run, _ answer: JSONValue, _ backend: any Backend, _ tally: inout Tally) async throws {
        if answer["ok"] == .bool(true) { return count(answer, events: run.events.count, &tally) }
        switch answer["error"]?["code"]?.stringValue {
        case "wrong_expected_version" where !anyVersion && run.firstVersion != nil:
            try await resume(run, backend, &tally, refusal: answer)
        case "duplicate_event_id" where run.events.count > 1:
            for (offset, event) in run.events.enumerated() {
                var single = run
                single.events = [event]
                single.firstVersion = run.firstVersion.map { $0 + UInt64(offset) }
                try await settle(single, try await backend.ask("append", single.fields(exact: !anyVersion)), backend, &tally)
            }
        default:
            throw failure(answer, run)
        }
    }

    /// A run whose stream is past the version it expected: when the stream already holds
    /// the run's first events at their exported versions (same ids and types: the log the
    /// file came from, whose server-made ids are not client ids), those are counted as
    /// present and the rest is appended after them. Throws the original refusal otherwise.
    private func resume(_ run: ImportBatcher.Run, _ backend: any Backend, _ tally: inout Tally, refusal: JSONValue) async throws {
        let first = run.firstVersion ?? 1
        let read = try await backend.ask(
            "read", ["stream": .string(run.stream), "from_version": .int(Int64(clamping: first)), "limit": .int(Int64(run.events.count))])
        let stored = read["events"]?.arrayValue ?? []
        guard !stored.isEmpty, stored.count <= run.events.count,
            zip(stored, run.events).allSatisfy({ $0["id"] == $1["id"] && $0["type"] == $1["type"] && $0["id"] != nil })
        else { throw failure(refusal, run) }
        tally.duplicates += UInt64(stored.count)
        guard stored.count < run.events.count else { return }
        let rest = Array(run.events[stored.count...])
        let answer = try await backend.ask(
            "append", run.fields(exact: true, events: rest, firstVersion: first + UInt64(stored.count)))
        guard answer["ok"] == .bool(true) else { throw failure(answer, run) }
        count(answer, events: rest.count, &tally)
    }

    private func count(_ answer: JSONValue, events: Int, _ tally: inout Tally) {
        if answer["duplicate"] == .bool(true) {
            tally.duplicates += UInt64(events)
            return
        }
        tally.appended += UInt64(events)
        if tally.firstSeq == nil { tally.firstSeq = answer["first_seq"]?.uint64Value }
        tally.lastSeq = answer["last_seq"]?.uint64Value ?? tally.lastSeq
    }

    private func failure(_ answer: JSONValue, _ run: ImportBatcher.Run) -> any Error {
        let lines = run.firstLine == run.lastLine ? "line \(run.firstLine)" : "lines \(run.firstLine)–\(run.lastLine)"
        do {
            _ = try ServerError.check(answer)
            return CLIFailure("\(file) \(lines): unexpected answer")
        } catch {
            let hint = error.code == "wrong_expected_version" ? " (an export of part of the log imports with --any-version)" : ""
            return ServerError(
                code: error.code, message: "\(file) \(lines) (stream \(run.stream)): \(error.message)\(hint)", details: error.details)
        }
    }
}
