import BenchSupport
import JSON
import SpoolCore
import SpoolProtocol

/// `spool-bench prepare`: the CPU an append costs before the writer sees it, on one thread
/// with no disk: parsing its request line as a client sends it (`JSONParser.parse`),
/// `AppendRequest.prepare` (each event's schema check and record encoding), the whole line as
/// an event loop handles it (`request`: `AppendRequest.read(line:)`, `prepare`), the same
/// through the general reading of any request line (`tree`: parse, `AppendRequest(fields:)`,
/// `prepare`) and the encoding of the events' data alone (`JSONValue.jsonBytes`).
///
/// Design: the append benchmark's figures move with the disk and the other core; these move
/// only with the machine's speed, so a change to validation or to the JSON codec is measured
/// here (and counted exactly under callgrind: README, Development). Each round times the same
/// appends on the thread's CPU clock; the best round is reported (the one the fewest
/// interruptions reached), with the median beside it.
enum PrepareBenchmark {
    static let options: Set<String> = ["events", "per-append", "rounds"]

    static func run(_ arguments: Arguments) throws {
        try arguments.check(known: options)
        let events = try arguments.integer("events", default: 1_000_000)
        let perAppend = try arguments.integer("per-append", default: 64)
        let rounds = try arguments.integer("rounds", default: 5)
        let sample = BenchEvents(sampleUserID: BenchEvents.ownUserID(submitter: 0, index: 0))
        let appends = (0..<10).map { sequence in
            sample.append(userID: BenchEvents.ownUserID(submitter: 0, index: sequence % 4), sequence: sequence, count: perAppend)
        }
        let appendCount = max(1, events / perAppend)
        print("prepare: \(Format.grouped(Double(appendCount * perAppend))) events in appends of \(perAppend), one thread, \(rounds) rounds")
        let report = ReportTable(columns: [("step", 8), ("events", 10), ("best us/ev", 10), ("median us/ev", 12), ("bytes/ev", 8)])
        report.header()
        let lines = appends.map(requestLine)
        var strings = JSONStringTable()
        let steps: [(String, (Int) throws -> Int)] = [
            ("parse", { index in try JSONParser.parse(lines[index]).objectValue?.count ?? 0 }),
            ("prepare", { index in try appends[index].prepare(actor: actor).events.count }),
            ("request", { index in try request(lines[index], strings: &strings).events.count }),
            ("tree", { index in try treeRequest(lines[index]).events.count }),
            ("encode", { index in appends[index].events.reduce(0) { $0 + $1.data.jsonBytes.count } }),
        ]
        for (name, step) in steps {
            var times: [Double] = []
            var produced = 0
            for _ in 0..<rounds {
                let start = ThreadCPU.current()
                for index in 0..<appendCount { produced &+= try step(index % appends.count) }
                times.append((ThreadCPU.current() - start) * 1e6 / Double(appendCount * perAppend))
            }
            times.sort()
            let best = times[0]
            let median = times[times.count / 2]
            // `produced` keeps the work observable; for `encode` it is the bytes written.
            let bytes = name == "encode" ? Format.fixed(Double(produced) / Double(rounds * appendCount * perAppend), 0) : "-"
            report.row(
                [name, Format.grouped(Double(appendCount * perAppend)), Format.fixed(best, 3), Format.fixed(median, 3), bytes],
                json: [
                    "bench": "prepare", "step": .string(name), "events_per_append": .int(Int64(perAppend)),
                    "events": .int(Int64(appendCount * perAppend)), "best_us_per_event": .double(rounded(best, 3)),
                    "median_us_per_event": .double(rounded(median, 3)),
                ])
        }
        report.finish()
    }

    /// What an event loop does with an `append` line before queuing it in the writer: read
    /// it (its short strings kept in `strings`, as a connection keeps them), validate and
    /// draft its events.
    private static func request(_ line: [UInt8], strings: inout JSONStringTable) throws -> PreparedAppend {
        guard let (_, append) = AppendRequest.read(line: line, maxDepth: 64, maxEvents: AppendRequest.maxEvents, strings: &strings) else {
            throw SpoolError(.internal, "the bench's append line is not read as a usual one")
        }
        return try append.prepare(actor: actor)
    }

    /// `request` through the general reading: parse the line into a tree, read its fields.
    private static func treeRequest(_ line: [UInt8]) throws -> PreparedAppend {
        var fields = FieldReader(try JSONParser.parse(line).objectValue ?? JSONObject(), alreadyRead: ["op"], source: line)
        return try AppendRequest(fields: &fields).prepare(actor: actor)
    }

    /// The actor's stamp, made once, as a connection keeps its principal's.
    private static let actor = ActorStamp("bench")

    /// The `append` request line a client sends for `append`.
    private static func requestLine(_ append: AppendRequest) -> [UInt8] {
        let events = append.events.map { event -> JSONValue in ["type": .string(event.type), "data": event.data] }
        return JSONValue.object(["op": "append", "stream": .string(append.stream), "events": .array(events)]).jsonBytes
    }
}
