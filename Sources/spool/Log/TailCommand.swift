import ArgumentParser
import Foundation
import JSON

/// `spool tail`: follows the log live by polling `read_all`, printing each event as it is
/// appended, until Ctrl-C (or `--max` events).
struct TailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail", abstract: "Follows the log live, printing events as they are appended, until Ctrl-C.")

    @Option(help: "Where to start: end (only new events, the default), beginning, or a seq.")
    var from: String = "end"

    @Option(name: .customLong("type"), help: "Only events of this type (repeat for several).")
    var types: [String] = []

    @Option(name: .customLong("stream-prefix"), help: "Only events of streams starting with this (e.g. user-).")
    var streamPrefix: String?

    @Option(help: "Stop after this many events.")
    var max: Int?

    @Option(name: .customLong("interval-ms"), help: "How often to ask for new events when caught up, in milliseconds.")
    var intervalMilliseconds: Int = 250

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var data: DataOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        try connection.validate(alongside: data.directory)
        guard from == "end" || from == "beginning" || Int64(from).map({ $0 >= 0 }) == true else {
            throw ValidationError("--from must be end, beginning or a seq, got '\(from)'")
        }
        if let max, max < 1 { throw ValidationError("--max must be at least 1") }
        guard intervalMilliseconds >= 10 else { throw ValidationError("--interval-ms must be at least 10") }
    }

    func run() async throws {
        var filter: JSONObject = [:]
        if !types.isEmpty { filter["types"] = .array(types.map(JSONValue.string)) }
        if let streamPrefix { filter["stream_prefix"] = .string(streamPrefix) }
        try await connection.withBackend(directory: data.directory, access: .read) { backend in
            var next: UInt64
            switch from {
            case "end": next = (try await backend.call("digest")["seq"]?.uint64Value ?? 0) + 1
            case "beginning": next = 1
            default: next = UInt64(from) ?? 1
            }
            var printed = 0
            while !Task.isCancelled {
                var fields: JSONObject = [
                    "from_seq": .int(Int64(clamping: next)), "limit": .int(Int64(Swift.min(1_000, max.map { $0 - printed } ?? 1_000))),
                ]
                if !filter.isEmpty { fields["filter"] = .object(filter) }
                let response = try await backend.call("read_all", fields)
                let events = response["events"]?.arrayValue ?? []
                var bytes: [UInt8] = []
                for event in events {
                    bytes += output.json ? event.jsonBytes : Array(EventLine.render(event).utf8)
                    bytes.append(0x0A)
                    next = (event["seq"]?.uint64Value ?? next) + 1
                    printed += 1
                }
                Terminal.write(bytes)
                if let max, printed >= max { return }
                if let scanned = response["next_seq"]?.uint64Value {
                    next = Swift.max(next, scanned)
                    continue
                }
                try await Task.sleep(for: .milliseconds(intervalMilliseconds))
            }
        }
    }
}
