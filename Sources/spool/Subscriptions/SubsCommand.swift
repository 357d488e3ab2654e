import ArgumentParser
import JSON

/// `spool subs [NAME]`: every subscription with its position, lag and dead letters; with a
/// name, that one's settings and its dead letters.
struct SubsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subs", abstract: "Lists subscriptions with their lag and dead letters, or shows one in detail.")

    @Argument(help: "A subscription to show in detail, with its dead letters.")
    var name: String?

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var data: DataOptions
    @OptionGroup var output: OutputOptions

    func validate() throws { try connection.validate(alongside: data.directory) }

    func run() async throws {
        let text = try await connection.withBackend(directory: data.directory, access: .read) { backend -> String in
            guard let name else {
                let response = try await backend.call("sub_list")
                return output.json ? response.jsonString + "\n" : Self.table(response["subscriptions"]?.arrayValue ?? [])
            }
            let info = try await backend.call("sub_info", ["name": .string(name)])
            let dead = try await backend.call("dlq_list", ["name": .string(name)])
            if output.json { return info.jsonString + "\n" + dead.jsonString + "\n" }
            var out = KeyValueList(flattening: info["subscription"]?.objectValue ?? [:]).render()
            var letters = Table(["DEAD SEQ", "DELIVERIES", "REASON", "TIME", "LAST ERROR"])
            for letter in dead["dead_letters"]?.arrayValue ?? [] {
                letters.append(["seq", "deliveries", "reason", "time", "last_error"].map { KeyValueList.text(letter[$0] ?? .null) })
            }
            out += letters.rows.isEmpty ? "no dead letters\n" : "\n" + letters.render()
            return out
        }
        Terminal.write(Array(text.utf8))
    }

    static func table(_ subscriptions: [JSONValue]) -> String {
        var table = Table(["NAME", "POSITION", "ACK FLOOR", "LAG", "IN FLIGHT", "DEAD", "CONSUMERS", "FILTER"])
        for sub in subscriptions {
            let lag = KeyValueList.text(sub["lag"] ?? .null) + (sub["lag_exact"] == .bool(false) ? "+" : "")
            var filter: [String] = []
            if let types = sub["filter"]?["types"]?.arrayValue {
                filter.append("types " + types.compactMap(\.stringValue).joined(separator: ","))
            }
            if let prefix = sub["filter"]?["stream_prefix"]?.stringValue { filter.append("streams \(prefix)*") }
            table.append(
                [KeyValueList.text(sub["name"] ?? .null)] + ["position", "ack_floor"].map { KeyValueList.text(sub[$0] ?? .null) } + [lag]
                    + ["in_flight", "dead_letters", "consumers"].map { KeyValueList.text(sub[$0] ?? .null) }
                    + [filter.isEmpty ? "all" : filter.joined(separator: "; ")])
        }
        let rendered = table.render()
        return rendered.isEmpty ? "no subscriptions\n" : rendered
    }
}
