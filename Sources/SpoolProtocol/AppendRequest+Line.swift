import Foundation
import JSON
import SpoolCore

extension AppendRequest {
    /// Reads `line` as an `append` request of the usual shape straight from its bytes: no
    /// tree is built around the events' data and no string made for a key. Returns the
    /// request's `id` and the append, exactly as `Dispatcher.decode` and `init(fields:)` read
    /// them, or nil for any line that they would read otherwise or refuse (another op, a key
    /// they do not know, a `null` anywhere but in `id`, `expected_version` and an event's `id`
    /// and `metadata`, an event type Spool does not know, too many events, invalid JSON…): the
    /// caller then reads it the general way, which also words its errors.
    /// Short strings come from, and are kept in, `strings` (one table per connection).
    public static func read(
        line: [UInt8], maxDepth: Int, maxEvents: Int, strings: inout JSONStringTable
    ) -> (id: JSONValue?, append: AppendRequest)? {
        JSONReader.withStrings(line, maxDepth: maxDepth, strings: &strings) { reader in read(&reader, line: line, maxEvents: maxEvents) }
    }

    /// `read(line:…)` with `reader` at the start of `line`.
    private static func read(_ reader: inout JSONReader, line: [UInt8], maxEvents: Int) -> (id: JSONValue?, append: AppendRequest)? {
        var id: JSONValue? = nil
        var isAppend = false
        var stream: String? = nil
        var expected = ExpectedVersion.any
        var events: [ProposedEvent]? = nil
        do {
            var seen: UInt64 = 0
            try reader.beginObject()
            while let member = try reader.nextMember(requestNames, seen: &seen) {
                switch member {
                case 0:
                    guard try reader.string() == "append" else { return nil }
                    isAppend = true
                case 1:
                    id = try reader.value()
                    if case .array? = id { return nil }
                    if case .object? = id { return nil }
                case 2: stream = try reader.string()
                case 3:
                    guard let version = ExpectedVersion(wire: try reader.value().nonNull) else { return nil }
                    expected = version
                default:
                    events = try readEvents(&reader, line: line, maxEvents: min(maxEvents, Self.maxEvents))
                    if events == nil { return nil }
                }
            }
            try reader.end()
        } catch {
            return nil
        }
        guard isAppend, let stream, let events, !events.isEmpty else { return nil }
        return (id, AppendRequest(stream: stream, expectedVersion: expected, events: events))
    }

    private static let requestNames = JSONReader.Names(["op", "id", "stream", "expected_version", "events"])
    private static let eventNames = JSONReader.Names(["type", "id", "data", "metadata"])
    /// Known types only: the name is then the type's own string, not a new one (a type name
    /// is longer than a string kept without allocating). Any other goes the general way.
    private static let eventTypes = EventType.allCases
    private static let eventTypeNames = JSONReader.Names(eventTypes.map(\.rawValue))

    /// The `events` array at the reader, or nil when an event is not of the usual shape or
    /// there are more than `maxEvents`.
    private static func readEvents(_ reader: inout JSONReader, line: [UInt8], maxEvents: Int) throws(JSONParseError) -> [ProposedEvent]? {
        var events: [ProposedEvent] = []
        try reader.beginArray()
        while try reader.nextElement() {
            guard events.count < maxEvents, let event = try readEvent(&reader, line: line) else { return nil }
            events.append(event)
        }
        return events
    }

    /// One event object at the reader (`ProposedEvent.read`'s fields), or nil. Data that
    /// follows its type is checked as text where it lies (`EventValidator.check`), and no tree
    /// is built for it; it must then be canonical, so that the record can copy it.
    private static func readEvent(_ reader: inout JSONReader, line: [UInt8]) throws(JSONParseError) -> ProposedEvent? {
        var type: EventType? = nil
        var id: UUID? = nil
        var data: JSONValue? = nil
        var checked: (text: Range<Int>, userID: String)? = nil
        var metadata = JSONObject()
        var seen: UInt64 = 0
        try reader.beginObject()
        while let member = try reader.nextMember(eventNames, seen: &seen) {
            switch member {
            case 0: type = eventTypes[try reader.string(among: eventTypeNames)]
            case 1:
                switch try reader.value() {
                case .null: break
                case .string(let text):
                    guard let uuid = UUID(strictText: text) else { return nil }
                    id = uuid
                default: return nil
                }
            case 2:
                if let type {
                    guard let data = try EventValidator.check(&reader, in: line, as: type) else { return nil }
                    checked = data
                } else {
                    data = try reader.value().nonNull
                    if data == nil { return nil }
                }
            default:
                switch try reader.value() {
                case .null: break
                case .object(let object): metadata = object
                default: return nil
                }
            }
        }
        guard let type else { return nil }
        if let checked {
            return ProposedEvent(id: id, type: type, checkedData: line[checked.text], userID: checked.userID, metadata: metadata)
        }
        guard let data else { return nil }
        let canonicalData = data.objectValue?.canonicalText(in: line)
        return ProposedEvent(id: id, type: type.rawValue, data: data, metadata: metadata, canonicalData: canonicalData)
    }
}

extension JSONValue {
    /// The value, or nil for `null` (which every request field treats as absent).
    fileprivate var nonNull: JSONValue? { if case .null = self { nil } else { self } }
}
