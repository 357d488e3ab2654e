import ArgumentParser
import JSON

/// `spool stats`: the head, throughput, connections, data size, uptime, views' checkpoints, the
/// email projector, and a table of the subscriptions with their lag.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Prints the head seq and hash, events/s, connections, data size, uptime, view checkpoints and subscriptions' lag.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var data: DataOptions
    @OptionGroup var output: OutputOptions

    func validate() throws { try connection.validate(alongside: data.directory) }

    func run() async throws {
        let response = try await connection.withBackend(directory: data.directory, access: .read) { try await $0.call("stats") }
        if output.json { return Terminal.printJSON(response) }
        var object = response.objectValue ?? [:]
        let subscriptions = object["subscriptions"]?.arrayValue
        object["subscriptions"] = JSONValue?.none
        var text = KeyValueList(flattening: object).render()
        if let subscriptions { text += "\n" + Self.table(subscriptions) }
        Terminal.write(Array(text.utf8))
    }

    /// The subscriptions of a `stats` answer, one row each.
    static func table(_ subscriptions: [JSONValue]) -> String {
        var table = Table(["SUBSCRIPTION", "LAG", "IN FLIGHT", "REDELIVER", "DEAD", "CONSUMERS", "ACK FLOOR", "POSITION"])
        for sub in subscriptions {
            let lag = KeyValueList.text(sub["lag"] ?? .null) + (sub["lag_exact"] == .bool(false) ? "+" : "")
            table.append(
                [KeyValueList.text(sub["name"] ?? .null), lag]
                    + ["in_flight", "waiting_redelivery", "dead_letters", "consumers", "ack_floor", "position"].map {
                        KeyValueList.text(sub[$0] ?? .null)
                    })
        }
        let rendered = table.render()
        return rendered.isEmpty ? "no subscriptions\n" : rendered
    }
}
