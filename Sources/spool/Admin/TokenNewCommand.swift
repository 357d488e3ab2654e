import ArgumentParser
import JSON
import SpoolCore
import SpoolProtocol

/// `spool token new NAME --roles read,write`: a new random token, and the line to add to
/// `tokens` in spoold's configuration file. The file keeps only the token's SHA-256, so the
/// token itself is shown this once; nothing is sent anywhere and nothing is stored.
struct TokenNewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new",
        abstract: "Prints a new token and the configuration line (its SHA-256, name and roles) that lets spoold accept it.")

    @Argument(help: "The principal the token stands for; stamped as metadata.actor on what it appends.")
    var name: String

    @Option(help: "Comma-separated roles: read (queries, consuming), write (appends), admin (everything).")
    var roles: String = "read"

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard !name.isEmpty, !name.contains(where: \.isWhitespace) else {
            throw ValidationError("NAME must be a non-empty name without spaces")
        }
        guard Role.parseList(roles) != nil else { throw ValidationError("--roles must list one or more of: read, write, admin") }
    }

    func run() async throws {
        let token = TokenTable.generate()
        let roles = (Role.parseList(roles) ?? []).sorted().map { JSONValue.string($0.rawValue) }
        let line: JSONValue = ["name": .string(name), "sha256": .string(Hex.encode(TokenTable.hash(token))), "roles": .array(roles)]
        if output.json { return Terminal.printJSON(["token": .string(token), "config": line]) }
        Terminal.write(
            Array(
                """
                token:  \(token)
                        (shown once: spoold keeps only its SHA-256; give it to the client as --token or SPOOL_TOKEN)
                config: add this to "tokens" in spoold's configuration file (--config), then restart spoold:
                \(line.jsonString)

                """.utf8))
    }
}
