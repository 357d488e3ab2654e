import JSON
import SpoolCore

extension Dispatcher {
    static let viewOperations: [Operation] = [
        Operation("get_user", "a user's profile, segments and preferences: user_id, as_of (seq or RFC 3339 time)", access: .role(.read)) {
            dispatcher, request, writer in try await dispatcher.getUser(&request, &writer)
        },
        Operation("list_segment", "a segment's members in user-id order: segment, as_of, after, limit (100)", access: .role(.read)) {
            dispatcher, request, writer in try await dispatcher.listSegment(&request, &writer)
        },
        Operation("segments", "the segments with their member counts, by name: as_of, after, limit (100)", access: .role(.read)) {
            dispatcher, request, writer in try await dispatcher.segments(&request, &writer)
        },
        Operation("list_emails", "a user's generated emails with their status: user_id, as_of, after, limit (100)", access: .role(.read)) {
            dispatcher, request, writer in try await dispatcher.listEmails(&request, &writer)
        },
        Operation(
            "audit", "every event of a user and their emails, oldest first: user_id, since, until, as_of, after, limit (100)",
            access: .role(.read)
        ) {
            dispatcher, request, writer in try await dispatcher.audit(&request, &writer)
        },
        Operation("rebuild", "rebuilds views by replaying the log, online: views ([all]), wait (true)", access: .role(.admin)) {
            dispatcher, request, writer in try await dispatcher.rebuild(&request, &writer)
        },
    ]

    /// `get_user` → `user` (U). `not_found` for an unknown user or one that did not exist yet.
    func getUser(_ request: inout Request, _ writer: inout JSONWriter) async throws {
        let userID = try request.fields.userID()
        let asOf = try request.fields.asOf()
        try request.fields.finish()
        let queries = engine.queries
        let user = try await blocking { try queries.user(userID, asOf: asOf) }
        writer.key("user")
        writer.writeRaw(user.jsonBytes[...])
    }

    /// `list_segment` → `users` (ids) and `next` (the `after` of the next page, or null).
    func listSegment(_ request: inout Request, _ writer: inout JSONWriter) async throws {
        let segment = try request.fields.name("segment", maxBytes: EventValidator.longestSegmentName)
        let asOf = try request.fields.asOf()
        let after = try request.fields.optionalName("after", maxBytes: StreamName.maxLength - "user-".utf8.count)
        let limit = try readLimit(&request.fields)
        try request.fields.finish()
        let queries = engine.queries
        let page = try await blocking { try queries.segmentMembers(segment, asOf: asOf, after: after, limit: limit) }
        writer.key("users")
        writer.write(.array(page.users.map(JSONValue.string)))
        writer.key("next")
        writer.writeOptionalString(page.next)
    }

    /// `segments` → `segments` [{name, count}] after the name `after`, and `next` (the
    /// `after` of the next page, or null).
    func segments(_ request: inout Request, _ writer: inout JSONWriter) async throws {
        let asOf = try request.fields.asOf()
        let after = try request.fields.optionalName("after", maxBytes: EventValidator.longestSegmentName)
        let limit = try readLimit(&request.fields)
        try request.fields.finish()
        let queries = engine.queries
        let page = try await blocking { try queries.segments(asOf: asOf, after: after, limit: limit) }
        writer.key("segments")
        writer.write(.array(page.segments.map { .object(["name": .string($0.name), "count": .int(Int64($0.count))]) }))
        writer.key("next")
        writer.writeOptionalString(page.next)
    }

    /// `list_emails` → `emails` generated after seq `after`, in the order they were generated,
    /// status as of `as_of`, and `next` (the `after` of the next page, or null).
    func listEmails(_ request: inout Request, _ writer: inout JSONWriter) async throws {
        let userID = try request.fields.userID()
        let asOf = try request.fields.asOf()
        let after = try request.fields.optionalUInt64("after") ?? 0
        let limit = try readLimit(&request.fields)
        try request.fields.finish()
        let queries = engine.queries
        let pageBytes = limits.pageBytes
        let page = try await blocking { try queries.emails(userID, asOf: asOf, after: after, limit: limit, maxBytes: pageBytes) }
        writer.key("emails")
        writer.write(.array(page.emails))
        writer.key("next")
        writer.writeOptionalUInt(page.next)
    }

    /// `audit` → `events` (E) of `user-<id>` and `email-<id>` in seq order after seq `after`,
    /// and `next` (the `after` of the next page, or null). An unknown user is `not_found`.
    func audit(_ request: inout Request, _ writer: inout JSONWriter) async throws {
        let userID = try request.fields.userID()
        let since = try request.fields.optionalTime("since")
        let until = try request.fields.optionalTime("until")
        let asOf = try request.fields.asOf()
        let after = try request.fields.optionalUInt64("after") ?? 0
        let limit = try readLimit(&request.fields)
        try request.fields.finish()
        let engine = engine
        let pageBytes = limits.pageBytes
        let page = try await blocking {
            guard try engine.log.streamVersion("user-\(userID)") > 0 else { throw SpoolError.notFound("no user \(userID)") }
            return try engine.queries.audit(
                userID, since: since, until: until, asOf: asOf, after: after, limit: limit, maxBytes: pageBytes)
        }
        writer.key("events")
        writer.writeEvents(page.events)
        writer.key("next")
        writer.writeOptionalUInt(page.next)
    }

    /// `rebuild` → with `wait` (default), `checksums` {view: hex} once the new views are live;
    /// without, `started: true` at once, progress in `stats.views.rebuild`.
    func rebuild(_ request: inout Request, _ writer: inout JSONWriter) async throws {
        let names = try request.fields.optionalStrings("views")
        let wait = try request.fields.optionalBool("wait") ?? true
        try request.fields.finish()
        var kinds: [ViewKind] = []
        for name in names ?? ViewKind.allCases.map(\.rawValue) {
            guard let kind = ViewKind(rawValue: name) else {
                throw request.fields.problem(
                    "views", "unknown view '\(name)'; views are \(ViewKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            kinds.append(kind)
        }
        let engine = engine
        // On the global pool: the replay folds for seconds on the thread that calls it, which
        // must not be the event loop serving this connection (and its neighbours).
        let rebuild = Task(executorPreference: globalConcurrentExecutor) { try await engine.rebuild(kinds) }
        guard wait else {
            Task { [logger] in
                do { _ = try await rebuild.value } catch { logger.error("rebuild failed", metadata: ["error": "\(error)"]) }
            }
            writer.key("started")
            writer.writeBool(true)
            return
        }
        let checksums = try await rebuild.value
        writer.key("checksums")
        writer.write(
            .object(JSONObject(ViewKind.allCases.compactMap { kind in checksums[kind].map { JSONMember(kind.rawValue, .string($0)) } })))
    }

    /// The `views` member of `stats`: per view its checkpoint, and the rebuild's progress.
    /// Runs on the blocking executor.
    func viewStatistics() throws -> JSONValue {
        var object = JSONObject()
        for (view, checkpoint) in try engine.viewCheckpoints() { object[view.rawValue] = ["checkpoint": .int(Int64(clamping: checkpoint))] }
        if let progress = engine.rebuildStatus {
            object["rebuild"] = [
                "phase": .string(progress.phase.rawValue), "done": .int(Int64(progress.done)), "total": .int(Int64(progress.total)),
            ]
        }
        return .object(object)
    }
}

extension FieldReader {
    /// `name`, a string of at most `maxBytes` bytes (longer ones could be no key of the view
    /// it is looked up in), or nil when absent.
    mutating func optionalName(_ name: String, maxBytes: Int) throws(SpoolError) -> String? {
        guard let string = try optionalString(name) else { return nil }
        guard string.utf8.count <= maxBytes else { throw problem(name, "expected at most \(maxBytes) bytes, got \(string.utf8.count)") }
        return string
    }

    /// `optionalName`, required.
    mutating func name(_ name: String, maxBytes: Int) throws(SpoolError) -> String {
        guard let string = try optionalName(name, maxBytes: maxBytes) else { throw problem(name, "required") }
        return string
    }

    /// `user_id`: required, and such that `user-<user_id>` is a stream name (not empty, no
    /// spaces or control characters, short enough). Throws `bad_request` naming the field.
    mutating func userID() throws(SpoolError) -> String {
        let userID = try string("user_id")
        guard StreamName.problem(with: "user-" + userID) == nil else {
            let longest = StreamName.maxLength - "user-".utf8.count
            throw problem("user_id", "expected a non-empty id of at most \(longest) bytes without spaces or control characters")
        }
        return userID
    }

    /// `as_of`: a seq (integer) or an RFC 3339 time or date (string); nil when absent.
    mutating func asOf() throws(SpoolError) -> AsOf? {
        guard let value = value("as_of") else { return nil }
        switch value {
        case .int(let seq) where seq >= 0: return .seq(UInt64(seq))
        case .string(let text):
            guard let time = Timestamp(rfc3339: text) else { throw problem("as_of", "expected a seq or an RFC 3339 time, got '\(text)'") }
            return .time(time)
        default: throw problem("as_of", "expected a seq (non-negative integer) or an RFC 3339 time, got \(value.typeName)")
        }
    }

    /// An optional RFC 3339 time field.
    mutating func optionalTime(_ name: String) throws(SpoolError) -> Timestamp? {
        guard let text = try optionalString(name) else { return nil }
        guard let time = Timestamp(rfc3339: text) else { throw problem(name, "expected an RFC 3339 time, got '\(text)'") }
        return time
    }
}

extension FieldReader {
    /// An optional boolean field.
    mutating func optionalBool(_ name: String) throws(SpoolError) -> Bool? {
        guard let value = value(name) else { return nil }
        guard case .bool(let flag) = value else { throw wrongType(name, expected: "a boolean", got: value) }
        return flag
    }
}
