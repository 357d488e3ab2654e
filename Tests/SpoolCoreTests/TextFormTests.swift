import Foundation
import SpoolCore
import XCTest

/// The text forms the event path writes byte by byte: RFC 3339 times, UUIDs, hex.
final class TextFormTests: XCTestCase {
    func testRFC3339RoundTripsAndMatchesFoundation() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        var generator = SystemRandomNumberGenerator()
        let samples: [Int64] =
            [0, 1, 999, 86_399_999, 951_782_400_000, 1_764_547_200_123, 253_402_300_799_999]
            + (0..<2_000).map { _ in Int64.random(in: 0...253_402_300_799_999, using: &generator) }
        for milliseconds in samples {
            let time = Timestamp(milliseconds: milliseconds)
            let text = time.rfc3339
            XCTAssertEqual(Timestamp(rfc3339: text), time, text)
            let expected = formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
            XCTAssertEqual(text, expected, "\(milliseconds)")
        }
        XCTAssertEqual(Timestamp(milliseconds: 951_782_400_000).rfc3339, "2000-02-29T00:00:00.000Z")
        XCTAssertEqual(Timestamp(milliseconds: -1).rfc3339, "1969-12-31T23:59:59.999Z")
        XCTAssertEqual(Timestamp(milliseconds: 253_402_300_800_000).rfc3339, "10000-01-01T00:00:00.000Z", "a wider year")
        XCTAssertEqual(Timestamp(milliseconds: -62_167_219_200_000).rfc3339, "0000-01-01T00:00:00.000Z")
        XCTAssertEqual(Timestamp(milliseconds: -62_198_755_200_000).rfc3339, "-0001-01-01T00:00:00.000Z", "a year before 0")
        for extreme in [Int64.min, Int64.min + 1, Int64.max] { XCTAssertFalse(Timestamp(milliseconds: extreme).rfc3339.isEmpty) }
    }

    /// Parsing returns only times that are written back with a four-digit year, so a stored
    /// time (a subscription's start) always reads back.
    func testRFC3339ParsesOnlyFourDigitYears() {
        XCTAssertNil(Timestamp(rfc3339: "0000-01-01T00:00:00+00:01"), "the year -1")
        XCTAssertNil(Timestamp(rfc3339: "9999-12-31T23:59:59-01:00"), "the year 10000")
        for text in ["0000-01-01T00:00:00.000Z", "9999-12-31T23:59:59.999Z", "0000-01-01T00:01:00.000Z"] {
            XCTAssertEqual(Timestamp(rfc3339: text)?.rfc3339, text)
        }
        XCTAssertEqual(Timestamp(rfc3339: "0000-01-01T00:00:00-00:01")?.rfc3339, "0000-01-01T00:01:00.000Z")
        XCTAssertEqual(Timestamp(rfc3339: "9999-12-31T23:59:59+01:00")?.rfc3339, "9999-12-31T22:59:59.000Z")
    }

    func testUUIDAndHexText() {
        for _ in 0..<100 {
            let id = UUID()
            XCTAssertEqual(id.lowercasedString, id.uuidString.lowercased())
            XCTAssertEqual(Hex.encode(id.bytes), id.uuidString.lowercased().filter { $0 != "-" }, "bytes in RFC 9562 order")
            XCTAssertEqual(UUID(bytes: id.bytes), id)
            XCTAssertEqual(UUID(bytes: id.bytes[...]), id)
        }
        XCTAssertEqual(Hex.encode([0x00, 0x0f, 0xa5, 0xff]), "000fa5ff")
        XCTAssertEqual(Hex.decode("000FA5ff"), [0x00, 0x0f, 0xa5, 0xff])
        XCTAssertNil(Hex.decode("abc"))
        XCTAssertNil(Hex.decode("zz"))
    }

    func testVersion7IDsCarryTheirMillisecondAndAreUnique() {
        let time = Timestamp(milliseconds: 1_764_000_000_123)
        let ids = (0..<70_000).map { _ in UUID.version7(at: time) }  // past the counter's wrap
        XCTAssertEqual(Set(ids).count, ids.count, "no id made twice")
        for id in ids.prefix(100) {
            let text = id.lowercasedString
            XCTAssertTrue(text.hasPrefix("019ab697-e87b-7"), text)  // 1_764_000_000_123 ms = 0x019ab697e87b
            XCTAssertEqual(Array(text)[14], "7", "version 7: \(text)")
            XCTAssertTrue("89ab".contains(Array(text)[19]), "RFC 9562 variant: \(text)")
            XCTAssertEqual(UUID(uuidString: text), id)
        }
        let later = UUID.version7(at: Timestamp(milliseconds: time.milliseconds + 1))
        XCTAssertTrue(ids.allSatisfy { $0.lowercasedString < later.lowercasedString }, "ids made later sort later")
    }
}
