import Crypto
import Foundation
import XCTest

@testable import SpoolCore

/// An append's records are drafted off the writer thread and sealed by the writer in place.
final class EventRecordTests: XCTestCase {
    private let previous = (0..<32).map { UInt8($0 * 7 & 0xFF) }
    private let id = UUID(uuidString: "0190C3A4-1B2C-7D3E-8F40-5162738495A6") ?? UUID()
    private let time = Timestamp(milliseconds: 1_764_000_000_123)

    private func draft() -> [UInt8] {
        EventRecord.draft(
            stream: "user-42", type: "UserProfileUpdated", writeMetadata: { $0 += Array(#"{"actor":"ops"}"#.utf8) },
            writeData: { $0 += Array(#"{"user_id":"42","first_name":"Ada"}"#.utf8) })
    }

    /// A sealed draft is the record `encode` makes of the same event, field for field, and its
    /// hash chains to the previous one as verify checks it.
    func testASealedDraftIsTheEncodedEvent() throws {
        let previousHash = try XCTUnwrap(RecordHash(previous))
        XCTAssertEqual(previousHash.bytes, previous)
        var record = draft()
        let hash = EventRecord.seal(&record, seq: 9, id: id, hasClientID: true, time: time, version: 3, previousHash: previousHash)
        let event = RecordedEvent(
            seq: 9, id: id, stream: "user-42", version: 3, type: "UserProfileUpdated", time: time,
            metadata: Array(#"{"actor":"ops"}"#.utf8), data: Array(#"{"user_id":"42","first_name":"Ada"}"#.utf8),
            hasClientID: true, previousHash: [], hash: [])
        let encoded = EventRecord.encode(event, after: previousHash)
        XCTAssertEqual(record, encoded.bytes)
        XCTAssertEqual(encoded.hash, hash)
        // The hash is SHA-256(previous hash ‖ seq ‖ body), the record's last 32 bytes.
        let body = record[..<(record.count - 64)]
        let expected = Array(SHA256.hash(data: previous + [0, 0, 0, 0, 0, 0, 0, 9] + body))
        XCTAssertEqual(hash.bytes, expected)
        XCTAssertEqual(Array(record.suffix(32)), expected)
        XCTAssertTrue(EventRecord.verifyHash(seq: 9, record, previous: previous))
        let decoded = try EventRecord.decode(seq: 9, record)
        XCTAssertEqual(decoded.stream, "user-42")
        XCTAssertEqual(decoded.version, 3)
        XCTAssertEqual(decoded.time, time)
        XCTAssertEqual(decoded.id, id)
        XCTAssertTrue(decoded.hasClientID)
        XCTAssertEqual(decoded.previousHash, previous)
    }

    /// A batch run again seals its records again, maybe at other positions: the second seal
    /// leaves nothing of the first.
    func testSealingAgainReplacesTheFirstSeal() throws {
        let previousHash = try XCTUnwrap(RecordHash(previous))
        var once = draft()
        _ = EventRecord.seal(&once, seq: 12, id: id, hasClientID: false, time: time, version: 5, previousHash: previousHash)
        var twice = draft()
        _ = EventRecord.seal(
            &twice, seq: 11, id: UUID(), hasClientID: true, time: Timestamp(milliseconds: 5), version: 4, previousHash: .zero)
        _ = EventRecord.seal(&twice, seq: 12, id: id, hasClientID: false, time: time, version: 5, previousHash: previousHash)
        XCTAssertEqual(twice, once)
        XCTAssertFalse(EventRecord.verifyHash(seq: 11, once, previous: previous))
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
}
