import ArgumentParser
import JSON

/// `spool user ID [--as-of SEQ|TIME]`: a client's profile, segments and email preferences.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Shows a client's profile, segments and email preferences, now or as of a seq or time.")

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
        let response = try await connection.withBackend(directory: data.directory, access: .read) { try await $0.call("get_user", fields) }
        if output.json { return Terminal.printJSON(response) }
        guard let user = response["user"]?.objectValue else { throw CLIFailure("the answer has no user: \(response.jsonString)") }
        var list = KeyValueList()
        if let asOf { list.append("as of", asOf.label) }
        for member in user.members { list.append(member.key, KeyValueList.text(member.value)) }
        Terminal.write(Array(list.render().utf8))
    }
}
