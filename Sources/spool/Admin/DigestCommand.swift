import ArgumentParser
import JSON

/// `spool digest [--seq N]`: the log's head seq and hash (or the hash at a seq). Keep it
/// somewhere else: a later digest at the same seq proves the log was not rewritten.
struct DigestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "digest", abstract: "Prints the log's head seq and hash (or the hash at a seq), to keep and compare later.")

    @Option(help: "The seq whose chain hash to print (default: the head).")
    var seq: UInt64?

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var data: DataOptions
    @OptionGroup var output: OutputOptions

    func validate() throws { try connection.validate(alongside: data.directory) }

    func run() async throws {
        let fields: JSONObject = seq.map { ["seq": .int(Int64(clamping: $0))] } ?? [:]
        let response = try await connection.withBackend(directory: data.directory, access: .read) { try await $0.call("digest", fields) }
        if output.json { return Terminal.printJSON(response) }
        Terminal.write(Array(KeyValueList(flattening: response.objectValue ?? [:]).render().utf8))
    }
}
