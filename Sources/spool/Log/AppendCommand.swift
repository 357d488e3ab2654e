import ArgumentParser
import JSON

/// `spool append STREAM TYPE --data JSON`: appends one event, durably, and prints its seq.
///
/// `--data` here is the event's data, so the data directory is `--data-dir DIR` for this
/// command.
struct AppendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "append", abstract: "Appends one event to a stream and prints its seq and version once it is durable.")

    @Argument(help: "The stream, <category>-<id> (e.g. user-42).")
    var stream: String

    @Argument(help: "The event type (e.g. UserCreated, UserProfileUpdated, UserJoinedSegment).")
    var type: String

    @Option(name: .customLong("data"), help: ArgumentHelp("The event's data, a JSON object.", valueName: "json"))
    var eventData: String

    @Option(
        name: .customLong("expected-version"),
        help: "Append only if the stream is at this version: a number, any (default), no_stream or exists.")
    var expectedVersion: String?

    @Option(help: "A client event id (UUID): a retry with the same id writes nothing and returns the first seq.")
    var id: String?

    @Option(help: ArgumentHelp("Metadata, a JSON object (e.g. {\"correlation_id\":\"c1\"}); actor is the server's.", valueName: "json"))
    var metadata: String?

    @Option(
        name: .customLong("data-dir"),
        help: ArgumentHelp("Append to this data directory (refused while a server holds it).", valueName: "dir"))
    var directory: String?

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        try connection.validate(alongside: directory)
        _ = try Self.object(eventData, option: "--data")
        if let metadata { _ = try Self.object(metadata, option: "--metadata") }
        if let expectedVersion { _ = try Self.expected(expectedVersion) }
    }

    func run() async throws {
        var event: JSONObject = ["type": .string(type)]
        if let id { event["id"] = .string(id) }
        event["data"] = .object(try Self.object(eventData, option: "--data"))
        if let metadata { event["metadata"] = .object(try Self.object(metadata, option: "--metadata")) }
        var fields: JSONObject = ["stream": .string(stream)]
        if let expectedVersion { fields["expected_version"] = try Self.expected(expectedVersion) }
        fields["events"] = .array([.object(event)])
        let response = try await connection.withBackend(directory: directory, access: .create) { try await $0.call("append", fields) }
        if output.json { return Terminal.printJSON(response) }
        let seq = KeyValueList.text(response["first_seq"] ?? .null)
        let version = KeyValueList.text(response["version"] ?? .null)
        if response["duplicate"] == .bool(true) {
            Terminal.print("already appended at seq \(seq) (\(stream) version \(version)); nothing written")
        } else {
            Terminal.print("appended seq \(seq) (\(stream) version \(version))")
        }
    }

    /// `text` parsed as a JSON object, or a `ValidationError` naming `option`.
    static func object(_ text: String, option: String) throws -> JSONObject {
        let value: JSONValue
        do {
            value = try JSONParser.parse(text)
        } catch {
            throw ValidationError("\(option) is not JSON: \(error)")
        }
        guard case .object(let object) = value else { throw ValidationError("\(option) must be a JSON object, got \(value.typeName)") }
        return object
    }

    /// The wire `expected_version` of `text`.
    static func expected(_ text: String) throws -> JSONValue {
        if ["any", "no_stream", "exists"].contains(text) { return .string(text) }
        guard let version = Int64(text), version >= 0 else {
            throw ValidationError("--expected-version must be a number, any, no_stream or exists, got '\(text)'")
        }
        return .int(version)
    }
}
