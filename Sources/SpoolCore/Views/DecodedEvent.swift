import JSON

/// A recorded event with its data parsed once, shared by every projector that folds it.
/// A class: handed from view to view, it is one reference, not a copy of every field.
///
/// The fields the folds read are kept apart; the whole `event` is built only when asked for
/// (a replay reads records as `StoredEvent`s, and the user folds never need more).
public final class DecodedEvent: Sendable {
    public let seq: UInt64
    /// The event's position in its stream.
    public let version: UInt64
    public let time: Timestamp
    public let type: EventType?
    public let data: JSONObject
    private let source: Source

    private enum Source {
        case recorded(RecordedEvent)
        case stored(StoredEvent)
    }

    /// Parses `event.data`; the writer stored it from a parsed object, so a failure means
    /// the record is damaged and is reported as such.
    public convenience init(_ event: RecordedEvent) throws {
        try self.init(
            seq: event.seq, version: event.version, time: event.time, type: EventType(rawValue: event.type), data: event.data,
            source: .recorded(event))
    }

    /// Parses a stored record's data without building the whole event.
    public convenience init(_ stored: StoredEvent) throws {
        try self.init(
            seq: stored.seq, version: stored.version, time: stored.time, type: stored.eventType, data: Array(stored.data),
            source: .stored(stored))
    }

    private init(seq: UInt64, version: UInt64, time: Timestamp, type: EventType?, data: [UInt8], source: Source) throws {
        guard let object = try JSONParser.parse(data).objectValue else {
            throw EventRecord.Corrupt(seq: seq, reason: "event data is not a JSON object")
        }
        self.seq = seq
        self.version = version
        self.time = time
        self.type = type
        self.data = object
        self.source = source
    }

    /// The whole event (built from the record when the event was read as one).
    public var event: RecordedEvent {
        switch source {
        case .recorded(let event): event
        case .stored(let stored): stored.decoded()
        }
    }

    public var userID: String? { data["user_id"]?.stringValue }
}
