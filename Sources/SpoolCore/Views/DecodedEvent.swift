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

    /// `event`, of type `type`, with its data already parsed as `data` (the writer has both
    /// from the request).
    public init(_ event: RecordedEvent, type: EventType?, data: JSONObject) {
        seq = event.seq
        version = event.version
        time = event.time
        self.type = type
        self.data = data
        source = .recorded(event)
    }

    /// Parses `event.data`; the writer stored it from a parsed object, so a failure means
    /// the record is damaged and is reported as such.
    public convenience init(_ event: RecordedEvent) throws {
        let data = try Self.object(JSONParser.parse(event.data), seq: event.seq)
        self.init(event, type: EventType(rawValue: event.type), data: data)
    }

    /// Parses a stored record's data, where it lies, without building the whole event.
    /// `type` is the record's type, which the caller has read (`StoredEvent.route`).
    convenience init(_ stored: StoredEvent, type: EventType?) throws {
        self.init(stored, type: type, data: try Self.object(stored.parsedData(), seq: stored.seq))
    }

    /// `stored`, of type `type`, with its data already parsed as `data` (the writer has both:
    /// the record it encoded, the data from the request).
    init(_ stored: StoredEvent, type: EventType?, data: JSONObject) {
        seq = stored.seq
        version = stored.version
        time = stored.time
        self.type = type
        self.data = data
        source = .stored(stored)
    }

    private static func object(_ value: JSONValue, seq: UInt64) throws -> JSONObject {
        guard let object = value.objectValue else {
            throw EventRecord.Corrupt(seq: seq, reason: "event data is not a JSON object")
        }
        return object
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
