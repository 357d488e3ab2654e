import BenchSupport
import Foundation
import Histogram
import JSON
import NIOPosix

/// `spool-load spool-latency`: end-to-end latency from an append's acknowledgement to the
/// event's delivery to a consumer that is already waiting. A producer appends `--events`
/// events at `--rate` per second (one at a time: the log is otherwise idle, so this measures
/// the path, not a queue); the consumer receives them on a fresh subscription that starts at
/// the end of the log and only sees the producer's streams.
///
/// Delivery is by `subscribe` (push) when the server's `help` lists it, else by a long-polling
/// `fetch` (`wait_ms` 1000); the report says which. The acknowledgement and the delivery race
/// (the server answers the append and wakes the consumer after the same commit), so a
/// delivery can be read before its acknowledgement: those count as 0 and are reported.
enum LatencyLoad {
    static let options: Set<String> = ["host", "port", "events", "rate", "mode", "server-pid", "threads"]

    /// Runs one latency measurement and prints its row and JSON line. Throws `UsageError` for
    /// bad options (or `--mode push` without `subscribe`), `LoadError` when a request fails.
    static func run(_ arguments: Arguments, group: MultiThreadedEventLoopGroup) async throws {
        try arguments.check(known: options)
        let events = try arguments.integer("events", default: 10_000)
        let rate = try arguments.integer("rate", default: 1_000)
        let runner = LoadRunner(host: arguments.string("host") ?? "127.0.0.1", port: try arguments.port(), group: group)
        let serverPID = try arguments.serverPID()

        let help = try await runner.spool([#"{"op":"help"}"#]).first ?? ""
        let hasSubscribe = help.contains(#""subscribe""#) || help.contains(#""name":"subscribe""#)
        let delivery: LatencySession.Delivery
        switch arguments.string("mode") ?? "auto" {
        case "auto": delivery = hasSubscribe ? .push : .poll
        case "poll": delivery = .poll
        case "push" where hasSubscribe: delivery = .push
        case "push": throw UsageError("spool-latency: --mode push, but the server's help lists no subscribe op")
        case let other: throw UsageError("spool-latency: --mode must be auto, push or poll, got '\(other)'")
        }

        let producer = 9_000 + Int(getpid() % 900)
        let name = "load-latency-\(getpid())-\(Int(Date().timeIntervalSince1970))"
        let prefix = "user-" + LoadEvents.userID(connection: producer, stream: 0).dropLast(2)
        let created = try await runner.spool([
            #"{"op":"sub_create","name":"\#(name)","start":"end","filter":{"stream_prefix":"\#(prefix)"}}"#
        ])
        guard created.first?.hasPrefix(#"{"ok":true"#) == true else {
            throw LoadError("sub_create \(name): the server answered \(created)")
        }
        let appends = LoadEvents().spoolAppends(connection: producer)
        let book = LatencyBook()
        let interval = UInt64(1e9 / Double(rate))
        let run = try await runner.run(connections: 2, serverPID: serverPID) { index in
            LatencySession(
                role: index == 0 ? .consumer(delivery) : .producer(appends: appends, interval: interval), subscription: name,
                total: events, timeLimit: UInt64(Double(events) / Double(rate) * 1e9) + 10_000_000_000, book: book)
        }
        _ = try await runner.spool([#"{"op":"sub_delete","name":"\#(name)"}"#])
        report(book: book, delivery: delivery, events: events, rate: rate, run: run)
    }

    private static func report(book: LatencyBook, delivery: LatencySession.Delivery, events: Int, rate: Int, run: LoadRunner.Run<Int>) {
        var ackToDelivery = Latency.histogram()
        var sendToDelivery = Latency.histogram()
        var sendToAck = Latency.histogram()
        var early = 0
        let entries = book.complete
        for entry in entries {
            guard let sent = entry.sent, let acknowledged = entry.acknowledged, let delivered = entry.delivered else { continue }
            if delivered < acknowledged { early += 1 }
            ackToDelivery.record(delivered > acknowledged ? (delivered - acknowledged) / 1_000 : 0)
            sendToDelivery.record(delivered > sent ? (delivered - sent) / 1_000 : 0)
            sendToAck.record(acknowledged > sent ? (acknowledged - sent) / 1_000 : 0)
        }
        let report = ReportTable(columns: [
            ("delivery", 8), ("events", 7), ("rate/s", 6), ("ack→dlv p50", 11), ("p99", 6), ("p999", 6), ("send→dlv p50", 12),
            ("p99", 6), ("append p50", 10), ("p99", 6), ("delivered first", 15), ("server %", 8), ("others %", 8),
        ])
        report.header()
        let counters = run.counters
        let ms = { (histogram: Histogram<UInt64>, percentile: Double) in Latency.milliseconds(histogram, percentile) }
        let json: JSONValue = [
            "bench": "latency", "server": "spool", "delivery": .string(delivery.rawValue), "events": .int(Int64(entries.count)),
            "rate": .int(Int64(rate)), "ack_to_delivery_p50_ms": .double(ms(ackToDelivery, 50)),
            "ack_to_delivery_p99_ms": .double(ms(ackToDelivery, 99)), "ack_to_delivery_p999_ms": .double(ms(ackToDelivery, 99.9)),
            "send_to_delivery_p50_ms": .double(ms(sendToDelivery, 50)), "send_to_delivery_p99_ms": .double(ms(sendToDelivery, 99)),
            "append_p50_ms": .double(ms(sendToAck, 50)), "append_p99_ms": .double(ms(sendToAck, 99)),
            "delivered_before_ack": .int(Int64(early)),
            "server_cpu_percent": .double(LoadCounters.percent(counters.serverSeconds, of: run.seconds)),
            "others_cpu_percent": .double(LoadCounters.percent(counters.othersSeconds, of: run.seconds)),
        ]
        report.row(
            [
                delivery.rawValue, "\(entries.count)", "\(rate)", Format.fixed(ms(ackToDelivery, 50), 3),
                Format.fixed(ms(ackToDelivery, 99), 3), Format.fixed(ms(ackToDelivery, 99.9), 3), Format.fixed(ms(sendToDelivery, 50), 3),
                Format.fixed(ms(sendToDelivery, 99), 3), Format.fixed(ms(sendToAck, 50), 3), Format.fixed(ms(sendToAck, 99), 3),
                "\(early)", Format.fixed(LoadCounters.percent(counters.serverSeconds, of: run.seconds), 0),
                Format.fixed(LoadCounters.percent(counters.othersSeconds, of: run.seconds), 0),
            ], json: json)
        report.finish()
    }
}
