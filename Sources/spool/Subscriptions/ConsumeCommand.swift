import ArgumentParser
import JSON

/// `spool consume SUB`: a consumer of a subscription. Fetches with a long poll, prints each
/// event, then acks what it printed (unless `--no-ack`), until Ctrl-C, `--max` or `--drain`.
///
/// Delivery is at least once: an event printed but not yet acked when the process stops is
/// delivered again after the subscription's ack timeout.
struct ConsumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume", abstract: "Consumes a subscription: fetches events, prints them and acks them, until Ctrl-C.")

    @Argument(help: "The subscription's name.")
    var name: String

    @Option(help: "Stop after this many events.")
    var max: Int?

    @Flag(name: .customLong("no-ack"), help: "Print without acking: the events are delivered again after the ack timeout.")
    var noAck = false

    @Flag(help: "Stop as soon as a fetch finds nothing waiting.")
    var drain = false

    @Option(help: "Events per fetch (1 to 10000).")
    var batch: Int = 100

    @Option(name: .customLong("wait-ms"), help: "How long one fetch waits for new events, in milliseconds.")
    var waitMilliseconds: Int = 1_000

    @Option(help: "The consumer name the server records for the leases (default: the connection's principal).")
    var consumer: String?

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var data: DataOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        try connection.validate(alongside: data.directory)
        if let max, max < 1 { throw ValidationError("--max must be at least 1") }
        guard (1...10_000).contains(batch) else { throw ValidationError("--batch must be 1 to 10000") }
        guard (0...300_000).contains(waitMilliseconds) else { throw ValidationError("--wait-ms must be 0 to 300000") }
    }

    func run() async throws {
        try await connection.withBackend(directory: data.directory, access: .write) { backend in
            var received = 0
            while !Task.isCancelled {
                let wanted = Swift.min(batch, max.map { $0 - received } ?? batch)
                var fields: JSONObject = [
                    "name": .string(name), "max": .int(Int64(wanted)), "wait_ms": .int(Int64(drain ? 0 : waitMilliseconds)),
                ]
                if let consumer { fields["consumer"] = .string(consumer) }
                let messages = try await backend.call("fetch", fields)["messages"]?.arrayValue ?? []
                if messages.isEmpty {
                    if drain { return }
                    continue
                }
                var bytes: [UInt8] = []
                for message in messages {
                    if output.json {
                        bytes += message.jsonBytes
                    } else {
                        bytes += Array(
                            EventLine.render(message["event"] ?? .null, prefix: "#\(KeyValueList.text(message["delivery"] ?? .null)) ").utf8
                        )
                    }
                    bytes.append(0x0A)
                }
                Terminal.write(bytes)
                received += messages.count
                if !noAck {
                    let seqs = messages.compactMap { $0["seq"] }
                    _ = try await backend.call("ack", ["name": .string(name), "seqs": .array(seqs)])
                }
                if let max, received >= max { return }
            }
        }
    }
}
