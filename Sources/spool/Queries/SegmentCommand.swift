import ArgumentParser
import JSON

/// `spool segment NAME [--as-of] [--limit] [--after]`: a page of a segment's members.
struct SegmentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment", abstract: "Lists a segment's members in user-id order, now or as of a seq or time.")

    @Argument(help: "The segment name.")
    var name: String

    @Option(name: .customLong("as-of"), parsing: .unconditional, help: ArgumentHelp(AsOfArgument.help, valueName: "seq|time"))
    var asOf: AsOfArgument?

    @Option(help: "The most members to list (1 to 10000).")
    var limit: Int = 100

    @Option(help: "List members after this user id (the 'next' of the previous page).")
    var after: String?

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var data: DataOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        try connection.validate(alongside: data.directory)
        guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be 1 to 10000, got \(limit)") }
    }

    func run() async throws {
        var fields: JSONObject = ["segment": .string(name), "limit": .int(Int64(limit))]
        if let asOf { fields["as_of"] = asOf.wire }
        if let after { fields["after"] = .string(after) }
        let response = try await connection.withBackend(directory: data.directory, access: .read) {
            try await $0.call("list_segment", fields)
        }
        if output.json { return Terminal.printJSON(response) }
        let users = (response["users"]?.arrayValue ?? []).compactMap(\.stringValue)
        let next = response["next"]?.stringValue
        var out = name + (asOf.map { " as of \($0.label)" } ?? "")
        out += ": \(users.count) member\(users.count == 1 ? "" : "s")\(next == nil ? "" : " shown, more follow")\n"
        out += users.map { $0 + "\n" }.joined()
        if let next { out += "(more: --after \(next))\n" }
        Terminal.write(Array(out.utf8))
    }
}
