import JSON
import Synchronization

/// A recorded event with its data parsed once, shared by every projector that folds it.
/// A class: handed from view to view, it is one reference, not a copy of every field.
///
/// The fields the folds read are kept apart; the whole `event` is built only when asked for
/// (a replay reads records as `StoredEvent`s, and the user folds never need more). The data
/// of an event the writer appended from checked text is parsed only when a fold asks for
/// `data`: the user folds read `dataText`.
public final class DecodedEvent: Sendable {
    public let seq: UInt64
    /// The event's position in its stream.
    public let version: UInt64
    public let time: Timestamp
    public let type: EventType?
    /// The data's `user_id`.
    public let userID: String?
    private let parsed: Mutex<JSONObject?>
    private let source: Source

    private enum Source {
        case recorded(RecordedEvent)
        case stored(StoredEvent)
    }

    /// `event`, of type `type`, with its data already parsed as `data`.
    public init(_ event: RecordedEvent, type: EventType?, data: JSONObject) {
        seq = event.seq
        version = event.version
        time = event.time
        self.type = type
        userID = data["user_id"]?.stringValue
        parsed = Mutex(data)
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
        let data = try Self.object(stored.parsedData(), seq: stored.seq)
        self.init(stored, type: type, userID: data["user_id"]?.stringValue, data: data)
    }

    /// `stored`, of type `type` about `userID`, as the writer just wrote it: `data` is the
    /// data as the request parsed it, or nil when the request's text was checked instead (it is
    /// then parsed from the record when asked for, and cannot fail: the text was checked).
    init(_ stored: StoredEvent, type: EventType?, userID: String?, data: JSONObject?) {
        seq = stored.seq
        version = stored.version
        time = stored.time
        self.type = type
        self.userID = userID
        parsed = Mutex(data)
        source = .stored(stored)
    }

    private static func object(_ value: JSONValue, seq: UInt64) throws -> JSONObject {
        guard let object = value.objectValue else {
            throw EventRecord.Corrupt(seq: seq, reason: "event data is not a JSON object")
        }
        return object
    }

    /// The data, parsed.
    public var data: JSONObject {
        parsed.withLock { parsed in
            if let parsed { return parsed }
            let data = (try? JSONParser.parse(dataText.bytes, in: dataText.range))?.objectValue ?? [:]
            parsed = data
            return data
        }
    }

    /// The data as the record holds it, in the form `JSONWriter` writes.
    public var dataText: JSONText {
        switch source {
        case .recorded(let event): JSONText(written: event.data, in: event.data.indices)
        case .stored(let stored): stored.dataText
        }
    }

    /// The whole event (built from the record when the event was read as one).
    public var event: RecordedEvent {
        switch source {
        case .recorded(let event): event
        case .stored(let stored): stored.decoded()
        }
    }
}
