import Crypto
import LMDB
import SpoolTestSupport
import XCTest

@testable import SpoolCore

/// A view's checksum is SHA-256 over `index u64 BE ‖ table digest` for each table in order; a
/// table's digest is SHA-256 over `len(key) u32 BE ‖ key ‖ len(value) u32 BE ‖ value` for each
/// entry in key order. Computed here from that definition and compared with `ViewChecksum`.
final class ViewChecksumTests: XCTestCase {
    var directory: TemporaryDirectory!

    override func setUpWithError() throws { directory = try TemporaryDirectory("checksum") }
    override func tearDown() { directory.remove() }

    /// Three tables: a few entries, none, and enough (~300 KB) to cross the 64 KiB pieces the
    /// digest hashes at a time, with an empty value and a value larger than a piece.
    func tables() -> [[([UInt8], [UInt8])]] {
        let large = (0..<4_000).map { index in
            (Array("key-\(1_000_000 + index)".utf8), [UInt8](repeating: UInt8(index % 251), count: index % 97 * 3))
        }
        return [
            [(Array("a".utf8), Array("1".utf8)), (Array("b".utf8), []), (Array("c".utf8), [UInt8](repeating: 7, count: 70_000))],
            [],
            large,
        ]
    }

    func expectedChecksum(_ tables: [[([UInt8], [UInt8])]]) -> String {
        var view = SHA256()
        for (index, entries) in tables.enumerated() {
            var table = SHA256()
            for (key, value) in entries {
                table.update(data: bigEndian(key.count, bytes: 4) + key + bigEndian(value.count, bytes: 4) + value)
            }
            view.update(data: bigEndian(index, bytes: 8) + Array(table.finalize()))
        }
        let digits = Array("0123456789abcdef")
        return String(view.finalize().flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }

    func bigEndian(_ value: Int, bytes: Int) -> [UInt8] {
        (0..<bytes).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }

    func packed(_ entries: [([UInt8], [UInt8])]) -> PackedEntries {
        var packed = PackedEntries()
        for (key, value) in entries { packed.append(key: key, value: value) }
        return packed
    }

    func testChecksumOfTablesInMemoryFollowsTheDefinition() {
        let tables = tables()
        XCTAssertEqual(ViewChecksum.of(tableCount: tables.count) { packed(tables[$0]) }, expectedChecksum(tables))
        XCTAssertEqual(
            ViewChecksum.combine(tables.map { ViewChecksum.table(packed($0)) }), expectedChecksum(tables),
            "table digests made apart, then combined")
    }

    func testChecksumOfStoredTablesEqualsTheOneInMemory() throws {
        let tables = tables()
        let environment = try Environment(path: directory.path, options: Environment.Options())
        let databases = try tables.indices.map { try environment.openDatabase("table\($0)") }
        try environment.write { txn in
            for (database, entries) in zip(databases, tables) {
                for (key, value) in entries { try txn.put(database, key, value) }
            }
        }
        let stored = try environment.read { txn in try ViewChecksum.stored(databases, in: txn) }
        XCTAssertEqual(stored, expectedChecksum(tables))

        try environment.write { txn in try txn.put(databases[2], Array("key-1000001".utf8), [1]) }
        XCTAssertNotEqual(try environment.read { txn in try ViewChecksum.stored(databases, in: txn) }, stored, "one value changed")
    }
}
