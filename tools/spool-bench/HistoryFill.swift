import Foundation
import JSON
import SpoolCore

/// Appends a `UserHistory` from many concurrent lanes, each with one append outstanding, and
/// measures it: the way the view, subscription and email benchmarks fill a data directory.
///
/// Design: lanes stand for S submitters × W outstanding appends (as in `spool-bench append`),
/// so the writer's batches grow to hundreds of appends; a lane's appends are one user's
/// events each (one stream per append). Latency is from submit to the durable answer.
enum HistoryFill {
    /// What one fill measured.
    struct Outcome {
        var events = 0
        var appends = 0
        var seconds = 0.0
        var latency = LatencyHistogram()
        var counters = ProcessCounters(bytesWritten: 0, cpuSeconds: 0, machineBusySeconds: 0, stealSeconds: 0)
        var commits = 0
        var maxBatch = 0
        var writerCPUSeconds = 0.0

        /// The JSON fields of the fill, for a configuration's JSON line.
        var json: [JSONMember] {
            let perEvent = Double(max(events, 1))
            return [
                JSONMember("events", .int(Int64(events))), JSONMember("appends", .int(Int64(appends))),
                JSONMember("seconds", .double(rounded(seconds, 3))),
                JSONMember("events_per_s", .int(Int64(eventsPerSecond.rounded()))), JSONMember("commits", .int(Int64(commits))),
                JSONMember("avg_batch", .double(rounded(Double(events) / Double(max(commits, 1)), 1))),
                JSONMember("max_batch", .int(Int64(maxBatch))),
                JSONMember("writer_cpu_us_per_event", .double(rounded(writerCPUSeconds * 1e6 / perEvent, 2))),
                JSONMember("cpu_us_per_event", .double(rounded(counters.cpuSeconds * 1e6 / perEvent, 2))),
                JSONMember("disk_bytes_per_event", .int(Int64((Double(counters.bytesWritten) / perEvent).rounded()))),
                JSONMember("others_cpu_percent", .double(rounded(othersPercent, 1))),
            ] + latency.json(prefix: "append")
        }

        var eventsPerSecond: Double { Double(events) / max(seconds, 1e-9) }
        var othersPercent: Double { 100 * counters.othersSeconds / max(seconds, 1e-9) }
    }

    /// Appends all of `history` through `append` from `lanes` lanes; `watch` is the writer's.
    /// Throws the first error an append throws.
    static func run(
        _ history: UserHistory, lanes: Int, watch: CommitWatch, directory: String,
        append: @escaping @Sendable (AppendRequest) async throws -> Void
    ) async throws -> Outcome {
        watch.resetMaxBatch()
        let commitsBefore = watch.snapshot
        let before = ProcessCounters.now(directory: directory)
        let start = ContinuousClock.now
        // Plain arrays per lane: a histogram each would allocate ~240 KB for each of up to
        // a thousand lanes inside the measured time.
        let (appends, latency) = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for lane in 0..<lanes {
                group.addTask {
                    var requests = history.lane(lane, of: lanes)
                    var latencies: [Int64] = []
                    while let request = requests.next() {
                        let submitted = ContinuousClock.now
                        try await append(request)
                        latencies.append((ContinuousClock.now - submitted).nanoseconds)
                    }
                    return latencies
                }
            }
            var total = 0
            var merged = LatencyHistogram()
            for try await latencies in group {
                total += latencies.count
                for nanoseconds in latencies { merged.record(.nanoseconds(nanoseconds)) }
            }
            return (total, merged)
        }
        var outcome = Outcome()
        outcome.seconds = seconds(since: start)
        outcome.counters = ProcessCounters.now(directory: directory) - before
        let commitsAfter = watch.snapshot
        outcome.events = history.events
        outcome.appends = appends
        outcome.latency = latency
        outcome.commits = commitsAfter.commits - commitsBefore.commits
        outcome.maxBatch = commitsAfter.maxBatch
        outcome.writerCPUSeconds = commitsAfter.writerCPU - commitsBefore.writerCPU
        return outcome
    }
}

extension HistoryFill {
    /// Opens an engine in `directory` (its map sized so it never grows mid-run) and appends
    /// `history` through `Engine.append`: validation, the log and the inline views. The caller
    /// closes the engine.
    static func engine(
        filledWith history: UserHistory, lanes: Int, in directory: RunDirectory
    ) async throws -> (engine: Engine, watch: CommitWatch, fill: Outcome) {
        var options = Engine.Options()
        options.mapSize = 8 << 30  // sparse; no growing in the middle of a run
        let engine = try Engine(directory: directory.path, options: options)
        do {
            let watch = CommitWatch(writer: try engine.requireWriter())
            let fill = try await run(history, lanes: lanes, watch: watch, directory: directory.path) {
                _ = try await engine.append($0, actor: "bench")
            }
            return (engine, watch, fill)
        } catch {
            engine.close()
            throw error
        }
    }
}
