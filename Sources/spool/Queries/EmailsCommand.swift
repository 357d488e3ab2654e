import ArgumentParser
import JSON

/// `spool emails ID [--as-of]`: the emails generated for a client, with their status.
struct EmailsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emails", abstract: "Lists the emails generated for a client with their status, now or as of a seq or time.")

    @Argument(help: "The user id.")
    var id: String

    @Option(name: .customLong("as-of"), parsing: .unconditional, help: ArgumentHelp(AsOfArgument.help, valueName: "seq|time"))
    var asOf: AsOfArgument?

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var data: DataOptions
    @OptionGroup var output: OutputOptions

    func validate() throws { try connection.validate(alongside: data.directory) }

    func run() async throws {
        var fields: JSONObject = ["user_id": .string(id)]
        if let asOf { fields["as_of"] = asOf.wire }
        let response = try await connection.withBackend(directory: data.directory, access: .read) {
            try await $0.everyPage("list_emails", fields, collecting: "emails")
        }
        if output.json { return Terminal.printJSON(response) }
        var table = Table(["SEQ", "GENERATED", "TEMPLATE", "CATEGORY", "STATUS", "SUBJECT"])
        for email in response["emails"]?.arrayValue ?? [] {
            table.append(
                ["seq", "generated_at", "template", "category", "status", "subject"].map { KeyValueList.text(email[$0] ?? .null) })
        }
        let rendered = table.render()
        Terminal.write(Array((rendered.isEmpty ? "no emails for \(id)\(asOf.map { " as of \($0.label)" } ?? "")\n" : rendered).utf8))
    }
}
