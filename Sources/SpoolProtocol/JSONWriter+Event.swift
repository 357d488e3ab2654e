import JSON
import SpoolCore

extension JSONWriter {
    /// Writes event `E` of the protocol:
    /// `{"seq","stream","version","type","id","time","data","metadata","hash"}`.
    /// `data` and `metadata` are spliced from the stored canonical bytes, never re-encoded.
    public mutating func writeEvent(_ event: RecordedEvent) {
        beginObject()
        key("seq")
        writeUInt(event.seq)
        key("stream")
        writeString(event.stream)
        key("version")
        writeUInt(event.version)
        key("type")
        writeString(event.type)
        key("id")
        writeUnescapedString { event.id.appendLowercased(to: &$0) }
        key("time")
        writeUnescapedString { event.time.appendRFC3339(to: &$0) }
        key("data")
        writeRaw(event.data)
        key("metadata")
        writeRaw(event.metadata)
        key("hash")
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
