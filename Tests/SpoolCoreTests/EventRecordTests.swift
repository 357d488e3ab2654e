import Crypto
import Foundation
import JSON
import XCTest

@testable import SpoolCore

/// An append's records are drafted off the writer thread and sealed by the writer in place.
final class EventRecordTests: XCTestCase {
    private let previous = (0..<32).map { UInt8($0 * 7 & 0xFF) }
    private let id = UUID(uuidString: "0190C3A4-1B2C-7D3E-8F40-5162738495A6") ?? UUID()
    private let time = Timestamp(milliseconds: 1_764_000_000_123)

    private func draft(format: UInt8 = EventRecord.formatVersion, contentDigest: Bool = true) -> DraftRecord {
        EventRecord.draft(
            stream: "user-42", type: "UserProfileUpdated", format: format, contentDigest: contentDigest,
            writeMetadata: { $0 += Array(#"{"actor":"ops"}"#.utf8) },
            writeData: { $0 += Array(#"{"user_id":"42","first_name":"Ada"}"#.utf8) })
    }

    private func event(seq: UInt64) -> RecordedEvent {
        RecordedEvent(
            seq: seq, id: id, stream: "user-42", version: 3, type: "UserProfileUpdated", time: time,
            metadata: Array(#"{"actor":"ops"}"#.utf8), data: Array(#"{"user_id":"42","first_name":"Ada"}"#.utf8),
            hasClientID: true, previousHash: [], hash: [])
    }

    /// A sealed draft is the record `encode` makes of the same event, field for field, and its
    /// hash chains to the previous one as verify checks it: SHA-256(previous hash ‖ seq ‖
    /// header ‖ SHA-256(stream ‖ type ‖ metadata ‖ data)), the record's last 32 bytes, right
    /// after the data in format 3 and after the stored previous hash in format 2.
    func testASealedDraftIsTheEncodedEvent() throws {
        let previousHash = try XCTUnwrap(RecordHash(previous))
        XCTAssertEqual(previousHash.bytes, previous)
        for format: UInt8 in [3, 2] {
            var record = draft(format: format)
            let hash = EventRecord.seal(&record, seq: 9, id: id, hasClientID: true, time: time, version: 3, previousHash: previousHash)
            let encoded = EventRecord.encode(event(seq: 9), after: previousHash, format: format)
            XCTAssertEqual(record.bytes, encoded.bytes)
            XCTAssertEqual(encoded.hash, hash)
            XCTAssertEqual(record.bytes[0], format)
            let stored = format == 3 ? [] : previous
            let bodyEnd = record.bytes.count - 32 - stored.count
            let content = Array(SHA256.hash(data: record.bytes[46..<bodyEnd]))
            let expected = Array(SHA256.hash(data: previous + [0, 0, 0, 0, 0, 0, 0, 9] + record.bytes[..<46] + content))
            XCTAssertEqual(hash.bytes, expected)
            XCTAssertEqual(Array(record.bytes[bodyEnd...]), stored + expected)
            XCTAssertEqual(Array(record.bytes[(bodyEnd - 35)..<bodyEnd]), Array(#"{"user_id":"42","first_name":"Ada"}"#.utf8))
            XCTAssertTrue(EventRecord.verifyHash(seq: 9, record.bytes, previous: previous))
            XCTAssertFalse(EventRecord.verifyHash(seq: 9, record.bytes, previous: RecordHash.zero.bytes), "another previous hash")
            let decoded = try EventRecord.decode(seq: 9, record.bytes)
            XCTAssertEqual(decoded.stream, "user-42")
            XCTAssertEqual(decoded.version, 3)
            XCTAssertEqual(decoded.time, time)
            XCTAssertEqual(decoded.id, id)
            XCTAssertTrue(decoded.hasClientID)
            XCTAssertEqual(decoded.previousHash, stored)
            XCTAssertEqual(decoded.hash, expected)
        }
        XCTAssertEqual(EventRecord.encode(event(seq: 9), after: previousHash).bytes[0], 3, "new records are of format 3")
    }

    /// Records of format 1 (written before format 2) hash SHA-256(previous hash ‖ seq ‖ body)
    /// and still decode and verify.
    func testAFormatOneRecordKeepsItsRule() throws {
        let previousHash = try XCTUnwrap(RecordHash(previous))
        let encoded = EventRecord.encode(event(seq: 9), after: previousHash, format: 1)
        XCTAssertEqual(encoded.bytes[0], 1)
        let body = encoded.bytes[..<(encoded.bytes.count - 64)]
        XCTAssertEqual(encoded.hash.bytes, Array(SHA256.hash(data: previous + [0, 0, 0, 0, 0, 0, 0, 9] + body)))
        XCTAssertTrue(EventRecord.verifyHash(seq: 9, encoded.bytes, previous: previous))
        var one = try EventRecord.decode(seq: 9, encoded.bytes)
        let two = try EventRecord.decode(seq: 9, EventRecord.encode(event(seq: 9), after: previousHash).bytes)
        XCTAssertEqual(one.hash, encoded.hash.bytes)
        XCTAssertNotEqual(one.hash, two.hash)
        one.hash = two.hash
        one.previousHash = two.previousHash  // format 3 stores none
        XCTAssertEqual(one, two, "the same event in either format")
        var unknown = encoded.bytes
        unknown[0] = 4
        XCTAssertThrowsError(try EventRecord.decode(seq: 9, unknown))
        XCTAssertFalse(EventRecord.verifyHash(seq: 9, unknown, previous: previous))
    }

    /// Any one byte changed anywhere in a record, of either format, fails its hash check.
    func testEveryFlippedByteIsCaught() throws {
        let previousHash = try XCTUnwrap(RecordHash(previous))
        for format in EventRecord.readableFormats {
            let record = EventRecord.encode(event(seq: 9), after: previousHash, format: format).bytes
            XCTAssertTrue(EventRecord.verifyHash(seq: 9, record, previous: previous))
            for index in record.indices {
                var damaged = record
                damaged[index] ^= 0x20
                XCTAssertFalse(EventRecord.verifyHash(seq: 9, damaged, previous: previous), "format \(format), byte \(index)")
            }
        }
    }

    /// A batch run again seals its records again, maybe at other positions: the second seal
    /// leaves nothing of the first.
    func testSealingAgainReplacesTheFirstSeal() throws {
        let previousHash = try XCTUnwrap(RecordHash(previous))
        for format in EventRecord.readableFormats {
            var once = draft(format: format)
            _ = EventRecord.seal(&once, seq: 12, id: id, hasClientID: false, time: time, version: 5, previousHash: previousHash)
            var twice = draft(format: format)
            _ = EventRecord.seal(
                &twice, seq: 11, id: UUID(), hasClientID: true, time: Timestamp(milliseconds: 5), version: 4, previousHash: .zero)
            _ = EventRecord.seal(&twice, seq: 12, id: id, hasClientID: false, time: time, version: 5, previousHash: previousHash)
            XCTAssertEqual(twice.bytes, once.bytes)
            XCTAssertTrue(EventRecord.verifyHash(seq: 12, once.bytes, previous: previous))
            XCTAssertFalse(EventRecord.verifyHash(seq: 11, once.bytes, previous: previous))
        }
    }

    /// A draft that leaves the content digest to the writer seals to the same record and hash,
    /// in every format, and sealed again too.
    func testTheSealTakesTheContentDigestADraftLeftOut() throws {
        let previousHash = try XCTUnwrap(RecordHash(previous))
        for format in EventRecord.readableFormats {
            var drafted = draft(format: format)
            var left = draft(format: format, contentDigest: false)
            XCTAssertNil(left.contentDigest)
            let hash = EventRecord.seal(&drafted, seq: 12, id: id, hasClientID: false, time: time, version: 5, previousHash: previousHash)
            _ = EventRecord.seal(&left, seq: 11, id: UUID(), hasClientID: true, time: time, version: 4, previousHash: .zero)
            XCTAssertEqual(
                EventRecord.seal(&left, seq: 12, id: id, hasClientID: false, time: time, version: 5, previousHash: previousHash), hash)
            XCTAssertEqual(left.bytes, drafted.bytes)
            XCTAssertTrue(EventRecord.verifyHash(seq: 12, left.bytes, previous: previous))
        }
    }

    /// A hash is 32 bytes: other counts are refused, not padded or cut.
    func testARecordHashIsThirtyTwoBytes() {
        XCTAssertNil(RecordHash([UInt8](repeating: 1, count: 31)))
        XCTAssertNil(RecordHash([UInt8](repeating: 1, count: 33)))
        XCTAssertNil(RecordHash([UInt8]()))
        XCTAssertEqual(RecordHash(([9] + previous).dropFirst())?.bytes, previous)  // a slice not from 0
        XCTAssertEqual(RecordHash.zero.bytes, [UInt8](repeating: 0, count: 32))
        XCTAssertEqual(EventRecord.zeroHash, RecordHash.zero.bytes)
    }

    /// An actor's stamp made beforehand drafts the same records as its name: without metadata,
    /// the canonical `{"actor":…}` (escapes included); with some, the actor replacing the
    /// client's.
    func testAnActorStampDraftsWhatItsNameDrafts() throws {
        let name = #"ops "night" \ shift"#
        let stamp = ActorStamp(name)
        XCTAssertEqual(stamp.name, name)
        var bare = userCreated("1")
        bare.metadata = [:]
        var withMetadata = userCreated("1")
        withMetadata.metadata = ["actor": "forged", "correlation_id": "c"]
        let request = AppendRequest(stream: "user-1", events: [bare, withMetadata])
        let byName = try request.prepare(actor: name)
        let byStamp = try request.prepare(actor: stamp)
        XCTAssertEqual(byStamp.events.map(\.record.bytes), byName.events.map(\.record.bytes))
        let metadata = try byStamp.events.map { try StoredEvent(seq: 1, $0.record.bytes).metadata }
        XCTAssertEqual(Array(metadata[0]), Array(#"{"actor":"ops \"night\" \\ shift"}"#.utf8))
        XCTAssertEqual(try JSONParser.parse(Array(metadata[1]))["actor"], .string(name))
    }
}
