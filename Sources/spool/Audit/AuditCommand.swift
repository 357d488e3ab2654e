import ArgumentParser
import JSON

/// `spool audit ID [--since] [--until] [--as-of]`: what happened to a client, who did it, and
/// which emails it caused, oldest first.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Prints a client's full history, oldest first: seq, time, type, actor, what changed and the emails it caused.")

    @Argument(help: "The user id.")
    var id: String

    @Option(
        parsing: .unconditional, help: ArgumentHelp("Only events at or after this time: " + TimeArgument.forms + ".", valueName: "time"))
    var since: TimeArgument?

    @Option(parsing: .unconditional, help: ArgumentHelp("Only events at or before this time (same forms as --since).", valueName: "time"))
    var until: TimeArgument?

    @Option(name: .customLong("as-of"), parsing: .unconditional, help: ArgumentHelp(AsOfArgument.help, valueName: "seq|time"))
    var asOf: AsOfArgument?

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var data: DataOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        try connection.validate(alongside: data.directory)
        if let since, let until, until.timestamp < since.timestamp {
            throw ValidationError("--until (\(until.rfc3339)) is before --since (\(since.rfc3339))")
        }
    }

    func run() async throws {
        var fields: JSONObject = ["user_id": .string(id)]
        if let since { fields["since"] = .string(since.rfc3339) }
        if let until { fields["until"] = .string(until.rfc3339) }
        if let asOf { fields["as_of"] = asOf.wire }
        let userID = id
        let json = output.json
        let text = try await connection.withBackend(directory: data.directory, access: .read) { backend -> String? in
            let response = try await backend.everyPage("audit", fields, collecting: "events")
            if json {
                Terminal.printJSON(response)
                return nil
            }
            let events = response["events"]?.arrayValue ?? []
            let initial = try await Self.profile(before: events, userID: userID, backend: backend)
            return AuditTimeline(userID: userID, events: events, initial: initial).render()
        }
        if let text { Terminal.write(Array(text.utf8)) }
    }

    /// The profile just before the first user event shown, asked of the server when the
    /// audit does not start at the user's creation (`--since`); empty otherwise.
    static func profile(before events: [JSONValue], userID: String, backend: any Backend) async throws -> ProfileState {
        guard let first = events.first(where: { $0["stream"]?.stringValue == "user-\(userID)" }),
            first["type"]?.stringValue != "UserCreated", let seq = first["seq"]?.uint64Value, seq > 1
        else { return ProfileState() }
        let response = try await backend.ask("get_user", ["user_id": .string(userID), "as_of": .int(Int64(seq - 1))])
        return response["user"]?.objectValue.map(ProfileState.init(user:)) ?? ProfileState()
    }
}
