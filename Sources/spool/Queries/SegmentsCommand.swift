import ArgumentParser
import JSON

/// `spool segments [--as-of]`: every segment with its member count.
struct SegmentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segments", abstract: "Lists every segment with its member count, now or as of a seq or time.")

    @Option(name: .customLong("as-of"), parsing: .unconditional, help: ArgumentHelp(AsOfArgument.help, valueName: "seq|time"))
    var asOf: AsOfArgument?

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var data: DataOptions
    @OptionGroup var output: OutputOptions

    func validate() throws { try connection.validate(alongside: data.directory) }

    func run() async throws {
        var fields: JSONObject = [:]
        if let asOf { fields["as_of"] = asOf.wire }
        let response = try await connection.withBackend(directory: data.directory, access: .read) {
            try await $0.everyPage("segments", fields, collecting: "segments")
        }
        if output.json { return Terminal.printJSON(response) }
        var table = Table(["SEGMENT", "MEMBERS"])
        for segment in response["segments"]?.arrayValue ?? [] {
            table.append([segment["name"]?.stringValue ?? "?", KeyValueList.text(segment["count"] ?? .null)])
        }
        let rendered = table.render()
        Terminal.write(Array((rendered.isEmpty ? "no segments\(asOf.map { " as of \($0.label)" } ?? "")\n" : rendered).utf8))
    }
}
