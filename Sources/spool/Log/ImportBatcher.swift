import JSON

/// Groups the events of an import into `append` requests.
///
/// Design: consecutive events of one stream share an append (up to `maxEvents` events and
/// `maxBytes` of JSON, well under the server's 1 MiB line limit); a change of stream starts a
/// new one. Appends are pipelined in file order and the writer takes them in that order, so
/// the imported log keeps the file's order of events across streams. Rejected: grouping all
/// of a batch's events by stream (fewer appends, but it reorders events across streams, and
/// an export → import would not give back the same sequence).
///
/// Each event keeps its id as the client id, so importing a file twice — or again after an
/// interruption — appends nothing twice. With `exactVersions`, each append expects the
/// stream to be at the version before its first event, so stream versions come out as they
/// were exported (and an import into a stream with other events fails loudly).
struct ImportBatcher {
    /// One append: a run of consecutive events of one stream.
    struct Run {
        var stream: String
        var events: [JSONValue] = []
        /// The exported version of the first event, when known.
        var firstVersion: UInt64?
        var firstLine: Int
        var lastLine: Int
        var bytes = 0

        /// The `append` request's fields, expecting `firstVersion - 1` when `exact`.
        func fields(exact: Bool, events: [JSONValue]? = nil, firstVersion: UInt64? = nil) -> JSONObject {
            var fields: JSONObject = ["stream": .string(stream)]
            if exact, let version = firstVersion ?? self.firstVersion, version > 0 {
                fields["expected_version"] = .int(Int64(clamping: version - 1))
            }
            fields["events"] = .array(events ?? self.events)
            return fields
        }
    }

    var maxEvents = 1_000
    var maxBytes = 256 * 1024
    private var current: Run?
    private var nextVersion: UInt64?

    init() {}

    /// Adds the event of line `line` (an exported `E`); returns the run it closed, if any.
    /// Throws `CLIFailure` naming the line when it is not an event.
    mutating func add(_ value: JSONValue, line: Int) throws -> Run? {
        guard case .object(let exported) = value else { throw CLIFailure("line \(line): expected an event object, got \(value.typeName)") }
        guard let stream = exported["stream"]?.stringValue else { throw CLIFailure("line \(line): stream: required (a string)") }
        guard let type = exported["type"]?.stringValue else { throw CLIFailure("line \(line): type: required (a string)") }
        guard let data = exported["data"] else { throw CLIFailure("line \(line): data: required") }
        var event: JSONObject = ["type": .string(type)]
        if let id = exported["id"] {
            guard id.stringValue != nil else { throw CLIFailure("line \(line): id: expected a UUID string") }
            event["id"] = id
        }
        event["data"] = data
        if var metadata = exported["metadata"]?.objectValue {
            metadata["actor"] = JSONValue?.none  // the importing server stamps its own
            if !metadata.isEmpty { event["metadata"] = .object(metadata) }
        }
        let version = exported["version"]?.uint64Value
        let size = JSONValue.object(event).jsonBytes.count + 1
        var closed: Run? = nil
        if let run = current,
            run.stream != stream || run.events.count >= maxEvents || run.bytes + size > maxBytes
                || (version != nil && version != nextVersion)
        {
            closed = run
            current = nil
        }
        if current == nil { current = Run(stream: stream, firstVersion: version, firstLine: line, lastLine: line) }
        current?.events.append(.object(event))
        current?.bytes += size
        current?.lastLine = line
        nextVersion = version.map { $0 + 1 }
        return closed
    }

    /// Closes and returns the last run, if any.
    mutating func flush() -> Run? {
        defer { current = nil }
        return current
    }
}
