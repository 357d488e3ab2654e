import Foundation
import JSON
import LMDB
import SpoolTestSupport
import XCTest

@testable import SpoolCore

final class VerifyTests: XCTestCase {
    func testAnIntactLogVerifies() async throws {
        let s = try OpenStore()
        defer {
            s.close()
            s.directory.remove()
        }
        for i in 0..<50 { try await s.appendUser("u\(i % 7)", id: i % 3 == 0 ? UUID() : nil) }
        let report = try LogVerifier(store: s.store).verify()
        XCTAssertTrue(report.isValid, "\(String(describing: report.problem))")
        XCTAssertEqual(report.verifiedThrough, 50)
        XCTAssertEqual(report.headHash, try s.log.head().hash)
        var inSmallChunks = LogVerifier(store: s.store)
        inSmallChunks.chunkSize = 3  // the walk and the index pass both resume across read transactions
        XCTAssertEqual(try inSmallChunks.verify(), report)
    }

    /// A long verify reports both phases: the walk up to the head, then the index pass up to
    /// one entry per run (streams_recent at once, then streams chunk by chunk), never past
    /// its total.
    func testProgressCoversTheWalkAndThenTheIndexPass() async throws {
        let s = try OpenStore(recentRuns: 3)  // 8 of the 10 runs move to streams, 2 stay recent
        defer {
            s.close()
            s.directory.remove()
        }
        for i in 0..<10 { try await s.appendUser("u\(i % 4)") }
        var verifier = LogVerifier(store: s.store)
        verifier.chunkSize = 3
        var steps: [LogVerifier.Progress] = []
        XCTAssertTrue(try verifier.verify { steps.append($0) }.isValid)
        let walk = steps.filter { $0.phase == .events }
        let index = steps.filter { $0.phase == .streamsIndex }
        XCTAssertEqual(walk.map(\.done), [3, 6, 9, 10])
        XCTAssertEqual(Set(walk.map(\.total)), [10])
        XCTAssertEqual(index.map(\.done), [2, 5, 8, 10], "the recent runs, then chunks of three")
        XCTAssertEqual(Set(index.map(\.total)), [10], "one index entry per append")
        XCTAssertEqual(steps.firstIndex { $0.phase == .streamsIndex }, walk.count, "the index pass comes after the walk")
    }

    /// Flips one byte of the copied data file inside a record's data and expects verify to
    /// name that record's seq, as an operator would see after disk damage or tampering.
    func testAFlippedByteInTheDataFileIsCaughtAndNamed() async throws {
        let original = try TemporaryDirectory("verify")
        defer { original.remove() }
        do {
            let s = try OpenStore(directory: original)
            for i in 1...30 { try await s.appendUser("u\(i)", email: i == 17 ? "needle-in-the-file@example.com" : nil) }
            s.close()
        }
        let copy = try TemporaryDirectory("verify-copy")
        defer { copy.remove() }
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: original.appending("data.mdb"))))
        let needle = Array("needle-in-the-file".utf8)
        // LMDB copies pages on write, so stale copies of the record may sit in free pages too.
        let offsets = (0...(bytes.count - needle.count)).filter { bytes[$0..<$0 + needle.count].elementsEqual(needle) }
        XCTAssertFalse(offsets.isEmpty, "the record is in the file")
        for offset in offsets { bytes[offset] ^= 0x20 }
        try Data(bytes).write(to: URL(fileURLWithPath: copy.appending("data.mdb")))
        var options = Store.Options()
        options.readOnly = true
        let store = try Store(directory: copy.path, options: options)
        let report = try LogVerifier(store: store).verify()
        XCTAssertFalse(report.isValid)
        XCTAssertEqual(report.problem?.seq, 17)
        XCTAssertEqual(report.verifiedThrough, 16)
    }

    func testAMissingIndexEntryIsCaught() async throws {
        let s = try OpenStore()
        defer {
            s.close()
            s.directory.remove()
        }
        for i in 1...5 { try await s.appendUser("u\(i)") }
        let key = Array("user-u3".utf8) + [0] + BigEndian.bytes(1)
        let deleted = try s.store.environment.write { txn in
            if let recent = s.store.recentStreams, try txn.delete(recent, key) { return true }
            return try txn.delete(s.store.streams, key)
        }
        XCTAssertTrue(deleted)
        let report = try LogVerifier(store: s.store).verify()
        XCTAssertEqual(report.problem?.seq, 3)
    }

    /// Records forged with an intact chain and an index that agrees with them, but with a
    /// version missing, or a stream's versions out of seq order: no event's own index entry is
    /// wrong, and verify still names the first event whose version has no predecessor before it.
    func testVersionsWithoutTheirPredecessorAreCaughtEvenWhenTheIndexAgrees() throws {
        // user-x takes versions 1, 2, 4: runs 1…2 (seqs 1, 2) and 4 (seq 3).
        let gap = try forgedLogProblem(versions: [1, 2, 4], runs: [(version: 1, seq: 1, count: 2), (version: 4, seq: 3, count: 1)])
        XCTAssertEqual(gap?.seq, 3)
        XCTAssertTrue(gap?.reason.contains("no version 3 before it") ?? false, "\(String(describing: gap))")
        // user-x's version 2 at seq 1 and version 1 at seq 2, each indexed where it lies.
        let swapped = try forgedLogProblem(versions: [2, 1], runs: [(version: 1, seq: 2, count: 1), (version: 2, seq: 1, count: 1)])
        XCTAssertEqual(swapped?.seq, 1)
        XCTAssertTrue(swapped?.reason.contains("no version 1 before it") ?? false, "\(String(describing: swapped))")
    }

    /// A log begun before record formats 2 and 3 (format 1 and 2 records, here restored from
    /// an older export) verifies, appends continue it in format 3, and its export restores
    /// elsewhere record for record, to the same chain head.
    func testALogOfEveryRecordFormatVerifiesAndRestores() async throws {
        let s = try OpenStore()
        let copy = try OpenStore()
        defer {
            s.close()
            copy.close()
            s.directory.remove()
            copy.directory.remove()
        }
        var previous = RecordHash.zero
        var olderExport: [RecordedEvent] = []
        for (version, format) in zip(1...5, [1, 1, 1, 2, 2] as [UInt8]) {
            var event = RecordedEvent(
                seq: UInt64(version), id: UUID(), stream: "user-old", version: UInt64(version), type: "UserProfileUpdated",
                time: Timestamp(milliseconds: Int64(1_000 * version)), metadata: Array(#"{"actor":"test"}"#.utf8),
                data: Array(#"{"user_id":"old","first_name":"Ada"}"#.utf8), hasClientID: false, previousHash: previous.bytes,
                hash: [])
            previous = EventRecord.encode(event, after: previous, format: format).hash
            event.hash = previous.bytes
            olderExport.append(event)
        }
        let older = olderExport
        let restoredOlder = try await s.writer.submit { context in try older.map { try context.restore($0) } }
        XCTAssertEqual(restoredOlder, [true, true, true, true, true])
        try await s.appendUser("new")
        try await s.append(stream: "user-old", events: [profileUpdated("old", firstName: "Bea")])

        let records = try s.store.environment.read { txn in try (1...7).map { try txn.get(s.store.events, BigEndian.bytes(UInt64($0))) } }
        XCTAssertEqual(records.map { $0?.first }, [1, 1, 1, 2, 2, 3, 3], "each record's format byte")
        let report = try LogVerifier(store: s.store).verify()
        XCTAssertTrue(report.isValid, "\(String(describing: report.problem))")
        XCTAssertEqual(report.verifiedThrough, 7)

        let exported = try s.log.read(from: 1, limit: 10).events
        let restored = try await copy.writer.submit { context in try exported.map { try context.restore($0) } }
        XCTAssertEqual(restored, Array(repeating: true, count: 7))
        XCTAssertEqual(try copy.log.head().hash, try s.log.head().hash)
        let copied = try copy.store.environment.read { txn in
            try (1...7).map { try txn.get(copy.store.events, BigEndian.bytes(UInt64($0))) }
        }
        XCTAssertEqual(copied, records, "record for record, format bytes included")
    }

    /// What verify reports for a log of user-x events with `versions` at seqs 1, 2, 3 …, chained
    /// correctly, and the `streams` index holding exactly `runs`.
    private func forgedLogProblem(versions: [UInt64], runs: [(version: UInt64, seq: UInt64, count: Int)]) throws -> LogVerifier.Problem? {
        let directory = try TemporaryDirectory("verify-forged")
        defer { directory.remove() }
        let store = try Store(directory: directory.path)
        try store.environment.write { txn in
            var previous = RecordHash.zero
            for (index, version) in versions.enumerated() {
                let event = RecordedEvent(
                    seq: UInt64(index + 1), id: UUID(), stream: "user-x", version: version, type: "UserProfileUpdated",
                    time: Timestamp(milliseconds: 1_000), metadata: Array(#"{"actor":"test"}"#.utf8),
                    data: Array(#"{"user_id":"x","first_name":"Ada"}"#.utf8), hasClientID: false, previousHash: [], hash: [])
                let (record, hash) = EventRecord.encode(event, after: previous)
                try txn.put(store.events, key: UInt64(index + 1), record)
                previous = hash
            }
            for run in runs {
                let entry = StreamIndex.Run.Builder(firstVersion: run.version, firstSeq: run.seq, count: run.count)
                try txn.put(store.streams, StreamIndex.key("user-x", version: run.version), entry.value)
            }
        }
        return try LogVerifier(store: store).verify().problem
    }
}
