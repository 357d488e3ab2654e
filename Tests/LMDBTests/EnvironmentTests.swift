import Foundation
import LMDB
import SpoolTestSupport
import XCTest

final class EnvironmentTests: XCTestCase {
    var directory: TemporaryDirectory!

    override func setUpWithError() throws { directory = try TemporaryDirectory("lmdb") }
    override func tearDown() { directory.remove() }

    func open(mapSize: Int = 16 << 20) throws -> Environment {
        var options = Environment.Options()
        options.mapSize = mapSize
        return try Environment(path: directory.path, options: options)
    }

    func testPutGetDeleteRoundTrip() throws {
        let env = try open()
        let db = try env.openDatabase("things")
        try env.write { txn in
            try txn.put(db, Array("a".utf8), Array("1".utf8))
            try txn.put(db, Array("b".utf8), Array("2".utf8))
        }
        XCTAssertEqual(try env.read { try $0.get(db, Array("a".utf8)) }, Array("1".utf8))
        XCTAssertNil(try env.read { try $0.get(db, Array("zz".utf8)) })
        XCTAssertEqual(try env.read { try $0.count(db) }, 2)
        let deleted = try env.write { try $0.delete(db, Array("a".utf8)) }
        XCTAssertTrue(deleted)
        XCTAssertFalse(try env.write { try $0.delete(db, Array("a".utf8)) })
        XCTAssertEqual(try env.read { try $0.count(db) }, 1)
    }

    func testThrowingWriteAbortsEverything() throws {
        struct Stop: Error {}
        let env = try open()
        let db = try env.openDatabase("things")
        XCTAssertThrowsError(
            try env.write { txn in
                try txn.put(db, [1], [1])
                throw Stop()
            })
        XCTAssertEqual(try env.read { try $0.count(db) }, 0)
    }

    func testAppendRefusesKeysOutOfOrderAndNoOverwriteRefusesDuplicates() throws {
        let env = try open()
        let db = try env.openDatabase("log")
        try env.write { txn in
            try txn.put(db, BigEndian.bytes(1), [1], flags: .append)
            try txn.put(db, BigEndian.bytes(2), [2], flags: .append)
        }
        XCTAssertThrowsError(try env.write { try $0.put(db, BigEndian.bytes(1), [9], flags: .append) }) { error in
            XCTAssertTrue((error as? LMDBError)?.isKeyExists == true)
        }
        XCTAssertThrowsError(try env.write { try $0.put(db, BigEndian.bytes(2), [9], flags: .noOverwrite) }) { error in
            XCTAssertEqual((error as? LMDBError)?.call, "mdb_cursor_put")
        }
    }

    /// Puts through the transaction's kept cursors: thousands of appends over many pages,
    /// between puts to another table and a put and a delete in the same one, every record read
    /// back in order; a key out of order is refused, and a transaction that throws keeps none.
    /// A tiny map makes the first transaction run again after growing it, with fresh cursors.
    func testPutsThroughKeptCursorsReadBackInOrder() throws {
        let env = try open(mapSize: 64 << 10)
        let log = try env.openDatabase("log")
        let other = try env.openDatabase("other")
        let record = [UInt8](repeating: 7, count: 450)
        for batch in 0..<3 {
            try env.write { txn in
                for seq in UInt64(batch * 2_000 + 1)...UInt64(batch * 2_000 + 2_000) {
                    try txn.put(log, key: seq, record + BigEndian.bytes(seq), flags: .append)
                    if seq % 100 == 0 { try txn.put(other, BigEndian.bytes(seq), [1]) }
                }
                try txn.put(log, BigEndian.bytes(UInt64(batch * 2_000 + 2_001)), [2], flags: .append)
                try txn.delete(log, BigEndian.bytes(UInt64(batch * 2_000 + 2_001)))
            }
        }
        var seqs: [UInt64] = []
        try env.read { txn in
            try txn.scan(log) { key, value in
                seqs.append(BigEndian.uint64(key, at: 0) ?? 0)
                XCTAssertEqual(Array(value.suffix(8)), key)
                return true
            }
            XCTAssertEqual(try txn.count(other), 60)
        }
        XCTAssertEqual(seqs, Array(1...6_000))
        XCTAssertThrowsError(try env.write { try $0.put(log, key: 3, [9], flags: .append) }) { error in
            XCTAssertTrue((error as? LMDBError)?.isKeyExists == true)
        }
        struct Stop: Error {}
        XCTAssertThrowsError(
            try env.write { txn in
                try txn.put(log, key: 6_001, [1], flags: .append)
                throw Stop()
            })
        XCTAssertEqual(try env.read { try $0.count(log) }, 6_000)
    }

    /// Puts through a kept cursor after the same table's entries were deleted under it, by key
    /// and through another cursor (as the stream index's move does), in one transaction: every
    /// put lands, and no deleted entry comes back.
    func testKeptCursorsPutRightAfterDeletesInTheSameTable() throws {
        let env = try open()
        let db = try env.openDatabase("index")
        let key = { (i: Int) in Array("stream-\(i % 37)".utf8) + [0] + BigEndian.bytes(UInt64(i)) }
        try env.write { txn in
            for i in 0..<3_000 { try txn.put(db, key(i), [UInt8](repeating: UInt8(i % 251), count: 24)) }
            var left = 1_000
            try txn.scanDeleting(db) { _, _ in
                left -= 1
                return left > 0
            }
            for i in stride(from: 2_999, to: 1_500, by: -3) { try txn.delete(db, key(i)) }
            for i in 3_000..<4_000 { try txn.put(db, key(i), [UInt8](repeating: UInt8(i % 251), count: 24)) }
        }
        let scannedAway = (0..<3_000).map(key).sorted { $0.lexicographicallyPrecedes($1) }.prefix(1_000)
        let expected = Set((0..<4_000).map(key)).subtracting(scannedAway).subtracting(stride(from: 2_999, to: 1_500, by: -3).map(key))
        var found = Set<[UInt8]>()
        try env.read { txn in
            try txn.scan(db) { key, value in
                found.insert(key)
                XCTAssertEqual(value.count, 24)
                return true
            }
        }
        XCTAssertEqual(found.count, expected.count)
        XCTAssertTrue(found == expected, "\(found.subtracting(expected).count) keys too many, \(expected.subtracting(found).count) missing")
    }

    func testScanSeekAndBackwardInKeyOrder() throws {
        let env = try open()
        let db = try env.openDatabase("log")
        try env.write { txn in for i in UInt64(1)...10 { try txn.put(db, BigEndian.bytes(i * 10), [UInt8(i)]) } }
        var seen: [UInt64] = []
        try env.read { txn in
            try txn.scan(db, from: BigEndian.bytes(35)) { key, _ in
                seen.append(BigEndian.uint64(key, at: 0) ?? 0)
                return seen.count < 3
            }
        }
        XCTAssertEqual(seen, [40, 50, 60])
        seen = []
        try env.read { txn in
            try txn.scanBackward(db, from: BigEndian.bytes(35)) { key, _ in
                seen.append(BigEndian.uint64(key, at: 0) ?? 0)
                return true
            }
        }
        XCTAssertEqual(seen, [30, 20, 10])
        let atMost = try env.read { txn in try txn.withCursor(db) { try $0.seek(atMost: BigEndian.bytes(5)) } }
        XCTAssertNil(atMost)
        let exact = try env.read { txn in try txn.withCursor(db) { try $0.seek(atMost: BigEndian.bytes(100)) } }
        XCTAssertEqual(exact?.value, [10])
    }

    /// Deleting through the scan's cursor sees every entry once, across page boundaries (2,000
    /// entries of 100 bytes span ~50 pages), and leaves exactly those after the last one seen.
    func testScanDeletingRemovesWhatItSawAndNothingElse() throws {
        let env = try open()
        let db = try env.openDatabase("runs")
        try env.write { txn in for i in UInt64(0)..<2000 { try txn.put(db, BigEndian.bytes(i), [UInt8](repeating: 7, count: 100)) } }
        var seen: [UInt64] = []
        try env.write { txn in
            try txn.scanDeleting(db, from: BigEndian.bytes(500)) { key, _ in
                seen.append(BigEndian.uint64(key, at: 0) ?? 0)
                return seen.count < 1000
            }
        }
        XCTAssertEqual(seen, Array(500..<1500))
        var left: [UInt64] = []
        try env.read { txn in
            try txn.scan(db) { key, _ in
                left.append(BigEndian.uint64(key, at: 0) ?? 0)
                return true
            }
        }
        XCTAssertEqual(left, Array(0..<500) + Array(1500..<2000))
        seen = []
        try env.write { txn in
            try txn.scanDeleting(db) { key, _ in
                seen.append(BigEndian.uint64(key, at: 0) ?? 0)
                return true
            }
        }
        XCTAssertEqual(seen, left, "to the end")
        XCTAssertEqual(try env.read { try $0.count(db) }, 0)
    }

    func testScanInPlaceLendsWhatScanCopies() throws {
        let env = try open()
        let db = try env.openDatabase("log")
        try env.write { txn in
            for i in UInt64(1)...10 { try txn.put(db, BigEndian.bytes(i * 10), Array(repeating: UInt8(i), count: Int(i))) }
        }
        func collect(from start: [UInt8]?, limit: Int) throws -> (copied: [[UInt8]], lent: [[UInt8]], seqs: [UInt64]) {
            var copied: [[UInt8]] = []
            var lent: [[UInt8]] = []
            var seqs: [UInt64] = []
            try env.read { txn in
                try txn.scan(db, from: start) { key, value in
                    copied.append(key + value)
                    return copied.count < limit
                }
                try txn.scanInPlace(db, from: start) { key, value in
                    lent.append(Array(copying: key) + Array(copying: value))
                    seqs.append(BigEndian.uint64(key, at: 0) ?? 0)
                    return lent.count < limit
                }
            }
            return (copied, lent, seqs)
        }
        let middle = try collect(from: BigEndian.bytes(35), limit: 3)
        XCTAssertEqual(middle.seqs, [40, 50, 60])
        XCTAssertEqual(middle.lent, middle.copied)
        let all = try collect(from: nil, limit: 100)
        XCTAssertEqual(all.seqs, (1...10).map { UInt64($0 * 10) })
        XCTAssertEqual(all.lent, all.copied)
        XCTAssertEqual(try collect(from: BigEndian.bytes(101), limit: 100).seqs, [])
    }

    func testTinyMapGrowsWithoutTheCallerSeeingAnError() throws {
        let env = try open(mapSize: 1 << 20)
        let db = try env.openDatabase("big")
        let value = [UInt8](repeating: 7, count: 1000)
        for batch in UInt64(0)..<20 {
            try env.write { txn in
                for i in UInt64(0)..<500 { try txn.put(db, BigEndian.bytes(batch * 1000 + i), value, flags: .append) }
            }
        }
        XCTAssertEqual(try env.read { try $0.count(db) }, 10_000)
        XCTAssertGreaterThan(env.info.mapSize, 1 << 20)
    }

    func testReadsRunOnManyThreadsWhileTheMapGrows() throws {
        let env = try open(mapSize: 1 << 20)
        let db = try env.openDatabase("big")
        try env.write { try $0.put(db, BigEndian.bytes(0), [0]) }
        let failures = Atomic(0)
        let group = DispatchGroup()
        for _ in 0..<4 {
            DispatchQueue.global().async(group: group) {
                for _ in 0..<2000 where (try? env.read { try $0.get(db, BigEndian.bytes(0)) }) != [0] {
                    failures.add(1)
                }
            }
        }
        let value = [UInt8](repeating: 1, count: 2000)
        for i in UInt64(1)...3000 { try env.write { try $0.put(db, BigEndian.bytes(i), value) } }
        group.wait()
        XCTAssertEqual(failures.value, 0)
        XCTAssertEqual(try env.read { try $0.count(db) }, 3001)
    }

    func testReopenKeepsCommittedData() throws {
        do {
            let env = try open()
            let db = try env.openDatabase("d")
            try env.write { try $0.put(db, [1], [2]) }
        }
        let env = try open()
        let db = try env.openDatabase("d", create: false)
        XCTAssertEqual(try env.read { try $0.get(db, [1]) }, [2])
        XCTAssertThrowsError(try env.openDatabase("missing", create: false)) { error in
            XCTAssertTrue((error as? LMDBError)?.isNotFound == true)
        }
    }

    func testByteKeysSortAndHashAsLMDBOrdersKeys() throws {
        var random = SystemRandomNumberGenerator()
        let long = [UInt8](repeating: 7, count: 16)
        var keys: Set<[UInt8]> = [[0], [0, 0], [255], [1, 255], [1, 255, 0], long, long + [0], long + [1], long + [0, 9]]
        while keys.count < 2000 {
            keys.insert((0..<Int.random(in: 1...20, using: &random)).map { _ in UInt8.random(in: 0...3, using: &random) * 85 })
        }
        let env = try open()
        let db = try env.openDatabase("keys")
        try env.write { txn in for key in keys { try txn.put(db, key, []) } }
        var stored: [[UInt8]] = []
        try env.read { txn in
            try txn.scan(db) { key, _ in
                stored.append(key)
                return true
            }
        }
        XCTAssertEqual(keys.map(ByteKey.init).sorted().map(\.bytes), stored, "ByteKey's order is LMDB's")
        let byKey = Dictionary(uniqueKeysWithValues: stored.map { (ByteKey($0), $0) })
        XCTAssertEqual(byKey.count, keys.count)
        for key in keys { XCTAssertEqual(byKey[ByteKey(key)], key) }
        XCTAssertNotEqual(ByteKey([1, 0]), ByteKey([1]))
        XCTAssertLessThan(ByteKey([1]), ByteKey([1, 0]))
        XCTAssertLessThan(ByteKey([]), ByteKey([0]))
    }

    func testBigEndianRoundTripAndOrder() {
        XCTAssertEqual(BigEndian.bytes(0x0102_0304_0506_0708), [1, 2, 3, 4, 5, 6, 7, 8])
        XCTAssertEqual(BigEndian.uint64(BigEndian.bytes(.max), at: 0), .max)
        XCTAssertNil(BigEndian.uint64([1, 2, 3], at: 0))
        XCTAssertLessThan(BigEndian.bytes(255).lexicographicallyPrecedes(BigEndian.bytes(256)) ? 0 : 1, 1)
        var buffer: [UInt8] = [9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9]
        BigEndian.write(UInt16(0x0A0B), to: &buffer, at: 1)
        BigEndian.write(UInt64(0x0102_0304_0506_0708), to: &buffer, at: 3)
        XCTAssertEqual(buffer, [9, 0x0A, 0x0B, 1, 2, 3, 4, 5, 6, 7, 8])
    }
}

/// A lock-protected counter for tests that count from several threads.
final class Atomic: @unchecked Sendable {
    private let lock = NSLock()
    private var count: Int
    init(_ value: Int) { count = value }
    func add(_ n: Int) { lock.withLock { count += n } }
    var value: Int { lock.withLock { count } }
}
