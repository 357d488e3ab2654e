import BenchSupport
import Foundation
import JSON
import SpoolCore

/// `spool-bench emails`: the email projector's throughput and lag, in-process (issue 6).
///
/// 1. Throughput: U new users (UserCreated each, plus `--events-per-user − 1` more events of
///    the `UserHistory` mix) are appended with the projector stopped; then `startEmails` with
///    the shipped rules and templates, timed until the projector's subscription has acked
///    every user event. Events/s counts user events through the projector, emails/s the
///    EmailGenerated events appended.
/// 2. Lag: with the projector running and caught up, new users are appended at a steady rate
///    (one UserCreated per append, each in its own task, so appends share commits as a
///    server's would); a reader woken by every commit reads what it made readable, and the lag
///    of a user is from its UserCreated's acknowledgement to the commit that holds its welcome
///    EmailGenerated being read.
/// Rejected: polling `email-<id>` streams (the poll interval would be the resolution).
enum EmailBenchmark {
    static let options: Set<String> = ["users", "events-per-user", "per-append", "submitters", "window", "lag-users", "rate", "dir"]

    /// What went wrong in a run (not a usage mistake): the projector did not finish.
    struct Stalled: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs the throughput and the lag measurements and prints a table and JSON lines for each.
    /// Throws `UsageError` for bad options, `Stalled` when the projector stops making progress,
    /// or what the engine throws.
    static func run(_ arguments: Arguments) async throws {
        try arguments.check(known: options)
        let users = try arguments.integer("users", default: 100_000)
        let perUser = try arguments.integer("events-per-user", default: 1)
        let perAppend = try arguments.integer("per-append", default: 4)
        let lanes = try arguments.integer("submitters", default: 64) * arguments.integer("window", default: 16)
        let lagUsers = try arguments.integer("lag-users", default: 3000)
        let rates = try arguments.integers("rate", default: [500, 1000, 2000])
        let history = try UserHistory(users: users, events: users * perUser, perAppend: perAppend)
        let directory = try RunDirectory(base: arguments.string("dir"), name: "emails")
        defer { directory.remove() }
        let (engine, watch, fill) = try await HistoryFill.engine(filledWith: history, lanes: lanes, in: directory)
        defer { engine.close() }
        print(
            "emails: \(Format.grouped(Double(users))) new users, \(Format.grouped(Double(history.events))) user events appended in \(Format.fixed(fill.seconds, 1)) s with the projector stopped; shipped rules and templates"
        )
        let userHead = try engine.log.head().seq
        let report = ReportTable(columns: [
            ("users", 7), ("events", 9), ("emails", 9), ("secs", 6), ("events/s", 9), ("emails/s", 9), ("commits", 7),
            ("writer us/ev", 12), ("CPU us/ev", 9), ("dead", 4), ("others %", 8),
        ])
        report.header()
        let commitsBefore = watch.snapshot
        let before = ProcessCounters.now(directory: directory.path)
        let start = ContinuousClock.now
        try await engine.startEmails(EmailCatalog())
        let info = try await waitForProjector(engine, watch: watch, through: userHead)
        let done = watch.snapshot
        let elapsed = ((done.lastCommit ?? start) - start).inSeconds
        let counters = ProcessCounters.now(directory: directory.path) - before
        let emails = done.headSeq - userHead
        let events = Double(max(userHead, 1))
        let writer = (done.writerCPU - commitsBefore.writerCPU) * 1e6 / events
        let cpu = counters.cpuSeconds * 1e6 / events
        let others = 100 * counters.othersSeconds / max(elapsed, 1e-9)
        report.row(
            [
                Format.grouped(Double(users)), Format.grouped(Double(userHead)), Format.grouped(Double(emails)), Format.fixed(elapsed, 1),
                Format.grouped(Double(userHead) / max(elapsed, 1e-9)), Format.grouped(Double(emails) / max(elapsed, 1e-9)),
                Format.grouped(Double(done.commits - commitsBefore.commits)), Format.fixed(writer, 2), Format.fixed(cpu, 2),
                String(info.deadLetters), Format.fixed(others, 0),
            ],
            json: [
                "bench": "emails", "users": .int(Int64(users)), "events": .int(Int64(userHead)), "emails": .int(Int64(emails)),
                "seconds": .double(rounded(elapsed, 3)), "events_per_s": .int(Int64((Double(userHead) / max(elapsed, 1e-9)).rounded())),
                "emails_per_s": .int(Int64((Double(emails) / max(elapsed, 1e-9)).rounded())),
                "commits": .int(Int64(done.commits - commitsBefore.commits)), "writer_cpu_us_per_event": .double(rounded(writer, 2)),
                "cpu_us_per_event": .double(rounded(cpu, 2)), "dead_letters": .int(Int64(info.deadLetters)),
                "others_cpu_percent": .double(rounded(others, 1)),
            ])
        report.finish()

        print("\nlag: UserCreated acknowledged -> its EmailGenerated readable, users appended at a steady rate")
        let lagReport = ReportTable(columns: [
            ("rate/s", 6), ("users", 6), ("achieved/s", 10), ("p50 ms", 7), ("p90 ms", 7), ("p99 ms", 7), ("max ms", 7), ("missing", 7),
            ("others %", 8),
        ])
        lagReport.header()
        var firstUser = users
        for rate in rates {
            let newUsers = try UserHistory(users: lagUsers, events: lagUsers, perAppend: 1, firstUser: firstUser, seed: UInt64(rate))
            firstUser += lagUsers
            try await lag(engine, watch: watch, users: newUsers, rate: rate, directory: directory.path, in: lagReport)
        }
        lagReport.finish()
    }

    /// Waits until the projector's subscription has acked everything through `seq` and the
    /// writer has been quiet for 100 ms. Throws `Stalled` after 10 s without a commit.
    private static func waitForProjector(_ engine: Engine, watch: CommitWatch, through seq: UInt64) async throws
        -> SubscriptionHub.Info
    {
        while true {
            try await Task.sleep(for: .milliseconds(20))
            let last = watch.snapshot.lastCommit ?? .now
            let quiet = ContinuousClock.now - last
            guard quiet > .milliseconds(100) else { continue }
            let info = try engine.subscriptions.info(EmailProjector.subscription)
            if info.ackFloor >= seq && info.inFlight == 0 { return info }
            if quiet > .seconds(10) {
                throw Stalled(
                    description: "the email projector stopped at ack floor \(info.ackFloor) of \(seq) (\(info.deadLetters) dead letters)")
            }
        }
    }

    /// Appends `users` at `rate` per second and measures each one's lag.
    private static func lag(
        _ engine: Engine, watch: CommitWatch, users: UserHistory, rate: Int, directory: String, in report: ReportTable
    ) async throws {
        let acknowledged = Shared<[String: ContinuousClock.Instant]>([:])
        let readable = Shared<[String: ContinuousClock.Instant]>([:])
        let startSeq = try engine.log.head().seq + 1
        let heads = watch.heads()
        let reader = Task {
            var next = startSeq
            for await _ in heads {
                guard let page = try? engine.log.read(from: next, limit: 100_000) else { continue }
                let now = ContinuousClock.now
                readable.withLock { readable in
                    for event in page.events {
                        next = event.seq + 1
                        guard event.type == "EmailGenerated", event.stream.hasPrefix("email-") else { continue }
                        let user = String(event.stream.dropFirst("email-".count))
                        if readable[user] == nil { readable[user] = now }
                    }
                }
            }
        }
        defer {
            watch.stopHeads()
            reader.cancel()
        }
        let before = ProcessCounters.now(directory: directory)
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            var requests = users.lane(0, of: 1)
            var index = 0
            while let request = requests.next() {
                try await Task.sleep(until: start + .microseconds(index * 1_000_000 / rate), clock: .continuous)
                let user = users.userID(index)
                group.addTask {
                    _ = try await engine.append(request, actor: "bench")
                    let now = ContinuousClock.now
                    acknowledged.withLock { $0[user] = now }
                }
                index += 1
            }
            try await group.waitForAll()
        }
        let produced = seconds(since: start)
        let deadline = ContinuousClock.now + .seconds(30)
        while readable.withLock({ $0.count }) < users.users && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        let elapsed = seconds(since: start)
        let counters = ProcessCounters.now(directory: directory) - before
        var latency = LatencyHistogram()
        let stamps = readable.withLock { $0 }
        var missing = 0
        for (user, acked) in acknowledged.withLock({ $0 }) {
            guard let seen = stamps[user] else {
                missing += 1
                continue
            }
            latency.record(seen - acked)
        }
        let achieved = Double(users.users) / max(produced, 1e-9)
        let others = 100 * counters.othersSeconds / max(elapsed, 1e-9)
        report.row(
            [
                String(rate), String(users.users), Format.grouped(achieved), Format.fixed(latency.microseconds(50) / 1000, 2),
                Format.fixed(latency.microseconds(90) / 1000, 2), Format.fixed(latency.microseconds(99) / 1000, 2),
                Format.fixed(latency.maxMicroseconds / 1000, 2), String(missing), Format.fixed(others, 0),
            ],
            json: .object(
                JSONObject(
                    [
                        JSONMember("bench", "emails-lag"), JSONMember("rate", .int(Int64(rate))),
                        JSONMember("users", .int(Int64(users.users))),
                        JSONMember("achieved_per_s", .int(Int64(achieved.rounded()))), JSONMember("missing", .int(Int64(missing))),
                        JSONMember("others_cpu_percent", .double(rounded(others, 1))),
                    ] + latency.json(prefix: "lag"))))
    }
}
