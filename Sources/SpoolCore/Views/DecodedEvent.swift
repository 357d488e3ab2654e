import JSON

/// A recorded event with its data parsed once, shared by every projector that folds it.
/// A class: handed from view to view, it is one reference, not a copy of every field.
public final class DecodedEvent: Sendable {
    public let event: RecordedEvent
    public let data: JSONObject

    /// Parses `event.data`; the writer stored it from a parsed object, so a failure means
    /// the record is damaged and is reported as such.
    public init(_ event: RecordedEvent) throws {
        guard let data = try JSONParser.parse(event.data).objectValue else {
            throw EventRecord.Corrupt(seq: event.seq, reason: "event data is not a JSON object")
        }
        self.event = event
        self.data = data
        type = EventType(rawValue: event.type)
    }

    public let type: EventType?
    public var userID: String? { data["user_id"]?.stringValue }
}
