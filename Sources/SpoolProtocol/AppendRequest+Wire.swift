import Foundation
import JSON
import SpoolCore

extension AppendRequest {
    /// Reads an `append` request:
    /// `{"stream", "expected_version"?: n | "any" | "no_stream" | "exists",
    ///   "events": [{"type", "id"?: uuid, "data", "metadata"?: {…}}]}`.
    /// Checks only shapes; the events' schemas are checked by `prepare`. Throws `bad_request`
    /// naming the field (e.g. `events[0].type: expected a string, got integer`), and when
    /// there are more than `maxEvents` events.
    public init(fields: inout FieldReader, maxEvents: Int = AppendRequest.maxEvents) throws(SpoolError) {
        let stream = try fields.string("stream")
        let expected = try ExpectedVersion(wire: fields.value("expected_version"), in: fields)
        guard let events = try fields.optionalArray("events") else { throw fields.problem("events", "required") }
        guard !events.isEmpty else { throw fields.problem("events", "at least one event is required") }
        guard events.count <= min(maxEvents, Self.maxEvents) else {
            throw fields.problem("events", "at most \(min(maxEvents, Self.maxEvents)) events per append, got \(events.count)")
        }
        var proposed: [ProposedEvent] = []
        proposed.reserveCapacity(events.count)
        let eventsPath = fields.path(of: "events")
        for index in events.indices {
            guard case .object(let object) = events[index] else {
                throw .badRequest("\(eventsPath)[\(index)]: expected an object, got \(events[index].typeName)")
            }
            var event = FieldReader(object, element: index, of: eventsPath, source: fields.source)
            proposed.append(try ProposedEvent.read(&event))
        }
        try fields.finish()
        self.init(stream: stream, expectedVersion: expected, events: proposed)
    }
}

extension ProposedEvent {
    /// Reads `{"type", "id"?, "data", "metadata"?}`; `data` may be any JSON here (its type's
    /// schema is checked later), `metadata` must be an object. A function, not an `init`: an
    /// initializer that delegates copied the event once more.
    static func read(_ fields: inout FieldReader) throws(SpoolError) -> ProposedEvent {
        let type = try fields.string("type")
        var id: UUID? = nil
        if let text = try fields.optionalString("id") {
            guard let uuid = UUID(strictText: text) else {
                throw fields.problem("id", "expected a UUID such as 0190a5c4-7d3e-7b2a-9c1f-2b3c4d5e6f70, got \"\(text.prefix(64))\"")
            }
            id = uuid
        }
        guard let data = fields.value("data") else { throw fields.problem("data", "required") }
        let metadata = try fields.optionalRawObject("metadata") ?? JSONObject()
        try fields.finish()
        return ProposedEvent(id: id, type: type, data: data, metadata: metadata, canonicalData: fields.canonicalText(of: data))
    }
}

extension ExpectedVersion {
    /// Reads the wire form: absent means `any`; a non-negative integer, `"any"`,
    /// `"no_stream"` or `"exists"`. Throws `bad_request` naming `expected_version` in `fields`.
    init(wire value: JSONValue?, in fields: borrowing FieldReader) throws(SpoolError) {
        guard let version = ExpectedVersion(wire: value) else {
            throw fields.problem(
                "expected_version",
                #"expected a non-negative integer, "any", "no_stream" or "exists", got \#(value?.jsonString.prefix(64) ?? "")"#)
        }
        self = version
    }

    /// The wire form's version (absent: `any`), or nil when `value` is none of them.
    init?(wire value: JSONValue?) {
        switch value {
        case nil: self = .any
        case .string("any")?: self = .any
        case .string("no_stream")?: self = .noStream
        case .string("exists")?: self = .exists
        case .int(let version)? where version >= 0: self = .exact(UInt64(version))
        default: return nil
        }
    }
}

extension UUID {
    /// Parses exactly `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (hex digits in either case).
    /// Stricter than `UUID(uuidString:)`, which accepts stray characters on some platforms.
    public init?(strictText text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 36 else { return nil }
        var value: [UInt8] = []
        value.reserveCapacity(16)
        var high: UInt8? = nil
        for (index, byte) in bytes.enumerated() {
            if index == 8 || index == 13 || index == 18 || index == 23 {
                guard byte == UInt8(ascii: "-") else { return nil }
                continue
            }
            let nibble: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            if let first = high {
                value.append(first << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        self.init(bytes: value)
    }
}
