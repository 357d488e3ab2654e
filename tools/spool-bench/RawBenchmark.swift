import BenchSupport
import Foundation
import JSON
import LMDB

/// `spool-bench raw`: the ceiling — raw LMDB `MDB_APPEND` puts of fixed-size values under
/// big-endian seq keys, `batch` puts per durable commit, with nothing else in the transaction.
///
/// `--index-streams K` adds, per event, a put into a second database keyed like Spool's
/// `streams` index (`user-<k> ‖ 0x00 ‖ version`) for a stream k drawn at random from K: with
/// K = 100,000 every such put copies a random page, which is the cost the performance budget
/// warns about; with small K the keys stay on a few hot pages.
enum RawBenchmark {
    static let options: Set<String> = ["events", "batch", "index-streams", "value-size", "dir"]

    /// Runs every (batch, index) combination in a fresh environment and prints a row and a JSON
    /// line for each. Throws `UsageError` for bad options, or `LMDBError` from LMDB.
    static func run(_ arguments: Arguments) throws {
        try arguments.check(known: options)
        let events = try arguments.integer("events", default: 1_000_000)
        let batches = try arguments.integers("batch", default: [1000])
        let valueSize = try arguments.integer("value-size", default: 250)
        let indexes = try arguments.integers("index-streams", default: [0], minimum: 0)
        print("raw: \(Format.grouped(Double(events))) MDB_APPEND puts of \(valueSize)-byte values per configuration, durable commits")
        let report = ReportTable(columns: [
            ("batch", 6), ("index", 7), ("events", 9), ("secs", 6), ("events/s", 10), ("disk KB/ev", 10), ("CPU us/ev", 9), ("others %", 8),
        ])
        report.header()
        for index in indexes {
            for batch in batches {
                let (elapsed, counters) = try measure(
                    events: events, batch: batch, valueSize: valueSize, indexStreams: index, base: arguments.string("dir"))
                let rate = Double(events) / max(elapsed, 1e-9)
                let disk = Double(counters.bytesWritten) / Double(events)
                let cpu = counters.cpuSeconds * 1e6 / Double(events)
                let others = 100 * counters.othersSeconds / max(elapsed, 1e-9)
                report.row(
                    [
                        String(batch), index == 0 ? "none" : String(index), Format.grouped(Double(events)), Format.fixed(elapsed, 1),
                        Format.grouped(rate), Format.fixed(disk / 1024, 2), Format.fixed(cpu, 2), Format.fixed(others, 0),
                    ],
                    json: [
                        "bench": "raw", "batch": .int(Int64(batch)), "index_streams": .int(Int64(index)),
                        "value_bytes": .int(Int64(valueSize)), "events": .int(Int64(events)), "seconds": .double(rounded(elapsed, 3)),
                        "events_per_s": .int(Int64(rate.rounded())), "disk_bytes_per_event": .int(Int64(disk.rounded())),
                        "cpu_us_per_event": .double(rounded(cpu, 2)), "others_cpu_percent": .double(rounded(others, 1)),
                    ])
            }
        }
        report.finish()
    }

    /// Appends `events` values in commits of `batch`; returns the seconds taken and the
    /// process's disk writes and CPU over the run.
    static func measure(events: Int, batch: Int, valueSize: Int, indexStreams: Int, base: String?) throws -> (Double, ProcessCounters) {
        let directory = try RunDirectory(base: base, name: "raw")
        defer { directory.remove() }
        var options = Environment.Options()
        options.mapSize = 4 << 30  // sparse; the map never has to grow during the run
        let environment = try Environment(path: directory.path, options: options)
        let values = try environment.openDatabase("events")
        let index = try environment.openDatabase("streams")
        var random = SplitMix64(seed: 42)
        let value = (0..<valueSize).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        let prefixes = (0..<indexStreams).map { Array("user-\(BenchEvents.sharedUserID($0))".utf8) + [0] }
        var versions = [UInt64](repeating: 0, count: indexStreams)
        let before = ProcessCounters.now(directory: directory.path)
        let start = ContinuousClock.now
        var written = 0
        while written < events {
            let first = written
            let count = min(batch, events - written)
            try environment.write { txn in
                // Rerun from the start if the map grows; a rerun only leaves gaps in `versions`.
                for offset in 1...count {
                    let key = BigEndian.bytes(UInt64(first + offset))
                    try txn.put(values, key, value, flags: .append)
                    guard !prefixes.isEmpty else { continue }
                    let stream = Int(random.next() % UInt64(prefixes.count))
                    versions[stream] += 1
                    try txn.put(index, prefixes[stream] + BigEndian.bytes(versions[stream]), key)
                }
            }
            written += count
        }
        let elapsed = seconds(since: start)
        return (elapsed, ProcessCounters.now(directory: directory.path) - before)
    }
}
