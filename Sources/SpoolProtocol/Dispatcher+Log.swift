import JSON
import SpoolCore

extension Dispatcher {
    static let logOperations: [Operation] = [
        Operation(
            "append", "appends events to one stream: stream, expected_version, events[{type, id?, data, metadata?}]", access: .role(.write)
        ) {
            dispatcher, request in try dispatcher.prepareAppend(&request)
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

    /// `append`'s part before the writer: reads the request, then validates, drafts and stamps
    /// its events.
    func prepareAppend(_ request: inout Request) throws -> PreparedAppend {
        let append = try request.append.take() ?? AppendRequest(fields: &request.fields, maxEvents: limits.maxAppendEvents)
        return try prepare(append, actor: request.session.actor)
    }

    /// Validates and drafts `append`, stamped with `actor`; the content digests are taken here
    /// unless the writer takes them.
    func prepare(_ append: borrowing AppendRequest, actor: ActorStamp) throws(SpoolError) -> PreparedAppend {
        try append.prepare(actor: actor, contentDigests: engine.writer?.takesContentDigests != true)
    }

    /// `append` → `first_seq`, `last_seq`, `version`, `duplicate` (an idempotent retry that
    /// wrote nothing). Answered only once the events are durable.
    static func writeAppended(_ result: AppendResult, into writer: inout JSONWriter) {
        writer.key(AppendKeys.firstSeq)
        writer.writeUInt(result.firstSeq)
        writer.key(AppendKeys.lastSeq)
        writer.writeUInt(result.lastSeq)
        writer.key(EventKeys.version)
        writer.writeUInt(result.version)
        writer.key(AppendKeys.duplicate)
        writer.writeBool(result.duplicate)
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
        let pageBytes = limits.pageBytes
        let (events, streamVersion) = try await blocking {
            let events = try log.readStream(stream, fromVersion: fromVersion, limit: limit + 1, maxBytes: pageBytes)
            return (events, events.count > limit ? nil : try log.streamVersion(stream))
        }
        guard !events.isEmpty || streamVersion ?? 1 > 0 else { throw SpoolError.notFound("stream \(stream) has no events") }
        let page = events.prefix(limit)
        writer.key("events")
        writer.writeEvents(page)
        writer.key("next_version")
        // Past the page: the event read beyond `limit`, or, when the byte budget ended it, the
        // version after its last event if the stream goes on.
        let next = events.count > limit ? events[limit].version : page.last.map { $0.version + 1 }
        writer.writeOptionalUInt(next.flatMap { $0 <= streamVersion ?? .max ? $0 : nil })
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
        let pageBytes = limits.pageBytes
        let page = try await blocking { [filter] in
            try log.read(from: fromSeq, limit: limit, filter: filter, scanLimit: scanLimit, maxBytes: pageBytes)
        }
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
