import Foundation
import JSON
import LMDB
import SpoolTestSupport
import XCTest

@testable import SpoolCore

/// A commit's appends to one stream share one stream index entry (data format 5), whatever
/// other streams' appends lie between them: every version still reads back at its seq.
final class StreamRunTests: XCTestCase {
    /// Appends of 1, 2 or 3 events to three streams, interleaved in one transaction, then a
    /// second transaction of the same: one entry per stream and transaction, and every stream
    /// reads back whole and from every version; verify passes.
    func testAppendsOfOneCommitShareAnEntryPerStream() async throws {
        let s = try OpenStore()
        defer { s.directory.remove() }
        var seqs: [String: [UInt64]] = [:]
        var random = ViewPropertyTests.Random(state: 11)
        for commit in 1...2 {
            let plan = (0..<30).map { _ in (["a", "b", "c"][Int.random(in: 0..<3, using: &random)], Int.random(in: 1...3, using: &random)) }
            let requests = try plan.map { user, count in
                try AppendRequest(stream: "user-\(user)", events: (0..<count).map { profileUpdated(user, firstName: "n\($0)") })
                    .prepare(actor: "test")
            }
            for ((user, _), result) in zip(plan, await s.writer.append(requests)) {
                let appended = try result.get()
                seqs["user-\(user)", default: []] += Array(appended.firstSeq...appended.lastSeq)
            }
            XCTAssertEqual(try s.streamIndexEntries().recent, 3 * commit, "one entry per stream and commit")
        }
        for (stream, expected) in seqs {
            XCTAssertEqual(try s.log.readStream(stream).map(\.seq), expected)
            XCTAssertEqual(try s.log.streamVersion(stream), UInt64(expected.count))
            for from in 1...expected.count {
                let page = try s.log.readStream(stream, fromVersion: UInt64(from), limit: 2)
                XCTAssertEqual(page.map(\.seq), Array(expected.dropFirst(from - 1).prefix(2)), "\(stream) from \(from)")
                XCTAssertEqual(page.first?.version, UInt64(from))
            }
        }
        XCTAssertTrue(try LogVerifier(store: s.store).verify().isValid)
        s.close()
    }

    /// One stream's appends between another's, in one transaction, past what one entry holds:
    /// the entry is put when full and the next one starts where it ended.
    func testAStreamThatOutgrowsAnEntryGetsAnother() async throws {
        let s = try OpenStore()
        defer { s.directory.remove() }
        let requests = try (0..<3000).map { index in
            let user = index.isMultiple(of: 2) ? "a" : "b\(index % 7)"
            return try AppendRequest(stream: "user-\(user)", events: [profileUpdated(user, firstName: "n")]).prepare(actor: "test")
        }
        let results = try await s.writer.append(requests).map { try $0.get() }
        let entriesOfA = try s.store.environment.read { txn in
            var count = 0
            try txn.scan(try XCTUnwrap(s.store.recentStreams), from: StreamIndex.prefix("user-a")) { key, _ in
                guard key.starts(with: StreamIndex.prefix("user-a")) else { return false }
                count += 1
                return true
            }
            return count
        }
        XCTAssertEqual(entriesOfA, 2, "1,500 gaps of 2 need more than one entry's 1,024 bytes")
        let expected = results.enumerated().filter { $0.offset.isMultiple(of: 2) }.map(\.element.firstSeq)
        XCTAssertEqual(try s.log.readStream("user-a").map(\.seq), expected)
        XCTAssertEqual(try s.log.readStream("user-a", fromVersion: 1020, limit: 10).map(\.seq), Array(expected[1019..<1029]))
        XCTAssertTrue(try LogVerifier(store: s.store).verify().isValid)
        s.close()
    }

    /// Any sequence of appends (1–5 events, gaps of 0 to 2^40 seqs before them) builds entries
    /// that decode to exactly their seqs; an entry that refuses an append is left as it was.
    func testEntriesDecodeToTheSeqsTheyWereBuiltFrom() throws {
        var random = ViewPropertyTests.Random(state: 3)
        for _ in 0..<300 {
            var seq = UInt64.random(in: 1...1_000, using: &random)
            var version: UInt64 = 1
            var built: [(StreamIndex.Run.Builder, [UInt64])] = []
            for _ in 0..<Int.random(in: 1...400, using: &random) {
                let count = Int.random(in: 1...5, using: &random)
                let seqs = (0..<UInt64(count)).map { seq + $0 }
                if built.isEmpty || built[built.count - 1].0.add(firstSeq: seq, count: count) == false {
                    built.append((StreamIndex.Run.Builder(firstVersion: version, firstSeq: seq, count: count), seqs))
                } else {
                    built[built.count - 1].1 += seqs
                }
                version += UInt64(count)
                seq += UInt64(count) + [0, 1, 300, 1 << 40][Int.random(in: 0..<4, using: &random)]
            }
            for (builder, seqs) in built {
                let value = builder.value
                XCTAssertLessThanOrEqual(value.count, 16 + StreamIndex.Run.Builder.maxGapBytes)
                let run = try XCTUnwrap(StreamIndex.Run(firstVersion: builder.firstVersion, value: value))
                XCTAssertEqual(run.lastVersion, builder.lastVersion)
                XCTAssertEqual((run.firstVersion...run.lastVersion).map { run.seq(ofVersion: $0) }, seqs)
                XCTAssertEqual(run.lastSeq, seqs.last)
                XCTAssertNil(run.seq(ofVersion: run.lastVersion + 1))
                XCTAssertNil(run.seq(ofVersion: run.firstVersion - 1))
            }
        }
    }

    /// The three forms, and values a damaged entry could hold, which must not decode.
    func testMalformedValuesAreRefused() {
        func run(_ value: [UInt8]) -> StreamIndex.Run? { StreamIndex.Run(firstVersion: 5, value: value) }
        let seq10 = BigEndian.bytes(10)
        XCTAssertEqual(run(seq10)?.lastSeq, 10)
        XCTAssertEqual(run(seq10 + BigEndian.bytes(3))?.lastSeq, 12)
        XCTAssertEqual(run(seq10 + BigEndian.bytes(3) + [2, 0x80, 0x01])?.lastSeq, 140)
        XCTAssertEqual(run(seq10 + BigEndian.bytes(3) + [2, 0x80, 0x01])?.seq(ofVersion: 6), 12)
        let malformed: [(String, [UInt8])] = [
            ("too short", Array(seq10.prefix(7))),
            ("between the forms", seq10 + [0, 0, 0]),
            ("a count of 1 in 16 bytes", seq10 + BigEndian.bytes(1)),
            ("a count of 0", seq10 + BigEndian.bytes(0)),
            ("a gap of 0", seq10 + BigEndian.bytes(3) + [2, 0]),
            ("too few gaps", seq10 + BigEndian.bytes(4) + [2, 1]),
            ("too many gaps", seq10 + BigEndian.bytes(2) + [2, 1]),
            ("a gap cut short", seq10 + BigEndian.bytes(3) + [2, 0x80]),
            ("a seq past 2^64", seq10 + BigEndian.bytes(2) + [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
            ("a gap past 64 bits", seq10 + BigEndian.bytes(2) + [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02]),
            ("a version past 2^64", BigEndian.bytes(10) + BigEndian.bytes(UInt64.max)),
        ]
        for (name, value) in malformed { XCTAssertNil(run(value), name) }
        XCTAssertNil(StreamIndex.Run(firstVersion: 0, value: seq10), "version 0")
    }
}
