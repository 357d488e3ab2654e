import ArgumentParser
import JSON

/// `spool stats`: the head, throughput, connections, data size, uptime and views' checkpoints.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Prints the head seq and hash, events/s, connections, data size, uptime and view checkpoints.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var data: DataOptions
    @OptionGroup var output: OutputOptions

    func validate() throws { try connection.validate(alongside: data.directory) }

    func run() async throws {
        let response = try await connection.withBackend(directory: data.directory, access: .read) { try await $0.call("stats") }
        if output.json { return Terminal.printJSON(response) }
        Terminal.write(Array(KeyValueList(flattening: response.objectValue ?? [:]).render().utf8))
    }
}
