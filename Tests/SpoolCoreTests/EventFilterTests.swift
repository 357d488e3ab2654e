import Foundation
import XCTest

@testable import SpoolCore

/// A filter applied to a stored record's bytes, where they lie, answers as the same filter
/// applied to the record's type and stream as `String`s: byte for byte where the text is
/// ASCII, as `String`s otherwise (canonical equivalence, characters of several scalars).
final class EventFilterTests: XCTestCase {
    func testStoredBytesMatchAsTheirStringsDo() throws {
        let streams = [
            "user-42", "user-4", "email-42", "u", "user-é", "user-e\u{301}x", "user-e", "user-K", "user-\u{212A}", "user-日本", "us",
        ]
        let prefixes: [String?] = [
            nil, "", "user-", "user-4", "user-42", "user-42x", "user-e", "user-é", "user-e\u{301}", "email", "user-K",
            "user-\u{212A}", "user-日", "\r",
        ]
        let typeSets: [Set<String>] = [[], ["UserCreated"], ["UserCreated", "EmailSent"], ["EmailSent"], ["User\u{212A}"], ["Üser"]]
        var compared = 0
        for stream in streams {
            for type in ["UserCreated", "EmailSent"] {
                let event = RecordedEvent(
                    seq: 1, id: UUID(), stream: stream, version: 1, type: type, time: Timestamp(milliseconds: 0),
                    metadata: Array("{}".utf8), data: Array("{}".utf8), hasClientID: false, previousHash: [], hash: [])
                let record = EventRecord.encode(event, after: .zero).bytes
                for prefix in prefixes {
                    for types in typeSets {
                        let filter = EventFilter(types: types, streamPrefix: prefix)
                        let expected = filter.matches(type: type, stream: stream)
                        let found = try StoredEvent.matches(filter, seq: 1, record.span)
                        XCTAssertEqual(
                            found, expected, "\(type) \(stream.debugDescription) prefix \(prefix.debugDescription) types \(types)")
                        compared += 1
                    }
                }
            }
        }
        XCTAssertEqual(compared, streams.count * 2 * prefixes.count * typeSets.count)
    }

    /// A record whose lengths do not add up is reported, not matched.
    func testADamagedRecordIsCorruptNotAMatch() throws {
        let event = RecordedEvent(
            seq: 3, id: UUID(), stream: "user-1", version: 1, type: "UserCreated", time: Timestamp(milliseconds: 0),
            metadata: Array("{}".utf8), data: Array("{}".utf8), hasClientID: false, previousHash: [], hash: [])
        var record = EventRecord.encode(event, after: .zero).bytes
        record[35] = 200  // the stream's length
        XCTAssertThrowsError(try StoredEvent.matches(EventFilter(types: ["UserCreated"]), seq: 3, record.span))
    }
}
