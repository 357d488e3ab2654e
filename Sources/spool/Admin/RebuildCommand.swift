import ArgumentParser
import JSON
import SpoolCore

/// `spool rebuild [VIEW…]`: rebuilds views by replaying the log and prints their checksums.
/// Online through a server (which keeps serving from the old views until the switch), or
/// offline with `--data` (refused while a server holds the directory).
struct RebuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild", abstract: "Rebuilds views by replaying the log (online, or offline with --data) and prints their checksums."
    )

    @Argument(
        help: ArgumentHelp(
            "The views to rebuild (default: all): " + ViewKind.allCases.map(\.rawValue).joined(separator: ", ") + ".", valueName: "view"))
    var views: [String] = []

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var data: DataOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        try connection.validate(alongside: data.directory)
        for view in views where ViewKind(rawValue: view) == nil {
            throw ValidationError("unknown view '\(view)'; views are \(ViewKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() async throws {
        var fields: JSONObject = ["wait": true]
        if !views.isEmpty { fields["views"] = .array(views.map(JSONValue.string)) }
        let progress = ProgressBar("rebuild", unit: "")
        let response = try await connection.withBackend(directory: data.directory, access: .write) { backend in
            let watcher = progress.enabled ? Task { try await Self.watch(backend, progress) } : nil
            defer { watcher?.cancel() }
            return try await backend.call("rebuild", fields)
        }
        progress.finish()
        if output.json { return Terminal.printJSON(response) }
        var table = Table(["VIEW", "CHECKSUM"])
        for member in response["checksums"]?.objectValue?.members ?? [] {
            table.append([member.key, KeyValueList.text(member.value)])
        }
        Terminal.write(Array(table.render().utf8))
    }

    /// Draws the rebuild's progress from `stats` (`views.rebuild`: phase, done, total) on a
    /// second way in, until cancelled.
    static func watch(_ backend: any Backend, _ progress: ProgressBar) async throws {
        let monitor = try await backend.companion()
        defer { Task { await monitor.close() } }
        while !Task.isCancelled {
            try await Task.sleep(for: .milliseconds(200))
            let stats = try await monitor.call("stats")
            guard let rebuild = stats["views"]?["rebuild"] else { continue }
            let done = rebuild["done"]?.uint64Value ?? 0
            progress.update(done: done, total: rebuild["total"]?.uint64Value, items: done, phase: rebuild["phase"]?.stringValue)
        }
    }
}
