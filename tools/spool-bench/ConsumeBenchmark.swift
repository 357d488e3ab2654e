import BenchSupport
import Foundation
import JSON
import SpoolCore

/// `spool-bench consume`: how fast a subscription drains a backlog, in-process (issue 5's
/// consume throughput without the protocol and TCP).
///
/// The backlog is a `UserHistory` appended through `Engine.append` (views on, as a server
/// runs). For each batch size and consumer count a fresh subscription from the beginning is
/// drained by C consumer tasks, each looping `fetch(max: batch, wait 0)` then `ack` of the
/// whole batch; both are durable (a fetch writes delivery counts, an ack the floor), so one
/// round trip costs two commits. Then, with `--wake-events`, the long poll: one producer
/// appends single events at `--rate` per second while one consumer waits in
/// `fetch(wait: 1000 ms)`; the latency is from the append's acknowledgement (and from its
/// submit) to the fetch returning the event.
enum ConsumeBenchmark {
    static let options: Set<String> = [
        "backlog", "batch", "consumers", "users", "per-append", "submitters", "window", "wake-events", "rate", "dir",
    ]

    /// A drain that did not deliver every event once: the engine or the benchmark is wrong.
    struct Mismatch: Error, CustomStringConvertible {
        let description: String
    }

    /// Fills the backlog, runs every (batch, consumers) pair and the wake latency, printing a
    /// table and JSON lines. Throws `UsageError` for bad options, or what the engine throws.
    static func run(_ arguments: Arguments) async throws {
        try arguments.check(known: options)
        let backlog = try arguments.integer("backlog", default: 1_000_000)
        let batches = try arguments.integers("batch", default: [100, 1000])
        let consumerCounts = try arguments.integers("consumers", default: [1])
        let users = try arguments.integer("users", default: 10_000)
        let perAppend = try arguments.integer("per-append", default: 50)
        let lanes = try arguments.integer("submitters", default: 64) * arguments.integer("window", default: 4)
        let wakeEvents = try arguments.integers("wake-events", default: [2000], minimum: 0)[0]
        let rate = try arguments.integer("rate", default: 1000)
        let history = try UserHistory(users: min(users, backlog), events: backlog, perAppend: perAppend)
        let directory = try RunDirectory(base: arguments.string("dir"), name: "consume")
        defer { directory.remove() }
        let (engine, watch, fill) = try await HistoryFill.engine(filledWith: history, lanes: lanes, in: directory)
        defer { engine.close() }
        print(
            "consume: a backlog of \(Format.grouped(Double(backlog))) user events (\(Format.grouped(Double(history.users))) users) appended in \(Format.fixed(fill.seconds, 1)) s; fetch(max: batch, wait 0) + ack of the batch, durable"
        )
        let report = ReportTable(columns: [
            ("batch", 5), ("consumers", 9), ("events", 9), ("secs", 6), ("events/s", 9), ("fetch p50 ms", 12), ("fetch p99 ms", 12),
            ("ack p50 ms", 10), ("ack p99 ms", 10), ("commits", 7), ("writer us/ev", 12), ("CPU us/ev", 9), ("others %", 8),
        ])
        report.header()
        for batch in batches {
            for consumers in consumerCounts {
                try await drain(engine, watch: watch, batch: batch, consumers: consumers, directory: directory.path, in: report)
            }
        }
        report.finish()
        if wakeEvents > 0 {
            print("\nlong poll: append acknowledged -> fetch(max: 100, wait 1000 ms) returns it; one event per append, \(rate)/s")
            try await wake(engine, events: wakeEvents, rate: rate, directory: directory.path)
        }
    }

    /// Drains a fresh subscription from the beginning with `consumers` tasks.
    private static func drain(
        _ engine: Engine, watch: CommitWatch, batch: Int, consumers: Int, directory: String, in report: ReportTable
    ) async throws {
        let hub = engine.subscriptions
        let name = "bench-\(batch)-\(consumers)"
        try await hub.create(SubscriptionConfig(name: name, start: .beginning, ackTimeoutMilliseconds: 3_600_000))
        let head = try engine.log.head().seq
        let commitsBefore = watch.snapshot
        let before = ProcessCounters.now(directory: directory)
        let start = ContinuousClock.now
        let (consumed, fetches, acks) = try await withThrowingTaskGroup(of: (Int, [Int64], [Int64]).self) { group in
            for consumer in 0..<consumers {
                group.addTask {
                    var consumed = 0
                    var fetches: [Int64] = []
                    var acks: [Int64] = []
                    while true {
                        let asked = ContinuousClock.now
                        let deliveries = try await hub.fetch(name, max: batch, waitMilliseconds: 0, consumer: "consumer-\(consumer)")
                        let fetched = ContinuousClock.now
                        if deliveries.isEmpty { break }
                        try await hub.ack(name, deliveries.map(\.seq))
                        fetches.append((fetched - asked).nanoseconds)
                        acks.append((ContinuousClock.now - fetched).nanoseconds)
                        consumed += deliveries.count
                    }
                    return (consumed, fetches, acks)
                }
            }
            var total = 0
            var fetches = LatencyHistogram()
            var acks = LatencyHistogram()
            for try await (consumed, fetchTimes, ackTimes) in group {
                total += consumed
                for time in fetchTimes { fetches.record(.nanoseconds(time)) }
                for time in ackTimes { acks.record(.nanoseconds(time)) }
            }
            return (total, fetches, acks)
        }
        let elapsed = seconds(since: start)
        let counters = ProcessCounters.now(directory: directory) - before
        let commitsAfter = watch.snapshot
        try await hub.delete(name)
        guard UInt64(consumed) == head else {
            throw Mismatch(description: "consume: \(name) delivered \(consumed) events of \(head)")
        }
        let events = Double(max(consumed, 1))
        let rate = Double(consumed) / max(elapsed, 1e-9)
        let commits = commitsAfter.commits - commitsBefore.commits
        let writer = (commitsAfter.writerCPU - commitsBefore.writerCPU) * 1e6 / events
        let cpu = counters.cpuSeconds * 1e6 / events
        let others = 100 * counters.othersSeconds / max(elapsed, 1e-9)
        report.row(
            [
                String(batch), String(consumers), Format.grouped(Double(consumed)), Format.fixed(elapsed, 1), Format.grouped(rate),
                Format.fixed(fetches.microseconds(50) / 1000, 2), Format.fixed(fetches.microseconds(99) / 1000, 2),
                Format.fixed(acks.microseconds(50) / 1000, 2), Format.fixed(acks.microseconds(99) / 1000, 2),
                Format.grouped(Double(commits)), Format.fixed(writer, 2), Format.fixed(cpu, 2), Format.fixed(others, 0),
            ],
            json: .object(
                JSONObject(
                    [
                        JSONMember("bench", "consume"), JSONMember("batch", .int(Int64(batch))),
                        JSONMember("consumers", .int(Int64(consumers))),
                        JSONMember("events", .int(Int64(consumed))), JSONMember("seconds", .double(rounded(elapsed, 3))),
                        JSONMember("events_per_s", .int(Int64(rate.rounded()))), JSONMember("commits", .int(Int64(commits))),
                        JSONMember("writer_cpu_us_per_event", .double(rounded(writer, 2))),
                        JSONMember("cpu_us_per_event", .double(rounded(cpu, 2))),
                        JSONMember("others_cpu_percent", .double(rounded(others, 1))),
                    ] + fetches.json(prefix: "fetch") + acks.json(prefix: "ack"))))
    }

    /// The long poll's latency: a producer at `rate` appends/s, a consumer waiting in fetch.
    private static func wake(_ engine: Engine, events: Int, rate: Int, directory: String) async throws {
        let hub = engine.subscriptions
        let name = "bench-wake"
        try await hub.create(SubscriptionConfig(name: name, start: .end, ackTimeoutMilliseconds: 60_000))
        let appended = Shared<[UInt64: (submitted: ContinuousClock.Instant, acknowledged: ContinuousClock.Instant)]>([:])
        let bench = BenchEvents(sampleUserID: BenchEvents.sharedUserID(0))
        let before = ProcessCounters.now(directory: directory)
        let start = ContinuousClock.now
        let received = try await withThrowingTaskGroup(of: [UInt64: ContinuousClock.Instant].self) { group in
            group.addTask {
                for index in 0..<events {
                    try await Task.sleep(until: start + .microseconds(index * 1_000_000 / rate), clock: .continuous)
                    let submitted = ContinuousClock.now
                    let result = try await engine.append(
                        bench.append(userID: BenchEvents.sharedUserID(index % 1000), sequence: index), actor: "bench")
                    let acknowledged = ContinuousClock.now
                    appended.withLock { $0[result.lastSeq] = (submitted, acknowledged) }
                }
                return [:]
            }
            group.addTask {
                var received: [UInt64: ContinuousClock.Instant] = [:]
                while received.count < events {
                    let deliveries = try await hub.fetch(name, max: 100, waitMilliseconds: 1000, consumer: "waker")
                    let now = ContinuousClock.now
                    for delivery in deliveries { received[delivery.seq] = now }
                    if !deliveries.isEmpty { try await hub.ack(name, deliveries.map(\.seq)) }
                }
                return received
            }
            var received: [UInt64: ContinuousClock.Instant] = [:]
            for try await part in group { received.merge(part) { first, _ in first } }
            return received
        }
        let elapsed = seconds(since: start)
        let counters = ProcessCounters.now(directory: directory) - before
        try await hub.delete(name)
        var fromAck = LatencyHistogram()
        var fromSubmit = LatencyHistogram()
        var early = 0
        for (seq, times) in appended.withLock({ $0 }) {
            guard let at = received[seq] else { continue }
            if at < times.acknowledged { early += 1 }
            fromAck.record(at - times.acknowledged)
            fromSubmit.record(at - times.submitted)
        }
        let others = 100 * counters.othersSeconds / max(elapsed, 1e-9)
        let report = ReportTable(columns: [
            ("from", 7), ("events", 6), ("p50 ms", 7), ("p90 ms", 7), ("p99 ms", 7), ("max ms", 7), ("early", 5), ("others %", 8),
        ])
        report.header()
        for (label, latency) in [("ack", fromAck), ("submit", fromSubmit)] {
            report.row(
                [
                    label, String(latency.count), Format.fixed(latency.microseconds(50) / 1000, 2),
                    Format.fixed(latency.microseconds(90) / 1000, 2), Format.fixed(latency.microseconds(99) / 1000, 2),
                    Format.fixed(latency.maxMicroseconds / 1000, 2), label == "ack" ? String(early) : "-", Format.fixed(others, 0),
                ],
                json: .object(
                    JSONObject(
                        [
                            JSONMember("bench", "consume-wake"), JSONMember("from", .string(label)),
                            JSONMember("events", .int(Int64(latency.count))),
                            JSONMember("rate", .int(Int64(rate))), JSONMember("fetched_before_ack", .int(Int64(early))),
                            JSONMember("others_cpu_percent", .double(rounded(others, 1))),
                        ] + latency.json(prefix: "latency"))))
        }
        report.finish()
    }
}
