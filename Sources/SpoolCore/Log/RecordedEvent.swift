import Foundation
import JSON
import LMDB

/// An event as stored in the log, with its position and its link in the hash chain.
///
/// `metadata` and `data` are kept as the canonical JSON bytes they were stored with, so a
/// response or a replay can splice them without parsing (see `EventRecord` for the layout).
public struct RecordedEvent: Sendable, Equatable {
    /// Global position: 1, 2, 3 … with no gaps.
    public var seq: UInt64
    public var id: UUID
    public var stream: String
    /// Position in its stream: 1, 2, 3 …
    public var version: UInt64
    public var type: String
    /// Server time of the append; never earlier than the event before it.
    public var time: Timestamp
    /// Canonical JSON object bytes (correlation_id, causation_id, actor, …).
    public var metadata: [UInt8]
    /// Canonical JSON object bytes of the event's data.
    public var data: [UInt8]
    /// The id came from the client (and so is indexed in `event_ids`).
    public var hasClientID: Bool
    /// The previous record's hash (32 zero bytes before seq 1) as the record stores it: empty
    /// for records of format 3 on, which do not (it is the previous record's `hash`).
    public var previousHash: [UInt8]
    /// The record's hash, chained to the previous one (see `EventRecord`).
    public var hash: [UInt8]

    public var hashHex: String { Hex.encode(hash) }

    public init(
        seq: UInt64, id: UUID, stream: String, version: UInt64, type: String, time: Timestamp, metadata: [UInt8], data: [UInt8],
        hasClientID: Bool, previousHash: [UInt8], hash: [UInt8]
    ) {
        self.seq = seq
        self.id = id
        self.stream = stream
        self.version = version
        self.type = type
        self.time = time
        self.metadata = metadata
        self.data = data
        self.hasClientID = hasClientID
        self.previousHash = previousHash
        self.hash = hash
    }
}

/// Lower-case hexadecimal text of bytes.
public enum Hex {
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        append(bytes, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the hex digits of `bytes` to `out`. Inlinable, so each caller gets a copy
    /// specialized for its collection (a response writes a hash per event).
    @inlinable
    public static func append(_ bytes: some Collection<UInt8>, to out: inout [UInt8]) {
        out.append(addingCapacity: 2 * bytes.count) { text in
            for byte in bytes {
                text.append(digit(byte >> 4))
                text.append(digit(byte & 0x0F))
            }
        }
    }

    /// The lower-case digit of a value 0…15.
    @inlinable
    public static func digit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x57 + nibble }

    /// The bytes of an even-length string of hex digits (either case); nil for anything else.
    public static func decode(_ text: String) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(characters.count / 2)
        for index in stride(from: 0, to: characters.count, by: 2) {
            guard let high = value(of: characters[index]), let low = value(of: characters[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func value(of digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// The byte layout of a record in the `events` database (key: seq, UInt64 big-endian).
///
/// ```
/// offset 0    1       2        18          26         34        36       38        42        46
///        +----+-------+--------+-----------+----------+---------+--------+---------+---------+
///        | v  | flags | id 16  | time i64  | version  | stream  | type   | meta    | data    |
///        |    |       |        | ms, BE    | u64 BE   | len u16 | len u16| len u32 | len u32 |
///        +----+-------+--------+-----------+----------+---------+--------+---------+---------+
///        | stream bytes | type bytes | metadata JSON | data JSON | hash 32 |
///        +--------------+------------+---------------+-----------+---------+
/// ```
/// `flags` bit 0: the id was supplied by the client. The first 46 bytes are the "header", the
/// stream, type, metadata and data the "content"; both together the "body". Format 3 (written
/// now) hashes previous hash ‖ seq (8 bytes, BE) ‖ header ‖ SHA-256(content), so the content's
/// digest is taken where the record is drafted and the writer hashes two blocks, not seven.
/// Format 2 (still read and verified) hashed the same and also stored the previous hash before
/// its own (`trailerSize`): the previous record's hash, 32 bytes that kept a log page to 9 of
/// the usual events where 10 fit now. Format 1 hashed previous hash ‖ seq ‖ body, and stored
/// both hashes too. A reader that meets a format byte it does not know refuses the record
/// rather than guess.
public enum EventRecord {
    public static let formatVersion: UInt8 = 3
    static let readableFormats: ClosedRange<UInt8> = 1...3
    static let headerSize = 46
    static let hashSize = 32
    /// The previous hash of seq 1 (and the head hash of an empty log): 32 zero bytes.
    public static let zeroHash = RecordHash.zero.bytes

    /// The bytes after a record's body in `format`: its hash, after the previous one before
    /// format 3.
    static func trailerSize(_ format: UInt8) -> Int { format >= 3 ? hashSize : 2 * hashSize }

    /// Encodes `event` chained to `previousHash` (its own two hashes are ignored) in record
    /// format `format` (one of `readableFormats`) and returns the record bytes and the new hash.
    static func encode(
        _ event: RecordedEvent, after previousHash: RecordHash, format: UInt8 = formatVersion
    ) -> (bytes: [UInt8], hash: RecordHash) {
        var record = draft(
            stream: event.stream, type: event.type, format: format, writeMetadata: { $0 += event.metadata },
            writeData: { $0 += event.data })
        let hash = seal(
            &record, seq: event.seq, id: event.id, hasClientID: event.hasClientID, time: event.time, version: event.version,
            previousHash: previousHash)
        return (record.bytes, hash)
    }

    /// A record without its position, in format `format`: the header's id, time and version
    /// and the hashes are zeros until `seal` fills them in. `prepare` drafts each event off
    /// the writer thread, `writeMetadata` and `writeData` appending the metadata's and the
    /// data's JSON in place, and, with `contentDigest`, takes the content's digest there, so
    /// that the writer only seals it (`seal` takes it otherwise).
    static func draft(
        stream: String, type: String, format: UInt8 = formatVersion, contentDigest: Bool = true,
        writeMetadata: (inout [UInt8]) -> Void, writeData: (inout [UInt8]) -> Void
    ) -> DraftRecord {
        let metadataStart = headerSize + stream.utf8.count + type.utf8.count
        var out: [UInt8] = []
        out.reserveCapacity(metadataStart + 400 + trailerSize(format))  // one allocation for most events
        out.append(format)
        out.append(repeating: 0, count: headerSize - 1)  // not a shared array: both cores would retain it
        BigEndian.write(UInt16(truncatingIfNeeded: stream.utf8.count), to: &out, at: 34)
        BigEndian.write(UInt16(truncatingIfNeeded: type.utf8.count), to: &out, at: 36)
        out.append(utf8: stream)
        out.append(utf8: type)
        writeMetadata(&out)
        let dataStart = out.count
        BigEndian.write(UInt32(dataStart - metadataStart), to: &out, at: 38)
        writeData(&out)
        BigEndian.write(UInt32(out.count - dataStart), to: &out, at: 42)
        let digest = contentDigest && format >= 2 ? RecordHash(digestOf: out, in: headerSize..<out.count) : nil
        out.append(repeating: 0, count: trailerSize(format))
        return DraftRecord(bytes: out, contentDigest: digest)
    }

    /// Fills in a drafted record's position: flags, id, time and version, then the record's
    /// hash, chained to the previous one (stored too before format 3), which it returns.
    /// Sealing again (a batch run again) replaces all of it.
    static func seal(
        _ record: inout DraftRecord, seq: UInt64, id: UUID, hasClientID: Bool, time: Timestamp, version: UInt64,
        previousHash: RecordHash
    ) -> RecordHash {
        record.bytes[1] = hasClientID ? 1 : 0
        let (high, low) = id.halves
        BigEndian.write(high, to: &record.bytes, at: 2)
        BigEndian.write(low, to: &record.bytes, at: 10)
        BigEndian.write(UInt64(bitPattern: time.milliseconds), to: &record.bytes, at: 18)
        BigEndian.write(version, to: &record.bytes, at: 26)
        // Each input of the hash goes for now where the hash will go (the previous hash before
        // format 3 to its own place, the seq right after it, contiguous), so that every one is
        // hashed where it lies.
        let format = record.bytes[0]
        let bodyEnd = record.bytes.count - trailerSize(format)
        let hashStart = record.bytes.count - hashSize
        var hasher = SHA256Hasher()  // the record's bytes read in ranges, not slices: no reference counted
        previousHash.write(to: &record.bytes, at: bodyEnd)
        if format >= 3 { hasher.update(record.bytes, in: bodyEnd..<bodyEnd + hashSize) }
        BigEndian.write(seq, to: &record.bytes, at: hashStart)
        hasher.update(record.bytes, in: format >= 3 ? hashStart..<hashStart + 8 : bodyEnd..<hashStart + 8)
        if record.contentDigest == nil && format >= 2 {  // `draft` left it to the writer
            record.contentDigest = RecordHash(digestOf: record.bytes, in: headerSize..<bodyEnd)
        }
        if let contentDigest = record.contentDigest {
            hasher.update(record.bytes, in: 0..<headerSize)
            contentDigest.write(to: &record.bytes, at: hashStart)  // the same way: in place
            hasher.update(record.bytes, in: hashStart..<record.bytes.count)
        } else {
            hasher.update(record.bytes, in: 0..<bodyEnd)
        }
        let hash = RecordHash(words: hasher.finalizeWords())
        hash.write(to: &record.bytes, at: hashStart)
        return hash
    }

    /// Why a stored record could not be read.
    public struct Corrupt: Error, Sendable, CustomStringConvertible {
        public let seq: UInt64
        public let reason: String
        public var description: String { "seq \(seq): \(reason)" }
    }

    /// Decodes the record stored under `seq`. Throws `Corrupt` when the bytes do not parse;
    /// does not check the hash (see `verifyHash`).
    public static func decode(seq: UInt64, _ bytes: [UInt8]) throws(Corrupt) -> RecordedEvent {
        try StoredEvent(seq: seq, bytes).decoded()
    }

    /// The stored hash equals the one recomputed from `previous` and the record's bytes, and
    /// so does the stored previous hash, in the formats that store it.
    static func verifyHash(seq: UInt64, _ bytes: [UInt8], previous: [UInt8]) -> Bool {
        guard let format = bytes.first, readableFormats.contains(format), bytes.count >= headerSize + trailerSize(format) else {
            return false
        }
        let bodyEnd = bytes.count - trailerSize(format)
        let hashStart = bytes.count - hashSize
        return bytes[bodyEnd..<hashStart].elementsEqual(format >= 3 ? [] : previous)
            && bytes[hashStart...].elementsEqual(chainHash(previous: previous, seq: seq, body: bytes[..<bodyEnd]).bytes)
    }

    /// The hash of a record whose body is `body`, at `seq` after `previous`, by the rule of
    /// the body's format (see the type's comment), its input built apart from the record.
    static func chainHash(previous: [UInt8], seq: UInt64, body: ArraySlice<UInt8>) -> RecordHash {
        var input = previous
        BigEndian.append(seq, to: &input)
        if let format = body.first, format >= 2 {
            input += body.prefix(headerSize)
            input += SHA256Hasher.hash(body.dropFirst(headerSize))
        } else {
            input += body
        }
        return RecordHash(digestOf: input, in: input.indices)
    }

    /// Only the time of a record, for binary searches by time.
    static func time(_ bytes: [UInt8]) -> Timestamp? {
        BigEndian.uint64(bytes, at: 18).map { Timestamp(milliseconds: Int64(bitPattern: $0)) }
    }
}

/// A record as `EventRecord.draft` makes it, before `seal` gives it a position. Its content's
/// digest (formats 2 and 3) is kept apart from the bytes, so a second seal still finds it.
struct DraftRecord: Sendable {
    var bytes: [UInt8]
    /// SHA-256 of the stream, type, metadata and data bytes; nil in format 1, and when the
    /// draft left it to `seal`.
    var contentDigest: RecordHash?
}
