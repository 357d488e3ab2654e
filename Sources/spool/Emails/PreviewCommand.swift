import ArgumentParser
import JSON

/// `spool preview ID TYPE --data JSON`: what the server's email projector would generate for a
/// client if this event were appended now, rendered with the server's rules and templates.
/// Nothing is appended.
struct PreviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preview",
        abstract: "Renders the emails an event would generate for a client, without appending anything (the email_preview op).")

    @Argument(help: "The user id.")
    var id: String

    @Argument(help: "The event type (e.g. UserCreated, UserJoinedSegment, UserProfileUpdated).")
    var type: String

    @Option(
        name: .customLong("data"),
        help: ArgumentHelp("The event's data, a JSON object (user_id is filled in when missing).", valueName: "json"))
    var eventData: String = "{}"

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        _ = try AppendCommand.object(eventData, option: "--data")
    }

    func run() async throws {
        var data = try AppendCommand.object(eventData, option: "--data")
        if data["user_id"] == nil { data["user_id"] = .string(id) }
        let fields: JSONObject = ["user_id": .string(id), "type": .string(type), "data": .object(data)]
        let response = try await connection.withBackend(directory: nil, access: .read) { try await $0.call("email_preview", fields) }
        if output.json { return Terminal.printJSON(response) }
        let emails = response["emails"]?.arrayValue ?? []
        guard !emails.isEmpty else {
            return Terminal.print("no email: no rule matches \(type) for \(id) (or the user opted out or was deleted)")
        }
        var out = ""
        for email in emails {
            for key in ["rule", "template", "category", "to", "subject"] {
                out += "\(key):\(String(repeating: " ", count: 10 - key.count))\(KeyValueList.text(email[key] ?? .null))\n"
            }
            out += "\n\(KeyValueList.text(email["text"] ?? .null))\n"
            if let html = email["html"]?.stringValue { out += "\n--- html ---\n\(html)\n" }
            out += "\n"
        }
        Terminal.write(Array(out.utf8))
    }
}
