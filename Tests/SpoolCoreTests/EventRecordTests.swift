import Foundation
import XCTest

@testable import SpoolCore

/// An append's records are drafted off the writer thread and sealed by the writer in place.
final class EventRecordTests: XCTestCase {
    private let previous = (0..<32).map { UInt8($0 * 7 & 0xFF) }
    private let id = UUID(uuidString: "0190C3A4-1B2C-7D3E-8F40-5162738495A6") ?? UUID()
    private let time = Timestamp(milliseconds: 1_764_000_000_123)

    private func draft() -> [UInt8] {
        EventRecord.draft(stream: "user-42", type: "UserProfileUpdated", metadata: Array(#"{"actor":"ops"}"#.utf8)[...]) {
            $0 += Array(#"{"user_id":"42","first_name":"Ada"}"#.utf8)
        }
    }

    /// A sealed draft is the record `encode` makes of the same event, field for field, and its
    /// hash chains to the previous one as verify checks it.
    func testASealedDraftIsTheEncodedEvent() throws {
        var record = draft()
        EventRecord.seal(&record, seq: 9, id: id, hasClientID: true, time: time, version: 3, previousHash: previous[...])
        let event = RecordedEvent(
            seq: 9, id: id, stream: "user-42", version: 3, type: "UserProfileUpdated", time: time,
            metadata: Array(#"{"actor":"ops"}"#.utf8), data: Array(#"{"user_id":"42","first_name":"Ada"}"#.utf8),
            hasClientID: true, previousHash: previous, hash: [])
        let (encoded, hash) = EventRecord.encode(event)
        XCTAssertEqual(record, encoded)
        XCTAssertEqual(Array(EventRecord.hash(of: record)), hash)
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
    func testSealingAgainReplacesTheFirstSeal() {
        var once = draft()
        EventRecord.seal(&once, seq: 12, id: id, hasClientID: false, time: time, version: 5, previousHash: previous[...])
        var twice = draft()
        EventRecord.seal(
            &twice, seq: 11, id: UUID(), hasClientID: true, time: Timestamp(milliseconds: 5), version: 4,
            previousHash: EventRecord.zeroHash[...])
        EventRecord.seal(&twice, seq: 12, id: id, hasClientID: false, time: time, version: 5, previousHash: previous[...])
        XCTAssertEqual(twice, once)
        XCTAssertFalse(EventRecord.verifyHash(seq: 11, once, previous: previous))
    }
}
