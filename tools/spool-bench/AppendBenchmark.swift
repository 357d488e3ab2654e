import BenchSupport
import Foundation
import Histogram
import JSON
import SpoolCore
import Synchronization

/// `spool-bench append`: in-process durable append throughput through `Engine.append`
/// (validation, encoding, the writer's group commit, fsync) in a fresh data directory per run.
///
/// Design: S submitters each keep W appends outstanding, so S × W "lanes" each append P
/// events (`--per-append`, default 1) to one stream at a time and wait for them to be
/// durable. The writer's batch can never exceed S × W × P events, which is why W = 16 is
/// reported beside W = 1. Streams are either each submitter's own few (keys of the `streams`
/// index arrive nearly in order) or a shared population of 100,000 users picked at random
/// (every index put lands on a random page).
enum AppendBenchmark {
    /// Which streams the lanes append to.
    enum StreamChoice: String, CaseIterable {
        /// Each submitter appends to its own `streamsPerSubmitter` streams.
        case own
        /// Every append picks one of `users` user streams at random.
        case random
    }

    struct Configuration {
        var layer: Layer
        var streams: StreamChoice
        var submitters: Int
        var window: Int
        /// Events per append request.
        var perAppend: Int
        var events: Int
        var timeLimit: Double
        var users: Int
        var streamsPerSubmitter: Int
        var base: String?
    }

    /// What one configuration measured.
    struct Outcome {
        var events: Int
        var seconds: Double
        var latency: Histogram<UInt64>
        var commits: Int
        var maxBatch: Int
        var counters: ProcessCounters
        var writerCPUSeconds: Double
    }

    static let options: Set<String> = [
        "events", "submitters", "window", "streams", "seconds", "dir", "users", "streams-per-submitter", "layer",
        "per-append",
    ]

    /// Runs every combination of the given stream choices, submitters and windows and prints a
    /// table row and a JSON line for each. Throws `UsageError` for bad options, or what opening
    /// or writing a data directory throws.
    static func run(_ arguments: Arguments) async throws {
        try arguments.check(known: options)
        let events = try arguments.integer("events", default: 1_000_000)
        let submitters = try arguments.integers("submitters", default: [1, 16, 64])
        let windows = try arguments.integers("window", default: [1])
        let perAppendCounts = try arguments.integers("per-append", default: [1])
        let timeLimit = try arguments.seconds("seconds", default: 60)
        let users = try arguments.integer("users", default: 100_000)
        let perSubmitter = try arguments.integer("streams-per-submitter", default: 4)
        var choices: [StreamChoice] = []
        for name in (arguments.string("streams") ?? "own,random").split(separator: ",") {
            guard let choice = StreamChoice(rawValue: String(name)) else {
                throw UsageError("--streams: expected own, random or own,random, got '\(name)'")
            }
            choices.append(choice)
        }
        var layers: [Layer] = []
        for name in (arguments.string("layer") ?? "engine").split(separator: ",") {
            guard let layer = Layer(rawValue: String(name)) else {
                throw UsageError("--layer: expected engine, log or engine,log, got '\(name)'")
            }
            layers.append(layer)
        }
        print(
            "append: \(Format.grouped(Double(events))) events of ~250 bytes per configuration (at most \(Format.fixed(timeLimit, 0)) s each), durable commits"
        )
        let report = ReportTable(columns: [
            ("layer", 6), ("streams", 7), ("subm", 4), ("window", 6), ("per app", 7), ("events", 9), ("secs", 6), ("events/s", 9),
            ("p50 ms", 7),
            ("p99 ms", 7), ("batch", 6), ("max", 5), ("disk KB/ev", 10), ("CPU us/ev", 9), ("writer us/ev", 12), ("writer %", 8),
            ("others %", 8),
        ])
        report.header()
        for layer in layers {
            for choice in choices {
                for submitterCount in submitters {
                    for window in windows {
                        for perAppend in perAppendCounts {
                            let configuration = Configuration(
                                layer: layer, streams: choice, submitters: submitterCount, window: window, perAppend: perAppend,
                                events: events, timeLimit: timeLimit, users: users, streamsPerSubmitter: perSubmitter,
                                base: arguments.string("dir"))
                            let outcome = try await measure(configuration)
                            record(outcome, of: configuration, in: report)
                        }
                    }
                }
            }
        }
        report.finish()
    }

    /// Runs one configuration in a fresh data directory, removed afterwards.
    static func measure(_ configuration: Configuration) async throws -> Outcome {
        let directory = try RunDirectory(base: configuration.base, name: "append")
        defer { directory.remove() }
        // The map is sparse; 4 GiB avoids growing it in the middle of a run.
        let target = try AppendTarget(layer: configuration.layer, directory: directory.path, mapSize: 4 << 30)
        defer { target.close() }
        // The observer runs on the writer thread after each commit, so it can read that
        // thread's CPU clock: the writer's own cost per event, apart from the submitters'.
        let batches = Mutex((commits: 0, maxBatch: 0, writerCPU: 0.0))
        target.writer.onCommit { summary in
            let cpu = ThreadCPU.current()
            batches.withLock { $0 = ($0.commits + 1, max($0.maxBatch, summary.events), cpu) }
        }
        let lanes = configuration.submitters * configuration.window
        let sampleID =
            configuration.streams == .own ? BenchEvents.ownUserID(submitter: 0, index: 0) : BenchEvents.sharedUserID(0)
        let before = ProcessCounters.now(directory: directory.path)
        let start = ContinuousClock.now
        let deadline = start + .milliseconds(Int(configuration.timeLimit * 1000))
        let (appended, latency) = try await withThrowingTaskGroup(of: (events: Int, latencies: [UInt32]).self) { group in
            for lane in 0..<lanes {
                let quota = configuration.events / lanes + (lane < configuration.events % lanes ? 1 : 0)
                group.addTask {
                    // Each lane its own events: one filler string shared by all lanes had its reference
                    // count bounced between the cores for every event encoded.
                    let events = BenchEvents(sampleUserID: sampleID)
                    return try await runLane(
                        lane, quota: quota, configuration: configuration, events: events, target: target, deadline: deadline)
                }
            }
            var total = 0
            var merged = latencyHistogram()
            for try await (events, latencies) in group {
                total += events
                for microseconds in latencies { merged.record(UInt64(microseconds)) }
            }
            return (total, merged)
        }
        let elapsed = seconds(since: start)
        let counters = ProcessCounters.now(directory: directory.path) - before
        let (commits, maxBatch, writerCPU) = batches.withLock { $0 }
        return Outcome(
            events: appended, seconds: elapsed, latency: latency, commits: commits, maxBatch: maxBatch, counters: counters,
            writerCPUSeconds: writerCPU)
    }

    /// Appends `quota` events, `configuration.perAppend` per request (or until `deadline`), and
    /// returns how many it appended and the time of each request from submit to durable
    /// acknowledgement, in microseconds. (Plain arrays: a histogram per lane would allocate
    /// ~300 KB for each of up to 1,024 lanes inside the measured time.)
    private static func runLane(
        _ lane: Int, quota: Int, configuration: Configuration, events: BenchEvents, target: AppendTarget,
        deadline: ContinuousClock.Instant
    ) async throws -> (events: Int, latencies: [UInt32]) {
        let submitter = lane / configuration.window
        let own = (0..<configuration.streamsPerSubmitter).map { BenchEvents.ownUserID(submitter: submitter, index: $0) }
        var random = SplitMix64(seed: UInt64(lane) &* 0x2545_F491_4F6C_DD1D &+ 1)
        var latencies: [UInt32] = []
        latencies.reserveCapacity(quota)
        var done = 0
        while done < quota && ContinuousClock.now < deadline {
            let userID =
                switch configuration.streams {
                case .own: own[(lane + done) % own.count]
                case .random: BenchEvents.sharedUserID(Int(random.next() % UInt64(configuration.users)))
                }
            let count = min(configuration.perAppend, quota - done)
            let request = events.append(userID: userID, sequence: done, count: count)
            let submitted = ContinuousClock.now
            try await target.append(request)
            let waited = ContinuousClock.now - submitted
            let microseconds = waited.components.seconds * 1_000_000 + waited.components.attoseconds / 1_000_000_000_000
            latencies.append(UInt32(clamping: microseconds))
            done += count
        }
        return (done, latencies)
    }

    /// Microseconds from 1 µs to 10 minutes, three significant digits.
    private static func latencyHistogram() -> Histogram<UInt64> {
        Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
    }

    private static func record(_ outcome: Outcome, of configuration: Configuration, in report: ReportTable) {
        let events = Double(max(outcome.events, 1))
        let rate = Double(outcome.events) / max(outcome.seconds, 1e-9)
        let p50 = Double(outcome.latency.valueAtPercentile(50)) / 1000
        let p99 = Double(outcome.latency.valueAtPercentile(99)) / 1000
        let averageBatch = Double(outcome.events) / Double(max(outcome.commits, 1))
        let diskPerEvent = Double(outcome.counters.bytesWritten) / events
        let cpuPerEvent = outcome.counters.cpuSeconds * 1e6 / events
        let writerPerEvent = outcome.writerCPUSeconds * 1e6 / events
        let writerShare = 100 * outcome.writerCPUSeconds / max(outcome.seconds, 1e-9)
        let othersShare = 100 * outcome.counters.othersSeconds / max(outcome.seconds, 1e-9)
        report.row(
            [
                configuration.layer.rawValue, configuration.streams.rawValue, String(configuration.submitters),
                String(configuration.window), String(configuration.perAppend),
                Format.grouped(Double(outcome.events)), Format.fixed(outcome.seconds, 1), Format.grouped(rate),
                Format.fixed(p50, 2), Format.fixed(p99, 2), Format.fixed(averageBatch, 1), String(outcome.maxBatch),
                Format.fixed(diskPerEvent / 1024, 2), Format.fixed(cpuPerEvent, 2), Format.fixed(writerPerEvent, 2),
                Format.fixed(writerShare, 0), Format.fixed(othersShare, 0),
            ],
            json: [
                "bench": "append", "layer": .string(configuration.layer.rawValue), "streams": .string(configuration.streams.rawValue),
                "submitters": .int(Int64(configuration.submitters)), "window": .int(Int64(configuration.window)),
                "events_per_append": .int(Int64(configuration.perAppend)),
                "events": .int(Int64(outcome.events)), "seconds": .double(rounded(outcome.seconds, 3)),
                "events_per_s": .int(Int64(rate.rounded())), "p50_ms": .double(rounded(p50, 3)), "p99_ms": .double(rounded(p99, 3)),
                "commits": .int(Int64(outcome.commits)), "avg_batch": .double(rounded(averageBatch, 1)),
                "max_batch": .int(Int64(outcome.maxBatch)), "disk_bytes_per_event": .int(Int64(diskPerEvent.rounded())),
                "cpu_us_per_event": .double(rounded(cpuPerEvent, 2)), "writer_cpu_us_per_event": .double(rounded(writerPerEvent, 2)),
                "writer_cpu_percent": .double(rounded(writerShare, 1)), "others_cpu_percent": .double(rounded(othersShare, 1)),
                "steal_cpu_percent": .double(rounded(100 * outcome.counters.stealSeconds / max(outcome.seconds, 1e-9), 1)),
            ])
    }
}

/// `value` rounded to `places` decimals, for the JSON lines.
func rounded(_ value: Double, _ places: Int) -> Double {
    let scale = pow(10, Double(places))
    return (value * scale).rounded() / scale
}
