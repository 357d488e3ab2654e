import BenchSupport
import Foundation
import JSON
import SpoolCore

/// `spool-bench views`: what the inline views cost and how fast they answer (issue 3).
///
/// 1. Fill: the same `UserHistory` (N events over U users, appends of a few events of one user,
///    S × W lanes) is appended once through a bare `Writer` (the log alone) and once through
///    `Engine.append` (log + inline views), each in a fresh directory: the difference is the
///    cost of inline projection under one load, in one run.
/// 2. Rebuild: `Engine.rebuild` of the views on the engine's directory, timed per phase from
///    its progress reports (replay into memory, write out, catch up and switch, checksum).
/// 3. Queries: `ViewQueryBenchmark` on the same directory.
/// With `--keep DIR` the engine's directory is DIR and stays, for `tools/compare-rebuild.sh`.
/// Rejected: measuring the views on a log written by the log-only fill (the engine's own
/// directory is the one whose views were built inline, which is what a server rebuilds).
enum ViewsBenchmark {
    static let options: Set<String> = [
        "events", "users", "per-append", "submitters", "window", "layer", "rebuilds", "rebuild-views", "queries", "query-seconds", "dir",
        "keep",
    ]

    /// Runs the fills, the rebuilds and the queries and prints a table and JSON lines for each.
    /// Throws `UsageError` for bad options, or what opening or writing a data directory throws.
    static func run(_ arguments: Arguments) async throws {
        try arguments.check(known: options)
        let events = try arguments.integer("events", default: 1_000_000)
        let users = try arguments.integer("users", default: 100_000)
        let perAppend = try arguments.integer("per-append", default: 4)
        let lanes = try arguments.integer("submitters", default: 64) * arguments.integer("window", default: 16)
        let rebuilds = try arguments.integer("rebuilds", default: 3)
        let queries = try arguments.integer("queries", default: 20_000)
        let querySeconds = try arguments.seconds("query-seconds", default: 5)
        var layers: [Layer] = []
        for name in (arguments.string("layer") ?? "log,engine").split(separator: ",") {
            guard let layer = Layer(rawValue: String(name)) else {
                throw UsageError("--layer: expected log,engine or engine, got '\(name)'")
            }
            layers.append(layer)
        }
        var kinds: [ViewKind] = []
        for name in (arguments.string("rebuild-views") ?? "all").split(separator: ",") {
            if name == "all" {
                kinds += ViewKind.allCases
            } else if let kind = ViewKind(rawValue: String(name)) {
                kinds.append(kind)
            } else {
                throw UsageError("--rebuild-views: expected all or view names (users-by-id, …), got '\(name)'")
            }
        }
        let history = try UserHistory(users: users, events: events, perAppend: perAppend)
        print(
            "views: \(Format.grouped(Double(events))) user events over \(Format.grouped(Double(users))) users, appends of up to \(perAppend) events of one user, \(lanes) lanes, durable commits"
        )
        let fills = ReportTable(columns: [
            ("layer", 6), ("events", 9), ("appends", 8), ("secs", 6), ("events/s", 9), ("p50 ms", 7), ("p99 ms", 7), ("batch", 6),
            ("writer us/ev", 12), ("CPU us/ev", 9), ("disk KB/ev", 10), ("others %", 8),
        ])
        print("\nfill (append throughput, the log alone vs log + inline views):")
        fills.header()
        var rates: [Layer: Double] = [:]
        if layers.contains(.log) {
            let directory = try RunDirectory(base: arguments.string("dir"), name: "views-log")
            defer { directory.remove() }
            let target = try AppendTarget(layer: .log, directory: directory.path, mapSize: 8 << 30)
            let watch = CommitWatch(writer: target.writer)
            let outcome = try await HistoryFill.run(history, lanes: lanes, watch: watch, directory: directory.path) {
                try await target.append($0)
            }
            target.close()
            rates[.log] = outcome.eventsPerSecond
            recordFill(outcome, layer: .log, lanes: lanes, in: fills)
        }
        let directory =
            try arguments.string("keep").map(RunDirectory.init(keeping:)) ?? RunDirectory(base: arguments.string("dir"), name: "views")
        defer { directory.remove() }
        let (engine, _, outcome) = try await HistoryFill.engine(filledWith: history, lanes: lanes, in: directory)
        defer { engine.close() }
        rates[.engine] = outcome.eventsPerSecond
        recordFill(outcome, layer: .engine, lanes: lanes, in: fills)
        fills.finish()
        if let log = rates[.log], let views = rates[.engine], log > 0 {
            print(
                "inline views: \(Format.grouped(views)) events/s with views, \(Format.grouped(log)) without: \(Format.fixed(100 * views / log, 0))% of the log's throughput (cost \(Format.fixed(100 - 100 * views / log, 0))%)"
            )
        }

        print("\nrebuild of \(kinds.map(\.rawValue).joined(separator: ", ")) by replay, online (Engine.rebuild):")
        let report = ReportTable(columns: [
            ("run", 3), ("events", 9), ("secs", 6), ("events/s", 9), ("replay s", 8), ("fold ev/s", 9), ("write s", 7), ("entries", 9),
            ("catch-up s", 10), ("checksum s", 10), ("CPU us/ev", 9), ("others %", 8),
        ])
        report.header()
        for run in 1...rebuilds {
            try await rebuild(engine, kinds, run: run, directory: directory.path, in: report)
        }
        report.finish()

        print("\nqueries (one at a time, one thread, random users, seqs, times and segments):")
        try ViewQueryBenchmark(engine: engine, history: history, directory: directory.path)
            .run(count: queries, timeLimit: querySeconds)
    }

    private static func recordFill(_ outcome: HistoryFill.Outcome, layer: Layer, lanes: Int, in report: ReportTable) {
        let events = Double(max(outcome.events, 1))
        report.row(
            [
                layer.rawValue, Format.grouped(Double(outcome.events)), Format.grouped(Double(outcome.appends)),
                Format.fixed(outcome.seconds, 1), Format.grouped(outcome.eventsPerSecond),
                Format.fixed(outcome.latency.microseconds(50) / 1000, 2), Format.fixed(outcome.latency.microseconds(99) / 1000, 2),
                Format.fixed(events / Double(max(outcome.commits, 1)), 0), Format.fixed(outcome.writerCPUSeconds * 1e6 / events, 2),
                Format.fixed(outcome.counters.cpuSeconds * 1e6 / events, 2),
                Format.fixed(Double(outcome.counters.bytesWritten) / events / 1024, 2), Format.fixed(outcome.othersPercent, 0),
            ],
            json: .object(
                JSONObject(
                    [
                        JSONMember("bench", "views-fill"), JSONMember("layer", .string(layer.rawValue)),
                        JSONMember("lanes", .int(Int64(lanes))),
                    ] + outcome.json)))
    }

    /// One `Engine.rebuild`, timed by phase: the last progress report of a phase marks its end.
    private static func rebuild(_ engine: Engine, _ kinds: [ViewKind], run: Int, directory: String, in report: ReportTable) async throws {
        let ends = Shared<[ViewRebuilder.Progress.Phase: ContinuousClock.Instant]>([:])
        let entries = Shared<UInt64>(0)
        let head = try engine.log.head().seq
        let before = ProcessCounters.now(directory: directory)
        let start = ContinuousClock.now
        _ = try await engine.rebuild(kinds) { step in
            let now = ContinuousClock.now
            ends.withLock { $0[step.phase] = now }
            if step.phase == .writing { entries.withLock { $0 = step.total } }
        }
        let end = ContinuousClock.now
        let counters = ProcessCounters.now(directory: directory) - before
        let phases = ends.withLock { $0 }
        let replayEnd = phases[.replaying] ?? start
        let writeEnd = phases[.writing] ?? replayEnd
        let switched = phases[.done] ?? end
        let total = (end - start).inSeconds
        let replay = (replayEnd - start).inSeconds
        let rate = Double(head) / max(total, 1e-9)
        let foldRate = Double(head) / max(replay, 1e-9)
        let others = 100 * counters.othersSeconds / max(total, 1e-9)
        let cpu = counters.cpuSeconds * 1e6 / Double(max(head, 1))
        let written = entries.withLock { $0 }
        report.row(
            [
                String(run), Format.grouped(Double(head)), Format.fixed(total, 2), Format.grouped(rate), Format.fixed(replay, 2),
                Format.grouped(foldRate), Format.fixed((writeEnd - replayEnd).inSeconds, 2), Format.grouped(Double(written)),
                Format.fixed((switched - writeEnd).inSeconds, 2), Format.fixed((end - switched).inSeconds, 2), Format.fixed(cpu, 2),
                Format.fixed(others, 0),
            ],
            json: [
                "bench": "views-rebuild", "views": .string(kinds.map(\.rawValue).joined(separator: ",")), "run": .int(Int64(run)),
                "events": .int(Int64(head)), "seconds": .double(rounded(total, 3)), "events_per_s": .int(Int64(rate.rounded())),
                "replay_seconds": .double(rounded(replay, 3)), "fold_events_per_s": .int(Int64(foldRate.rounded())),
                "write_seconds": .double(rounded((writeEnd - replayEnd).inSeconds, 3)), "entries": .int(Int64(written)),
                "catch_up_seconds": .double(rounded((switched - writeEnd).inSeconds, 3)),
                "checksum_seconds": .double(rounded((end - switched).inSeconds, 3)), "cpu_us_per_event": .double(rounded(cpu, 2)),
                "others_cpu_percent": .double(rounded(others, 1)),
            ])
    }
}
