import Foundation
import LMDB
import SpoolTestSupport
import XCTest

final class PackedEntriesTests: XCTestCase {
    var directory: TemporaryDirectory!

    override func setUpWithError() throws { directory = try TemporaryDirectory("packed") }
    override func tearDown() { directory.remove() }

    /// Distinct keys that tie on their first 16 bytes, are prefixes of each other or are empty.
    func randomKeys(_ count: Int, salt: UInt8 = 0) -> Set<[UInt8]> {
        let long = [UInt8](repeating: 7, count: 16)
        var keys: Set<[UInt8]> = [[], [0], [0, 0], [255], [1, 255], [1, 255, 0], long, long + [0], long + [1], long + [0, 9]]
        while keys.count < count {
            keys.insert((0..<Int.random(in: 1...20)).map { _ in UInt8.random(in: 0...3) * 85 } + [salt])
        }
        return keys
    }

    func packed(_ entries: [([UInt8], [UInt8])]) -> PackedEntries {
        var packed = PackedEntries()
        for (key, value) in entries { packed.append(key: key, value: value) }
        return packed
    }

    func pairs(_ entries: PackedEntries) -> [[UInt8]: [UInt8]] {
        Dictionary(uniqueKeysWithValues: (0..<entries.count).map { (Array(entries.key($0)), Array(entries.value($0))) })
    }

    func testSortedIsLMDBOrderAndAppendsInOneBulkPut() throws {
        let keys = randomKeys(3000).filter { !$0.isEmpty }
        let entries = packed(keys.shuffled().map { ($0, Array(repeating: UInt8($0.count), count: $0.count % 5)) })
        let sorted = PackedEntries.merged([entries.sorted()]) { _, _ in [] }
        XCTAssertEqual(sorted.count, keys.count)
        XCTAssertEqual(pairs(sorted), pairs(entries), "sorting keeps each value with its key")

        let env = try Environment(path: directory.path, options: Environment.Options())
        let db = try env.openDatabase("sorted")
        try env.write { txn in
            try txn.put(db, sorted, 0..<1000, flags: .append)
            try txn.put(db, sorted, 1000..<sorted.count, flags: .append)
        }
        var stored: [([UInt8], [UInt8])] = []
        try env.read { txn in
            try txn.scan(db) { key, value in
                stored.append((key, value))
                return true
            }
        }
        XCTAssertEqual(stored.map(\.0), (0..<sorted.count).map { Array(sorted.key($0)) }, "MDB_APPEND accepted every key: LMDB's order")
        XCTAssertEqual(stored.map(\.1), (0..<sorted.count).map { Array(sorted.value($0)) })
    }

    func testBulkPutStopsAtAKeyOutOfOrder() throws {
        let env = try Environment(path: directory.path, options: Environment.Options())
        let db = try env.openDatabase("unsorted")
        let entries = packed([([1], [1]), ([3], [3]), ([2], [2]), ([4], [4])])
        XCTAssertThrowsError(try env.write { txn in try txn.put(db, entries, 0..<entries.count, flags: .append) }) { error in
            XCTAssertTrue((error as? LMDBError)?.isKeyExists == true)
        }
        XCTAssertEqual(try env.read { try $0.count(db) }, 0, "the failed transaction wrote nothing")
        try env.write { txn in try txn.put(db, entries, 0..<entries.count) }
        XCTAssertEqual(try env.read { try $0.get(db, [2]) }, [2])
    }

    func testMergedKeepsOrderAndCombinesSharedKeys() {
        let shared = randomKeys(300, salt: 1)
        let left = Array(randomKeys(1200, salt: 2).union(shared))
        let right = Array(randomKeys(800, salt: 3).union(shared))
        let third = Array(randomKeys(500, salt: 4).union(shared))
        let runs = [(left, UInt8(1)), (right, 2), (third, 3)].map { keys, mark in
            let entries = packed(keys.map { ($0, [mark]) })
            return entries.sorted()
        }
        let merged = PackedEntries.merged(runs) { Array($0) + Array($1) }

        var expected: [[UInt8]: [UInt8]] = [:]
        for (keys, mark) in [(left, UInt8(1)), (right, 2), (third, 3)] {
            for key in keys { expected[key, default: []] += [mark] }
        }
        XCTAssertEqual(pairs(merged), expected)
        let keys = (0..<merged.count).map { Array(merged.key($0)) }
        XCTAssertEqual(keys, expected.keys.sorted { $0.lexicographicallyPrecedes($1) })
        XCTAssertEqual(PackedEntries.merged([runs[0], PackedEntries().sorted()]) { _, _ in [] }.count, left.count)
        XCTAssertEqual(pairs(PackedEntries.merged([runs[1]]) { _, _ in [] }), pairs(runs[1].entries), "one run: reordered only")
    }
}
