import BenchSupport
import Histogram
import JSON
import NIOPosix

/// `spool-load spool-append` and `redis-xadd`: durable appends over TCP from C connections,
/// each keeping W requests outstanding (pipelined), for every C × W asked for; a request
/// carries P events (`--per-append`: one Spool `append` of P events, or P `XADD`s in one
/// `MULTI`/`EXEC`). The same events go to both servers, so one client measures both the same way.
enum AppendLoad {
    /// The server a run loads.
    enum Target: String {
        case spool
        case redis
    }

    static let options: Set<String> = [
        "host", "port", "connections", "window", "events", "seconds", "server-pid", "threads", "key", "data-size",
        "streams-per-connection", "per-append", "changing-attributes",
    ]

    /// Runs every connections × window configuration and prints a row and a JSON line for each.
    /// Throws `UsageError` for bad options, `LoadError` when the server refuses an append or
    /// drops a connection.
    static func run(_ arguments: Arguments, target: Target, group: MultiThreadedEventLoopGroup) async throws {
        try arguments.check(known: options)
        let connectionCounts = try arguments.integers("connections", default: [1, 8, 64])
        let windows = try arguments.integers("window", default: [1, 32])
        let perAppendCounts = try arguments.integers("per-append", default: [1])
        let events = try arguments.integer("events", default: 200_000)
        let seconds = try arguments.seconds("seconds", default: 20)
        let key = arguments.string("key") ?? "spool-load"
        let load = LoadEvents(
            dataSize: try arguments.integer("data-size", default: 250),
            streamsPerConnection: try arguments.integer("streams-per-connection", default: 4),
            changingAttributes: arguments.flag("changing-attributes"))
        let runner = LoadRunner(host: arguments.string("host") ?? "127.0.0.1", port: try arguments.port(), group: group)
        let serverPID = try arguments.serverPID()

        let report = ReportTable(columns: [
            ("server", 6), ("conns", 5), ("window", 6), ("per app", 7), ("events", 9), ("events/s", 9), ("p50 ms", 7), ("p99 ms", 7),
            ("p999 ms", 7), ("max ms", 7), ("client %", 8), ("server %", 8), ("others %", 8), ("client µs/ev", 12),
            ("server µs/ev", 12),
        ])
        report.header()
        for connections in connectionCounts {
            for (window, perAppend) in windows.flatMap({ window in perAppendCounts.map { (window, $0) } }) {
                let requests = max(1, events / perAppend)
                let share = requests / connections
                let extra = requests % connections
                let timeLimit = UInt64(seconds * 1e9)
                let run: LoadRunner.Run<AppendResult>
                switch target {
                case .spool:
                    run = try await runner.run(connections: connections, serverPID: serverPID) { index in
                        AppendSession<SpoolAppendReader>(
                            requests: load.spoolAppends(connection: index, eventsPerAppend: perAppend),
                            total: share + (index < extra ? 1 : 0), window: window,
                            timeLimit: timeLimit)
                    }
                case .redis:
                    run = try await runner.run(connections: connections, serverPID: serverPID) { index in
                        AppendSession<RedisAppendReader>(
                            requests: load.redisAdds(connection: index, key: key, eventsPerAppend: perAppend),
                            total: share + (index < extra ? 1 : 0),
                            window: window, timeLimit: timeLimit)
                    }
                }
                var latency = Latency.histogram()
                var completed = 0
                for result in run.results {
                    latency.add(result.latency)
                    completed += result.completed * perAppend
                }
                let rate = Double(completed) / run.seconds
                let counters = run.counters
                let json: JSONValue = [
                    "bench": "append", "server": .string(target.rawValue), "connections": .int(Int64(connections)),
                    "window": .int(Int64(window)), "events_per_append": .int(Int64(perAppend)), "events": .int(Int64(completed)),
                    "seconds": .double(run.seconds),
                    "events_per_s": .int(Int64(rate.rounded())), "p50_ms": .double(Latency.milliseconds(latency, 50)),
                    "p99_ms": .double(Latency.milliseconds(latency, 99)), "p999_ms": .double(Latency.milliseconds(latency, 99.9)),
                    "max_ms": .double(Double(latency.max) / 1_000), "data_bytes": .int(Int64(load.dataSize)),
                    "client_cpu_percent": .double(LoadCounters.percent(counters.clientSeconds, of: run.seconds)),
                    "server_cpu_percent": .double(LoadCounters.percent(counters.serverSeconds, of: run.seconds)),
                    "others_cpu_percent": .double(LoadCounters.percent(counters.othersSeconds, of: run.seconds)),
                    "client_cpu_us_per_event": .double(LoadCounters.microseconds(counters.clientSeconds, perEvent: completed)),
                    "server_cpu_us_per_event": .double(LoadCounters.microseconds(counters.serverSeconds, perEvent: completed)),
                    "server_threads_cpu_us_per_event": counters.serverThreadMicroseconds(perEvent: completed),
                    "server_threads_runqueue_percent": counters.serverThreadQueuedPercent(of: run.seconds),
                ]
                report.row(
                    [
                        target.rawValue, "\(connections)", "\(window)", "\(perAppend)", Format.grouped(Double(completed)),
                        Format.grouped(rate),
                        Format.fixed(Latency.milliseconds(latency, 50), 2), Format.fixed(Latency.milliseconds(latency, 99), 2),
                        Format.fixed(Latency.milliseconds(latency, 99.9), 2), Format.fixed(Double(latency.max) / 1_000, 2),
                        Format.fixed(LoadCounters.percent(counters.clientSeconds, of: run.seconds), 0),
                        Format.fixed(LoadCounters.percent(counters.serverSeconds, of: run.seconds), 0),
                        Format.fixed(LoadCounters.percent(counters.othersSeconds, of: run.seconds), 0),
                        Format.fixed(LoadCounters.microseconds(counters.clientSeconds, perEvent: completed), 1),
                        Format.fixed(LoadCounters.microseconds(counters.serverSeconds, perEvent: completed), 1),
                    ], json: json)
            }
        }
        report.finish()
    }
}

extension LoadCounters {
    /// The server's CPU per event by thread name, in µs (threads that used none left out):
    /// where a server's time goes, e.g. spoold's event loop against its writer.
    func serverThreadMicroseconds(perEvent events: Int) -> JSONValue {
        guard events > 0 else { return .object([:]) }
        let used = serverThreadSeconds.filter { $0.value > 0 }.sorted { $0.key < $1.key }
        return .object(
            JSONObject(used.map { JSONMember($0.key, .double((Self.microseconds($0.value, perEvent: events) * 100).rounded() / 100)) }))
    }

    /// The share of `seconds` (the run's wall time) each server thread spent ready to run but
    /// waiting for a core, in %, by thread name (threads that never waited left out).
    func serverThreadQueuedPercent(of seconds: Double) -> JSONValue {
        let waited = serverThreadQueuedSeconds.filter { $0.value > 0 }.sorted { $0.key < $1.key }
        return .object(JSONObject(waited.map { JSONMember($0.key, .double(Self.percent($0.value, of: seconds).rounded())) }))
    }
}
