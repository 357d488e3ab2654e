import Foundation
import JSON

/// One event as a client proposes it, before it has a position.
public struct ProposedEvent: Sendable {
    /// The client's id for the event; a retry with the same id is idempotent.
    public var id: UUID?
    public var type: String
    public var metadata: JSONObject
    fileprivate let content: Content

    /// The data, as parsed or as checked text.
    fileprivate enum Content: Sendable {
        /// `canonical`, when given, is the data's text as the client sent it, canonical already:
        /// the record copies it instead of writing the tree again.
        case parsed(JSONValue, canonical: ArraySlice<UInt8>?)
        /// Canonical text that passed `EventValidator.check` as `type`, about `userID`.
        case checked(ArraySlice<UInt8>, type: EventType, userID: String)
    }

    /// `canonicalData`, when given, must be the canonical text of `data`
    /// (`JSONObject.canonicalText(in:)` of the bytes `data` was parsed from).
    public init(id: UUID? = nil, type: String, data: JSONValue, metadata: JSONObject = [:], canonicalData: ArraySlice<UInt8>? = nil) {
        self.id = id
        self.type = type
        self.metadata = metadata
        content = .parsed(data, canonical: canonicalData)
    }

    /// An event whose data is `text`, canonical JSON that `EventValidator.check` found valid
    /// as `type` and whose `user_id` it found to be `userID`: no tree is built for it.
    public init(id: UUID? = nil, type: EventType, checkedData text: ArraySlice<UInt8>, userID: String, metadata: JSONObject = [:]) {
        self.id = id
        self.type = type.rawValue
        self.metadata = metadata
        content = .checked(text, type: type, userID: userID)
    }

    /// The data's canonical text as the client sent it, which the record copies; nil when the
    /// record writes `data` instead.
    public var canonicalData: ArraySlice<UInt8>? {
        switch content {
        case .parsed(_, let text): text
        case .checked(let text, _, _): text
        }
    }

    /// The data (parsed here when it came as checked text).
    public var data: JSONValue {
        switch content {
        case .parsed(let data, _): data
        case .checked(let text, _, _): (try? JSONParser.parse(text)) ?? .null
        }
    }
}

/// An append of one or more events to one stream, all or nothing.
public struct AppendRequest: Sendable {
    public var stream: String
    public var expectedVersion: ExpectedVersion
    public var events: [ProposedEvent]
    /// Most events one append may carry.
    public static let maxEvents = 10_000
    /// Metadata members that must be strings when present.
    private static let stringMetadata = ["correlation_id", "causation_id"]

    public init(stream: String, expectedVersion: ExpectedVersion = .any, events: [ProposedEvent]) {
        self.stream = stream
        self.expectedVersion = expectedVersion
        self.events = events
    }

    /// Validates every event against its type's schema and encodes it, off the writer thread.
    /// `actor` is stamped as `metadata.actor`, replacing whatever the client sent. Without
    /// `contentDigests`, the records' content digests are left to the writer's seal (see
    /// `Writer.takesContentDigests`).
    /// Throws `bad_request` for a bad stream, batch or metadata, `invalid_event` naming the
    /// event and field for data that fails its schema.
    public func prepare(actor: String, contentDigests: Bool = true) throws(SpoolError) -> PreparedAppend {
        try prepare(actor: ActorStamp(actor), contentDigests: contentDigests)
    }

    /// `prepare(actor:contentDigests:)` with the actor's stamp made beforehand: a connection
    /// keeps its principal's, so an event without metadata copies it instead of writing it.
    public func prepare(actor: ActorStamp, contentDigests: Bool = true) throws(SpoolError) -> PreparedAppend {
        if let problem = StreamName.problem(with: stream) { throw .badRequest("stream: \(problem)") }
        guard !events.isEmpty else { throw .badRequest("events: at least one event is required") }
        guard events.count <= Self.maxEvents else {
            throw .badRequest("events: at most \(Self.maxEvents) events per append, got \(events.count)")
        }
        var seenIDs = Set<UUID>()
        var prepared = PreparedEvents(
            first: try Self.prepare(events[0], index: 0, stream: stream, actor: actor, contentDigest: contentDigests, seenIDs: &seenIDs))
        for index in events.indices.dropFirst() {
            prepared.append(
                try Self.prepare(
                    events[index], index: index, stream: stream, actor: actor, contentDigest: contentDigests, seenIDs: &seenIDs),
                reservingFor: events.count)
        }
        return PreparedAppend(stream: stream, expectedVersion: expectedVersion, events: prepared)
    }

    /// Validates and drafts `event`, element `index` of an append to `stream`, reading it where
    /// it lies: a copy of each event, and an array for its metadata, were ~1,000 instructions of
    /// an append line.
    private static func prepare(
        _ event: borrowing ProposedEvent, index: Int, stream: String, actor: ActorStamp, contentDigest: Bool, seenIDs: inout Set<UUID>
    ) throws(SpoolError) -> PreparedEvent {
        if let id = event.id, !seenIDs.insert(id).inserted {
            throw .badRequest("events[\(index)].id: \(id.lowercasedString) appears twice in this append")
        }
        let (eventType, userID, parsed): (EventType, String, JSONObject?)
        switch event.content {
        case .parsed(let data, _):
            eventType = try EventValidator.validate(type: event.type, data: data, stream: stream, index: index)
            parsed = data.objectValue ?? [:]
            userID = parsed?["user_id"]?.stringValue ?? ""
        case .checked(_, let type, let checkedUserID):
            try EventValidator.check(stream: stream, of: type, userID: checkedUserID, index: index)
            (eventType, userID, parsed) = (type, checkedUserID, nil)
        }
        for key in stringMetadata {
            if let value = event.metadata[key], value.stringValue == nil {
                throw .badRequest("events[\(index)].metadata.\(key): expected a string, got \(value.typeName)")
            }
        }
        let record = EventRecord.draft(
            stream: stream, type: event.type, contentDigest: contentDigest,
            writeMetadata: { bytes in
                if event.metadata.isEmpty {
                    bytes += actor.metadata
                } else {
                    var members = event.metadata
                    members["actor"] = .string(actor.name)
                    bytes += JSONValue.object(members).jsonBytes
                }
            },
            writeData: { bytes in
                if let text = event.canonicalData {
                    bytes += text
                } else {
                    JSONWriter.appending(to: &bytes) { $0.write(event.data) }
                }
            })
        return PreparedEvent(id: event.id, eventType: eventType, userID: userID, record: record, parsedData: parsed)
    }
}

/// Who appends, as stamped on each event's metadata (`actor`, replacing whatever the client
/// sent), with the metadata of an event that brings none written once: `{"actor":"<name>"}`.
public struct ActorStamp: Sendable {
    public let name: String
    let metadata: [UInt8]

    public init(_ name: String) {
        self.name = name
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("actor")
        writer.writeString(name)
        writer.endObject()
        metadata = writer.bytes
    }
}

/// An event validated and drafted, ready for the writer.
public struct PreparedEvent: Sendable {
    public var id: UUID?
    /// The event's type as validation found it, so the writer does not look the name up again.
    public var eventType: EventType
    /// The data's `user_id` (every type's schema requires one).
    public var userID: String
    /// The event's record without its position (`EventRecord.draft`), encoded and its
    /// content hashed off the writer thread; the writer seals it where it lies.
    var record: DraftRecord
    /// The data as the request parsed it (an object, as every type's schema requires), so
    /// the views fold it without parsing the stored bytes again; nil when the request's data
    /// was checked as text (`ProposedEvent(type:checkedData:userID:)`), and the views read the
    /// record's text.
    public var parsedData: JSONObject?
}

/// An append that passed validation; only the writer can still refuse it (expected version,
/// reused event id). Only `AppendRequest.prepare` makes one, so it holds at least one event
/// (the writer indexes the events as one `streams` entry).
public struct PreparedAppend: Sendable {
    public var stream: String
    public var expectedVersion: ExpectedVersion
    public var events: PreparedEvents
}

/// An append's prepared events: the first held in place, any others in an array, so the
/// usual append of one event allocates no array (one made on the event loop and freed on the
/// writer per append otherwise).
public struct PreparedEvents: RandomAccessCollection, Sendable {
    private var first: PreparedEvent
    private var rest: [PreparedEvent] = []

    init(first: PreparedEvent) { self.first = first }

    public var startIndex: Int { 0 }
    public var endIndex: Int { 1 + rest.count }
    public subscript(position: Int) -> PreparedEvent { position == 0 ? first : rest[position - 1] }

    /// Whether any event carries the client's id (read in place: `contains(where:)` would copy
    /// each event out).
    var anyClientID: Bool { first.id != nil || rest.contains { $0.id != nil } }

    /// Appends `event`; room for `total` events in all is reserved with the first one added.
    mutating func append(_ event: PreparedEvent, reservingFor total: Int) {
        if rest.isEmpty { rest.reserveCapacity(total - 1) }
        rest.append(event)
    }

    /// Runs `body` on each event in order, changed where it lies.
    mutating func updateEach(_ body: (inout PreparedEvent) throws -> Void) rethrows {
        try body(&first)
        for index in rest.indices { try body(&rest[index]) }
    }
}

/// Where an append landed.
public struct AppendResult: Sendable, Equatable {
    public var firstSeq: UInt64
    public var lastSeq: UInt64
    /// The stream's version after the append (its last event's version).
    public var version: UInt64
    /// True when every event id was already in the log: nothing was written, and the
    /// positions are those of the original append.
    public var duplicate: Bool

    public init(firstSeq: UInt64, lastSeq: UInt64, version: UInt64, duplicate: Bool) {
        self.firstSeq = firstSeq
        self.lastSeq = lastSeq
        self.version = version
        self.duplicate = duplicate
    }
}
