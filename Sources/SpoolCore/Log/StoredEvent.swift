import Foundation
import LMDB

/// An event as the log stores it: its record bytes (see `EventRecord`), with each field read
/// where it lies. A fetch writes every field of its events to the wire straight from here;
/// `decoded()` builds the `RecordedEvent` for code that wants the values.
public struct StoredEvent: Sendable {
    public let seq: UInt64
    private let bytes: [UInt8]
    /// Where the stream, type, metadata and data end.
    private let streamEnd: Int
    private let typeEnd: Int
    private let metadataEnd: Int
    private let dataEnd: Int

    /// Reads the record stored under `seq`. Throws `Corrupt` when its lengths do not add up
    /// or its format is unknown; does not check the hash (see `EventRecord.verifyHash`).
    init(seq: UInt64, _ bytes: [UInt8]) throws(EventRecord.Corrupt) {
        let header = EventRecord.headerSize
        let hashes = 2 * EventRecord.hashSize
        guard bytes.count >= header + hashes else { throw EventRecord.Corrupt(seq: seq, reason: "record too short") }
        guard bytes[0] == EventRecord.formatVersion else {
            throw EventRecord.Corrupt(seq: seq, reason: "unknown record format \(bytes[0])")
        }
        self.seq = seq
        self.bytes = bytes
        streamEnd = header + (Int(bytes[34]) << 8 | Int(bytes[35]))
        typeEnd = streamEnd + (Int(bytes[36]) << 8 | Int(bytes[37]))
        metadataEnd = typeEnd + Int(BigEndian.uint32(bytes, at: 38) ?? 0)
        dataEnd = metadataEnd + Int(BigEndian.uint32(bytes, at: 42) ?? 0)
        guard dataEnd + hashes == bytes.count else { throw EventRecord.Corrupt(seq: seq, reason: "record lengths do not add up") }
    }

    public var stream: ArraySlice<UInt8> { bytes[EventRecord.headerSize..<streamEnd] }
    public var type: ArraySlice<UInt8> { bytes[streamEnd..<typeEnd] }
    /// Canonical JSON object bytes.
    public var metadata: ArraySlice<UInt8> { bytes[typeEnd..<metadataEnd] }
    /// Canonical JSON object bytes.
    public var data: ArraySlice<UInt8> { bytes[metadataEnd..<dataEnd] }
    /// The 16 bytes of the event id.
    public var id: ArraySlice<UInt8> { bytes[2..<18] }
    public var version: UInt64 { BigEndian.uint64(bytes, at: 26) ?? 0 }
    public var time: Timestamp { Timestamp(milliseconds: Int64(bitPattern: BigEndian.uint64(bytes, at: 18) ?? 0)) }
    public var previousHash: ArraySlice<UInt8> { bytes[dataEnd..<dataEnd + EventRecord.hashSize] }
    public var hash: ArraySlice<UInt8> { bytes[(dataEnd + EventRecord.hashSize)...] }

    /// The type, when Spool knows it.
    public var eventType: EventType? { EventType.named(utf8: type) }

    /// Which of `count` parts the event's stream falls in, by an FNV-1a hash of the stream
    /// name after its category (`user-42` and `email-42` fall in the same part).
    func streamPartition(of count: Int) -> Int {
        let stream = self.stream
        let id = stream.firstIndex(of: UInt8(ascii: "-")).map { stream[($0 + 1)...] } ?? stream
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in id { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return Int(hash % UInt64(count))
    }

    /// The event as values.
    public func decoded() -> RecordedEvent {
        RecordedEvent(
            seq: seq, id: UUID(bytes: id), stream: String(decoding: stream, as: UTF8.self), version: version,
            type: String(decoding: type, as: UTF8.self), time: time, metadata: Array(metadata), data: Array(data),
            hasClientID: bytes[1] & 1 == 1, previousHash: Array(previousHash), hash: Array(hash))
    }
}
