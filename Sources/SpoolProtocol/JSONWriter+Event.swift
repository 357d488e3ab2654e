import Foundation
import JSON
import SpoolCore

extension JSONWriter {
    /// Writes event `E` of the protocol:
    /// `{"seq","stream","version","type","id","time","data","metadata","hash"}`.
    /// `data` and `metadata` are spliced from the stored canonical bytes, never re-encoded.
    public mutating func writeEvent(_ event: RecordedEvent) {
        beginObject()
        key(EventKeys.seq)
        writeUInt(event.seq)
        key(EventKeys.stream)
        writeString(event.stream)
        key(EventKeys.version)
        writeUInt(event.version)
        key(EventKeys.type)
        writeString(event.type)
        key(EventKeys.id)
        writeUnescapedString { event.id.appendLowercased(to: &$0) }
        key(EventKeys.time)
        writeUnescapedString { event.time.appendRFC3339(to: &$0) }
        key(EventKeys.data)
        writeRaw(event.data)
        key(EventKeys.metadata)
        writeRaw(event.metadata)
        key(EventKeys.hash)
        writeUnescapedString { Hex.append(event.hash, to: &$0) }
        endObject()
    }

    /// Writes event `E` straight from its stored record: the same bytes as the `RecordedEvent`
    /// form, without building one.
    public mutating func writeEvent(_ event: StoredEvent) {
        beginObject()
        key(EventKeys.seq)
        writeUInt(event.seq)
        key(EventKeys.stream)
        writeString(utf8: event.stream)
        key(EventKeys.version)
        writeUInt(event.version)
        key(EventKeys.type)
        writeString(utf8: event.type)
        key(EventKeys.id)
        writeUnescapedString { UUID.appendLowercased(event.id, to: &$0) }
        key(EventKeys.time)
        writeUnescapedString { event.time.appendRFC3339(to: &$0) }
        key(EventKeys.data)
        writeRaw(event.data)
        key(EventKeys.metadata)
        writeRaw(event.metadata)
        key(EventKeys.hash)
        writeUnescapedString { Hex.append(event.hash, to: &$0) }
        endObject()
    }

    /// Writes `events` as an array of `E`.
    public mutating func writeEvents(_ events: some Sequence<RecordedEvent>) {
        beginArray()
        for event in events { writeEvent(event) }
        endArray()
    }

    /// Writes `value` when present, `null` otherwise.
    public mutating func writeOptionalUInt(_ value: UInt64?) {
        if let value { writeUInt(value) } else { writeNull() }
    }
}

/// The member names of `E` and of a delivery, encoded once.
enum EventKeys {
    static let seq = JSONWriter.Key("seq")
    static let stream = JSONWriter.Key("stream")
    static let version = JSONWriter.Key("version")
    static let type = JSONWriter.Key("type")
    static let id = JSONWriter.Key("id")
    static let time = JSONWriter.Key("time")
    static let data = JSONWriter.Key("data")
    static let metadata = JSONWriter.Key("metadata")
    static let hash = JSONWriter.Key("hash")
    static let delivery = JSONWriter.Key("delivery")
    static let subscription = JSONWriter.Key("subscription")
    static let event = JSONWriter.Key("event")
}
