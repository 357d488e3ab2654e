import Foundation
import JSON
import SpoolCore

extension JSONWriter {
    /// Writes event `E` of the protocol:
    /// `{"seq","stream","version","type","id","time","data","metadata","hash"}`.
    /// `data` and `metadata` are spliced from the stored canonical bytes, never re-encoded.
    public mutating func writeEvent(_ event: RecordedEvent) {
        writeEvent(
            seq: event.seq, stream: ArraySlice(event.stream.utf8), version: event.version, type: ArraySlice(event.type.utf8),
            id: event.id.bytes[...], time: event.time, data: event.data[...], metadata: event.metadata[...], hash: event.hash[...])
    }

    /// Writes event `E` straight from its stored record: the same bytes as the `RecordedEvent`
    /// form, without building one.
    public mutating func writeEvent(_ event: StoredEvent) {
        writeEvent(
            seq: event.seq, stream: event.stream, version: event.version, type: event.type, id: event.id, time: event.time,
            data: event.data, metadata: event.metadata, hash: event.hash)
    }

    /// `E` from its fields: `stream` and `type` as UTF-8, `id` and `hash` as their bytes.
    private mutating func writeEvent(
        seq: UInt64, stream: ArraySlice<UInt8>, version: UInt64, type: ArraySlice<UInt8>, id: ArraySlice<UInt8>, time: Timestamp,
        data: ArraySlice<UInt8>, metadata: ArraySlice<UInt8>, hash: ArraySlice<UInt8>
    ) {
        beginObject()
        key(EventKeys.seq)
        writeUInt(seq)
        key(EventKeys.stream)
        writeString(utf8: stream)
        key(EventKeys.version)
        writeUInt(version)
        key(EventKeys.type)
        writeString(utf8: type)
        key(EventKeys.id)
        writeUnescapedString { UUID.appendLowercased(id, to: &$0) }
        key(EventKeys.time)
        writeUnescapedString { time.appendRFC3339(to: &$0) }
        key(EventKeys.data)
        writeRaw(data)
        key(EventKeys.metadata)
        writeRaw(metadata)
        key(EventKeys.hash)
        writeUnescapedString { Hex.append(hash, to: &$0) }
        endObject()
    }

    /// Writes `events` as an array of `E`.
    public mutating func writeEvents(_ events: some Sequence<RecordedEvent>) {
        beginArray()
        for event in events { writeEvent(event) }
        endArray()
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
