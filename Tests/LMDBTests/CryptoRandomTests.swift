import LMDB
import XCTest

/// OpenSSL's generator as the writer's event ids take it.
final class CryptoRandomTests: XCTestCase {
    func testBytesAreFilledAndNeverRepeat() throws {
        let first = try XCTUnwrap(CryptoRandom.bytes(4096))
        let second = try XCTUnwrap(CryptoRandom.bytes(4096))
        XCTAssertEqual(first.count, 4096)
        XCTAssertNotEqual(first, second)
        XCTAssertEqual(try XCTUnwrap(CryptoRandom.bytes(0)), [])
    }

    /// Every byte value turns up about equally often in 1 MiB: each of the 256 is expected
    /// 4,096 times, and 3,700–4,500 is more than 6 standard deviations wide (a failing
    /// generator that left bytes zero, or repeated a short block, lands far outside).
    func testByteValuesAreSpreadEvenly() throws {
        var counts = [Int](repeating: 0, count: 256)
        for _ in 0..<256 {
            for byte in try XCTUnwrap(CryptoRandom.bytes(4096)) { counts[Int(byte)] += 1 }
        }
        for (value, count) in counts.enumerated() { XCTAssertTrue((3_700...4_500).contains(count), "byte \(value): \(count)") }
    }
}
