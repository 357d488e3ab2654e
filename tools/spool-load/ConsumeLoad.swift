import BenchSupport
import Foundation
import Histogram
import JSON
import NIOPosix

/// `spool-load spool-consume` and `redis-consume`: consume throughput from a backlog. The
/// backlog is appended first (`--preload`, default 1,000,000 events, the same events as the
/// append modes), then for each batch size a fresh subscription (Spool, `start: beginning`)
/// or consumer group (Redis, from id 0) drains all of it with C competing consumers, for each
/// C given.
enum ConsumeLoad {
    static let options: Set<String> = [
        "host", "port", "batch", "connections", "preload", "seconds", "server-pid", "threads", "key", "data-size",
        "streams-per-connection",
    ]

    /// Preloads, then runs one drain per consumer count and batch size (each on a fresh
    /// subscription or group over the whole backlog); prints a row and a JSON line for each.
    /// Throws `UsageError` for bad options, `LoadError` when the server refuses a request.
    static func run(_ arguments: Arguments, target: AppendLoad.Target, group: MultiThreadedEventLoopGroup) async throws {
        try arguments.check(known: options)
        let batches = try arguments.integers("batch", default: [100, 1000])
        let consumerCounts = try arguments.integers("connections", default: [1])
        let preload = try arguments.integers("preload", default: [1_000_000], minimum: 0)[0]
        let seconds = try arguments.seconds("seconds", default: 60)
        let key = arguments.string("key") ?? "spool-load-backlog"
        let load = LoadEvents(
            dataSize: try arguments.integer("data-size", default: 250),
            streamsPerConnection: try arguments.integer("streams-per-connection", default: 4))
        let runner = LoadRunner(host: arguments.string("host") ?? "127.0.0.1", port: try arguments.port(), group: group)
        let serverPID = try arguments.serverPID()

        if preload > 0 {
            let (events, elapsed) = try await fill(preload, target: target, key: key, load: load, runner: runner)
            print("preloaded \(Format.grouped(Double(events))) events in \(Format.fixed(elapsed, 1)) s", terminator: "")
            print(" (\(Format.grouped(Double(events) / elapsed)) events/s)\n")
        }
        let report = ReportTable(columns: [
            ("server", 6), ("batch", 5), ("consumers", 9), ("backlog", 9), ("acked", 9), ("events/s", 9), ("fetch p50", 9),
            ("fetch p99", 9), ("ack p50", 7), ("ack p99", 7), ("client %", 8), ("server %", 8), ("others %", 8),
        ])
        report.header()
        let tag = "\(getpid())-\(Int(Date().timeIntervalSince1970))"
        for consumers in consumerCounts {
            for batch in batches {
                let timeLimit = UInt64(seconds * 1e9)
                let backlog: Int
                let run: LoadRunner.Run<ConsumeResult>
                let name = "load-b\(batch)-c\(consumers)-\(tag)"
                switch target {
                case .spool:
                    backlog = try await createSubscription(name, runner: runner)
                    run = try await runner.run(connections: consumers, serverPID: serverPID) { _ in
                        SpoolConsumeSession(subscription: name, batch: batch, timeLimit: timeLimit)
                    }
                    _ = try await runner.spool([#"{"op":"sub_delete","name":"\#(name)"}"#])
                case .redis:
                    backlog = try await createGroup(name, key: key, runner: runner)
                    run = try await runner.run(connections: consumers, serverPID: serverPID) { index in
                        RedisConsumeSession(key: key, group: name, consumer: "c\(index)", batch: batch, timeLimit: timeLimit)
                    }
                    _ = try await runner.redis([["XGROUP", "DESTROY", key, name]])
                }
                row(report, target: target, batch: batch, consumers: consumers, backlog: backlog, run: run)
            }
        }
        report.finish()
    }

    /// Appends `count` events (Spool: 100 per `append`, 4 connections × 8 outstanding; Redis:
    /// one per `XADD`, 8 connections × 64 outstanding). Returns the events and the seconds taken.
    private static func fill(
        _ count: Int, target: AppendLoad.Target, key: String, load: LoadEvents, runner: LoadRunner
    ) async throws -> (Int, Double) {
        let perRequest = target == .spool ? 100 : 1
        let connections = target == .spool ? 4 : 8
        let window = target == .spool ? 8 : 64
        let requests = (count + perRequest - 1) / perRequest
        let run: LoadRunner.Run<AppendResult>
        switch target {
        case .spool:
            run = try await runner.run(connections: connections, serverPID: nil) { index in
                AppendSession<SpoolAppendReader>(
                    requests: load.spoolAppends(connection: 1_000 + index, eventsPerAppend: perRequest),
                    total: requests / connections + (index < requests % connections ? 1 : 0), window: window, timeLimit: .max / 2)
            }
        case .redis:
            run = try await runner.run(connections: connections, serverPID: nil) { index in
                AppendSession<RedisAppendReader>(
                    requests: load.redisAdds(connection: 1_000 + index, key: key),
                    total: requests / connections + (index < requests % connections ? 1 : 0), window: window, timeLimit: .max / 2)
            }
        }
        return (run.results.reduce(0) { $0 + $1.completed } * perRequest, run.seconds)
    }

    /// Creates Spool subscription `name` from the beginning; returns its lag (the backlog).
    private static func createSubscription(_ name: String, runner: LoadRunner) async throws -> Int {
        let replies = try await runner.spool([
            #"{"op":"sub_create","name":"\#(name)","start":"beginning"}"#, #"{"op":"sub_info","name":"\#(name)"}"#,
        ])
        guard replies.count == 2, replies.allSatisfy({ $0.hasPrefix(#"{"ok":true"#) }),
            let info = try? JSONParser.parse(replies[1]), let lag = info["subscription"]?["lag"]?.intValue
        else { throw LoadError("sub_create/sub_info \(name): the server answered \(replies)") }
        return Int(lag)
    }

    /// Creates Redis consumer group `name` on `key` from id 0; returns the stream's length.
    private static func createGroup(_ name: String, key: String, runner: LoadRunner) async throws -> Int {
        let replies = try await runner.redis([["XGROUP", "CREATE", key, name, "0", "MKSTREAM"], ["XLEN", key]])
        guard replies.count == 2, replies[0] == "OK", replies[1].hasPrefix(":"), let length = Int(replies[1].dropFirst()) else {
            throw LoadError("XGROUP CREATE/XLEN \(key): Redis answered \(replies)")
        }
        return length
    }

    private static func row(
        _ report: ReportTable, target: AppendLoad.Target, batch: Int, consumers: Int, backlog: Int, run: LoadRunner.Run<ConsumeResult>
    ) {
        var fetchLatency = Latency.histogram()
        var ackLatency = Latency.histogram()
        var total = ConsumeResult()
        for result in run.results {
            fetchLatency.add(result.fetchLatency)
            ackLatency.add(result.ackLatency)
            total.fetches += result.fetches
            total.delivered += result.delivered
            total.acked += result.acked
            total.outOfOrder += result.outOfOrder
        }
        let rate = Double(total.acked) / run.seconds
        let counters = run.counters
        let clientPercent = LoadCounters.percent(counters.clientSeconds, of: run.seconds)
        let serverPercent = LoadCounters.percent(counters.serverSeconds, of: run.seconds)
        let othersPercent = LoadCounters.percent(counters.othersSeconds, of: run.seconds)
        let json: JSONValue = [
            "bench": "consume", "server": .string(target.rawValue), "batch": .int(Int64(batch)), "consumers": .int(Int64(consumers)),
            "backlog": .int(Int64(backlog)), "delivered": .int(Int64(total.delivered)), "events": .int(Int64(total.acked)),
            "fetches": .int(Int64(total.fetches)), "out_of_order": .int(Int64(total.outOfOrder)), "seconds": .double(run.seconds),
            "events_per_s": .int(Int64(rate.rounded())),
            "fetch_p50_ms": .double(Latency.milliseconds(fetchLatency, 50)),
            "fetch_p99_ms": .double(Latency.milliseconds(fetchLatency, 99)),
            "ack_p50_ms": .double(Latency.milliseconds(ackLatency, 50)), "ack_p99_ms": .double(Latency.milliseconds(ackLatency, 99)),
            "client_cpu_percent": .double(clientPercent), "server_cpu_percent": .double(serverPercent),
            "others_cpu_percent": .double(othersPercent),
            "server_cpu_us_per_event": .double(LoadCounters.microseconds(counters.serverSeconds, perEvent: total.acked)),
            "client_cpu_us_per_event": .double(LoadCounters.microseconds(counters.clientSeconds, perEvent: total.acked)),
        ]
        report.row(
            [
                target.rawValue, "\(batch)", "\(consumers)", Format.grouped(Double(backlog)), Format.grouped(Double(total.acked)),
                Format.grouped(rate), Format.fixed(Latency.milliseconds(fetchLatency, 50), 2),
                Format.fixed(Latency.milliseconds(fetchLatency, 99), 2), Format.fixed(Latency.milliseconds(ackLatency, 50), 2),
                Format.fixed(Latency.milliseconds(ackLatency, 99), 2), Format.fixed(clientPercent, 0), Format.fixed(serverPercent, 0),
                Format.fixed(othersPercent, 0),
            ], json: json)
        if total.acked != backlog || total.outOfOrder > 0 {
            print(
                "  note: \(Format.grouped(Double(total.acked))) acked of a backlog of \(Format.grouped(Double(backlog)))"
                    + " (\(total.delivered) delivered, \(total.outOfOrder) out of order)")
        }
    }
}
