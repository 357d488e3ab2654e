import Foundation
import JSON
import LMDB

/// An event as the log stores it: its record bytes (see `EventRecord`), with each field read
/// where it lies. A fetch writes every field of its events to the wire straight from here;
/// `decoded()` builds the `RecordedEvent` for code that wants the values.
public struct StoredEvent: Sendable {
    public let seq: UInt64
    private let bytes: [UInt8]
    private let layout: Layout

    /// Reads the record stored under `seq`. Throws `Corrupt` when its lengths do not add up
    /// or its format is unknown; does not check the hash (see `EventRecord.verifyHash`).
    init(seq: UInt64, _ bytes: [UInt8]) throws(EventRecord.Corrupt) {
        layout = try Layout(seq: seq, bytes.span)
        self.seq = seq
        self.bytes = bytes
    }

    /// Where a record's stream, type, metadata and data end, and its own hash starts.
    private struct Layout {
        let streamEnd: Int
        let typeEnd: Int
        let metadataEnd: Int
        let dataEnd: Int
        let hashStart: Int

        /// Throws `Corrupt` when the record's lengths do not add up or its format is unknown.
        init(seq: UInt64, _ bytes: Span<UInt8>) throws(EventRecord.Corrupt) {
            let header = EventRecord.headerSize
            guard bytes.count >= header + EventRecord.hashSize else { throw EventRecord.Corrupt(seq: seq, reason: "record too short") }
            guard EventRecord.readableFormats.contains(bytes[0]) else {
                throw EventRecord.Corrupt(seq: seq, reason: "unknown record format \(bytes[0])")
            }
            streamEnd = header + (Int(bytes[34]) << 8 | Int(bytes[35]))
            typeEnd = streamEnd + (Int(bytes[36]) << 8 | Int(bytes[37]))
            metadataEnd = typeEnd + Int(BigEndian.uint32(bytes, at: 38) ?? 0)
            dataEnd = metadataEnd + Int(BigEndian.uint32(bytes, at: 42) ?? 0)
            guard dataEnd + EventRecord.trailerSize(bytes[0]) == bytes.count else {
                throw EventRecord.Corrupt(seq: seq, reason: "record lengths do not add up")
            }
            hashStart = bytes.count - EventRecord.hashSize
        }
    }

    /// The record's size in bytes, as stored.
    var byteCount: Int { bytes.count }
    public var stream: ArraySlice<UInt8> { bytes[EventRecord.headerSize..<layout.streamEnd] }
    public var type: ArraySlice<UInt8> { bytes[layout.streamEnd..<layout.typeEnd] }
    /// Canonical JSON object bytes.
    public var metadata: ArraySlice<UInt8> { bytes[layout.typeEnd..<layout.metadataEnd] }
    /// Canonical JSON object bytes.
    public var data: ArraySlice<UInt8> { bytes[layout.metadataEnd..<layout.dataEnd] }
    /// The 16 bytes of the event id.
    public var id: ArraySlice<UInt8> { bytes[2..<18] }
    public var version: UInt64 { BigEndian.uint64(bytes, at: 26) ?? 0 }
    public var time: Timestamp { Timestamp(milliseconds: Int64(bitPattern: BigEndian.uint64(bytes, at: 18) ?? 0)) }
    /// The previous record's hash as this one stores it; empty from format 3 on, which does not.
    public var previousHash: ArraySlice<UInt8> { bytes[layout.dataEnd..<layout.hashStart] }
    public var hash: ArraySlice<UInt8> { bytes[layout.hashStart...] }

    /// `data` as text to read where it lies.
    var dataText: JSONText { JSONText(written: bytes, in: layout.metadataEnd..<layout.dataEnd) }
    /// `data` parsed where it lies.
    public func parsedData() throws(JSONParseError) -> JSONValue { try JSONParser.parse(bytes, in: layout.metadataEnd..<layout.dataEnd) }

    /// Whether the record stored under `seq` matches `filter`, read where it lies: a scan copies
    /// only the records it keeps. Throws `Corrupt` as `init` does.
    static func matches(_ filter: EventFilter, seq: UInt64, _ record: Span<UInt8>) throws(EventRecord.Corrupt) -> Bool {
        let layout = try Layout(seq: seq, record)
        return filter.matches(
            type: record.extracting(layout.streamEnd..<layout.typeEnd), stream: record.extracting(EventRecord.headerSize..<layout.streamEnd)
        )
    }

    /// Which of `partCount` parts a record's stream falls in, and the record's type when
    /// `wantsType(part)` (else nil), read where the record lies: a replay routes every record
    /// by these and copies only those it folds. The part is from an FNV-1a hash of the stream
    /// name after its category (`user-42` and `email-42` fall in the same part). Throws
    /// `Corrupt` as `init` does.
    static func route(
        seq: UInt64, _ record: Span<UInt8>, partCount: Int, typeIf wantsType: (_ part: Int) -> Bool
    ) throws(EventRecord.Corrupt) -> (type: EventType?, part: Int) {
        let layout = try Layout(seq: seq, record)
        var part = 0
        if partCount > 1 {
            var start = EventRecord.headerSize
            for index in start..<layout.streamEnd where record[index] == UInt8(ascii: "-") {
                start = index + 1
                break
            }
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for index in start..<layout.streamEnd { hash = (hash ^ UInt64(record[index])) &* 0x100_0000_01b3 }
            part = Int(hash % UInt64(partCount))
        }
        guard wantsType(part) else { return (nil, part) }
        return (EventType.named(utf8: record.extracting(layout.streamEnd..<layout.typeEnd)), part)
    }

    /// The event as values.
    public func decoded() -> RecordedEvent {
        RecordedEvent(
            seq: seq, id: UUID(bytes: id), stream: String(decoding: stream, as: UTF8.self), version: version,
            type: String(decoding: type, as: UTF8.self), time: time, metadata: Array(metadata), data: Array(data),
            hasClientID: bytes[1] & 1 == 1, previousHash: Array(previousHash), hash: Array(hash))
    }
}
