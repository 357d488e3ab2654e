import JSON
import SpoolCore

extension Dispatcher {
    static let logOperations: [Operation] = [
        Operation(
            "append", "appends events to one stream: stream, expected_version, events[{type, id?, data, metadata?}]", access: .role(.write)
        ) {
            dispatcher, request, done in try dispatcher.append(&request, done)
        },
        Operation("read", "reads one stream in version order: stream, from_version (1), limit (100)", access: .role(.read)) {
            dispatcher, request, writer in try await dispatcher.read(&request, &writer)
        },
        Operation(
            "read_all", "reads the whole log in seq order: from_seq (1), limit (100), filter{types, stream_prefix}", access: .role(.read)
        ) {
            dispatcher, request, writer in try await dispatcher.readAll(&request, &writer)
        },
    ]

    /// `append` → `first_seq`, `last_seq`, `version`, `duplicate` (an idempotent retry that
    /// wrote nothing). Answers only once the events are durable.
    func append(_ request: inout Request, _ done: @escaping @Sendable (Result<Operation.Members, any Error>) -> Void) throws {
        let append = try AppendRequest(fields: &request.fields, maxEvents: limits.maxAppendEvents)
        try engine.append(append, actor: request.session.principal) { outcome in
            done(
                outcome.map { result in
                    { writer in
                        writer.key(AppendKeys.firstSeq)
                        writer.writeUInt(result.firstSeq)
                        writer.key(AppendKeys.lastSeq)
                        writer.writeUInt(result.lastSeq)
                        writer.key(EventKeys.version)
                        writer.writeUInt(result.version)
                        writer.key(AppendKeys.duplicate)
                        writer.writeBool(result.duplicate)
                    }
                })
        }
    }

    /// `read` → `events` and `next_version` (where the next page starts, null at the stream's
    /// end). A stream with no events at all is `not_found`.
    func read(_ request: inout Request, _ writer: inout JSONWriter) async throws {
        let stream = try request.fields.string("stream")
        if let problem = StreamName.problem(with: stream) { throw request.fields.problem("stream", problem) }
        let fromVersion = max(try request.fields.optionalUInt64("from_version") ?? 1, 1)
        let limit = try readLimit(&request.fields)
        try request.fields.finish()
        let log = engine.log
        let (events, exists) = try await blocking {
            let events = try log.readStream(stream, fromVersion: fromVersion, limit: limit + 1)
            return (events, events.isEmpty ? try log.streamVersion(stream) > 0 : true)
        }
        guard exists else { throw SpoolError.notFound("stream \(stream) has no events") }
        writer.key("events")
        writer.writeEvents(events.prefix(limit))
        writer.key("next_version")
        writer.writeOptionalUInt(events.count > limit ? events[limit].version : nil)
    }

    /// `read_all` → `events` and `next_seq` (where the next page starts; null once the scan
    /// reached the head of the log).
    func readAll(_ request: inout Request, _ writer: inout JSONWriter) async throws {
        let fromSeq = max(try request.fields.optionalUInt64("from_seq") ?? 1, 1)
        let limit = try readLimit(&request.fields)
        var filter = EventFilter.all
        if var fields = try request.fields.optionalObject("filter") {
            filter.types = Set(try fields.optionalStrings("types") ?? [])
            filter.streamPrefix = try fields.optionalString("stream_prefix")
            try fields.finish()
        }
        try request.fields.finish()
        let log = engine.log
        let scanLimit = limits.readAllScanLimit
        let page = try await blocking { [filter] in try log.read(from: fromSeq, limit: limit, filter: filter, scanLimit: scanLimit) }
        writer.key("events")
        writer.writeEvents(page.events)
        writer.key("next_seq")
        writer.writeOptionalUInt(page.nextSeq)
    }

    func readLimit(_ fields: inout FieldReader) throws(SpoolError) -> Int {
        try fields.int("limit", in: 1...limits.maxReadLimit, default: limits.defaultReadLimit)
    }
}

/// The member names of an `append` answer, encoded once (one answer per append).
private enum AppendKeys {
    static let firstSeq = JSONWriter.Key("first_seq")
    static let lastSeq = JSONWriter.Key("last_seq")
    static let duplicate = JSONWriter.Key("duplicate")
}
