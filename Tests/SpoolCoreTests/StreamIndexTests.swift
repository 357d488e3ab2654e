import Foundation
import JSON
import LMDB
import SpoolCore
import SpoolTestSupport
import XCTest

/// The `streams` index holds one entry per run (a commit's appends to a stream); reads from
/// any version, expected-version checks and verify must see every event of every run.
final class StreamIndexTests: XCTestCase {
    /// user-a gets appends of 5, 1 and 3 events, with other streams' appends between them.
    private func appendRuns(_ s: OpenStore) async throws {
        try await s.append(stream: "user-a", events: [userCreated("a")] + (1...4).map { profileUpdated("a", firstName: "a\($0)") })
        try await s.appendUser("b")
        try await s.append(stream: "user-a", expected: .exact(5), events: [profileUpdated("a", firstName: "a5")])
        try await s.append(stream: "user-b", events: (1...2).map { profileUpdated("b", firstName: "b\($0)") })
        try await s.append(stream: "user-a", expected: .exact(6), events: (6...8).map { profileUpdated("a", firstName: "a\($0)") })
    }

    /// The runs held by `streams_recent` until a commit finds `recentRuns` there and moves some
    /// to `streams`: with 1 every commit moves its own, with 2 and 3 a stream's runs lie in both
    /// tables, with 4,096 (the writer's default) none move.
    func testEveryVersionOfAStreamOfMultiEventAppendsReadsBack() async throws {
        for recentRuns in [4096, 1, 2, 3] { try await checkEveryVersionReadsBack(recentRuns: recentRuns) }
    }

    private func checkEveryVersionReadsBack(recentRuns: Int) async throws {
        let s = try OpenStore(recentRuns: recentRuns)
        defer {
            s.close()
            s.directory.remove()
        }
        try await appendRuns(s)
        let all = try s.log.readStream("user-a")
        XCTAssertEqual(all.map(\.version), Array(1...9))
        XCTAssertEqual(all.map(\.seq), [1, 2, 3, 4, 5, 7, 10, 11, 12])
        let names = try all.dropFirst().map { try JSONParser.parse($0.data)["first_name"]?.stringValue }
        XCTAssertEqual(names, (1...8).map { "a\($0)" })
        for from in 1...10 {
            for limit in [1, 2, 4, 100] {
                let page = try s.log.readStream("user-a", fromVersion: UInt64(from), limit: limit)
                XCTAssertEqual(page.map(\.seq), Array(all.dropFirst(from - 1).prefix(limit).map(\.seq)), "from \(from), limit \(limit)")
            }
        }
        XCTAssertEqual(try s.log.readStream("user-b").map(\.seq), [6, 8, 9])
        XCTAssertEqual(try s.log.streamVersion("user-a"), 9)
        XCTAssertEqual(try s.log.streamVersion("user-b"), 3)
        let entries = try s.streamIndexEntries()
        XCTAssertEqual(entries.moved + entries.recent, 5, "one entry per append, each in its own commit")
        XCTAssertLessThan(entries.recent, recentRuns, "a commit that fills streams_recent moves runs out of it")
        XCTAssertEqual(entries.moved, [4096: 0, 1: 5, 2: 4, 3: 3][recentRuns], "recentRuns \(recentRuns)")
        XCTAssertTrue(try LogVerifier(store: s.store).verify().isValid)
    }

    /// With room for 4 runs, every commit from the fourth on moves one run, sweeping the key
    /// range and wrapping: after each commit no run is in both tables, each stream's moved runs
    /// come before its recent ones, 3 runs stay recent, and every stream reads back whole.
    func testMovesSweepTheRecentRunsOldestFirst() async throws {
        let s = try OpenStore(recentRuns: 4)
        defer {
            s.close()
            s.directory.remove()
        }
        let users = (0..<6).map { "u\($0)" }
        var random = ViewPropertyTests.Random(state: 7)
        var seqs: [String: [UInt64]] = [:]
        for commit in 1...40 {
            let user = users[Int.random(in: 0..<users.count, using: &random)]
            let events = (0..<Int.random(in: 1...3, using: &random)).map { profileUpdated(user, firstName: "n\($0)") }
            let result = try await s.append(stream: "user-\(user)", events: events)
            seqs[user, default: []] += Array(result.firstSeq...result.lastSeq)
            let (moved, recent) = try runVersions(s)
            XCTAssertEqual(recent.values.map(\.count).reduce(0, +), min(commit, 3), "commit \(commit)")
            for user in users {
                let (old, new) = (moved["user-\(user)"] ?? [], recent["user-\(user)"] ?? [])
                XCTAssertTrue(Set(old).isDisjoint(with: new), "commit \(commit), \(user): a run in both tables")
                XCTAssertLessThan(old.max() ?? 0, new.min() ?? .max, "commit \(commit), \(user): moved runs come first")
            }
        }
        let moved = try runVersions(s).moved
        for user in users where seqs[user] != nil {
            XCTAssertNotNil(moved["user-\(user)"], "the sweep reached \(user)")
            XCTAssertEqual(try s.log.readStream("user-\(user)").map(\.seq), seqs[user])
        }
        XCTAssertTrue(try LogVerifier(store: s.store).verify().isValid)
    }

    /// The first versions of the runs in `streams` and in `streams_recent`, by stream.
    private func runVersions(_ s: OpenStore) throws -> (moved: [String: [UInt64]], recent: [String: [UInt64]]) {
        try s.store.environment.read { txn in
            func versions(_ table: Database?) throws -> [String: [UInt64]] {
                var runs: [String: [UInt64]] = [:]
                guard let table else { return runs }
                try txn.scan(table) { key, _ in
                    let stream = String(decoding: key.dropLast(9), as: UTF8.self)
                    runs[stream, default: []].append(BigEndian.uint64(key, at: key.count - 8) ?? 0)
                    return true
                }
                return runs
            }
            return (try versions(s.store.streams), try versions(s.store.recentStreams))
        }
    }

    func testExpectedVersionsSeeTheEndOfTheLastRun() async throws {
        let s = try OpenStore()
        defer {
            s.close()
            s.directory.remove()
        }
        try await appendRuns(s)
        do {
            try await s.append(stream: "user-a", expected: .exact(6), events: [profileUpdated("a", firstName: "late")])
            XCTFail("expected wrong_expected_version")
        } catch let error as SpoolError {
            XCTAssertEqual(error.code, .wrongExpectedVersion)
            XCTAssertEqual(error.details?["actual_version"], .int(9))
        }
        let result = try await s.append(stream: "user-a", expected: .exact(9), events: [profileUpdated("a", firstName: "a9")])
        XCTAssertEqual(result.version, 10)
    }

    /// Hundreds of appends of 1–6 events to a few streams, submitted concurrently so that
    /// commits mix them: every stream reads back from any version with any limit as the
    /// appends' results say, and verify passes.
    func testConcurrentAppendsOfManySizesReadBackFromAnyVersion() async throws {
        for recentRuns in [4096, 5] { try await checkConcurrentAppendsReadBack(recentRuns: recentRuns) }
    }

    private func checkConcurrentAppendsReadBack(recentRuns: Int) async throws {
        let s = try OpenStore(recentRuns: recentRuns)
        defer {
            s.close()
            s.directory.remove()
        }
        let streams = (0..<8).map { "u\($0)" }
        let results = try await withThrowingTaskGroup(of: [(String, AppendResult)].self) { group in
            for task in 0..<16 {
                group.addTask {
                    var random = ViewPropertyTests.Random(state: UInt64(task) &* 7919 &+ 1)
                    var done: [(String, AppendResult)] = []
                    for _ in 0..<25 {
                        let user = streams[Int.random(in: 0..<streams.count, using: &random)]
                        let events = (0..<Int.random(in: 1...6, using: &random)).map { profileUpdated(user, firstName: "n\($0)") }
                        done.append((user, try await s.append(stream: "user-\(user)", events: events)))
                    }
                    return done
                }
            }
            var all: [(String, AppendResult)] = []
            for try await done in group { all += done }
            return all
        }
        // The model: each stream's seqs in version order, from the appends' results.
        var model: [String: [UInt64: UInt64]] = [:]
        for (user, result) in results {
            let count = result.lastSeq - result.firstSeq + 1
            for offset in 0..<count { model[user, default: [:]][result.version - count + 1 + offset] = result.firstSeq + offset }
        }
        var random = ViewPropertyTests.Random(state: 42)
        for user in streams {
            let seqs = (model[user] ?? [:]).sorted { $0.key < $1.key }.map(\.value)
            XCTAssertEqual(try s.log.streamVersion("user-\(user)"), UInt64(seqs.count))
            XCTAssertEqual(try s.log.readStream("user-\(user)").map(\.seq), seqs)
            for _ in 0..<20 {
                let from = Int.random(in: 1...seqs.count + 1, using: &random)
                let limit = Int.random(in: 1...10, using: &random)
                let page = try s.log.readStream("user-\(user)", fromVersion: UInt64(from), limit: limit)
                XCTAssertEqual(page.map(\.seq), Array(seqs.dropFirst(from - 1).prefix(limit)), "\(user) from \(from), limit \(limit)")
            }
        }
        let entries = try s.streamIndexEntries()
        XCTAssertLessThanOrEqual(entries.moved + entries.recent, results.count, "appends to a stream in one commit share an entry")
        if recentRuns < results.count { XCTAssertGreaterThan(entries.moved, 0, "runs moved to streams") }
        XCTAssertTrue(try LogVerifier(store: s.store).verify().isValid)
    }

    /// What verify reports after user-a's entry at `version` is rewritten, behind the writer's
    /// back and in whichever table holds it, as a run of `count` events from `seq`; the same
    /// whether the runs stayed in `streams_recent` or some moved to `streams`.
    private func verifyProblem(afterSettingRunAt version: UInt64, seq: UInt64, count: UInt64) async throws -> LogVerifier.Problem? {
        var problems: [LogVerifier.Problem?] = []
        for recentRuns in [4096, 2] {
            let s = try OpenStore(recentRuns: recentRuns)
            defer {
                s.close()
                s.directory.remove()
            }
            try await appendRuns(s)
            let key = Array("user-a".utf8) + [0] + BigEndian.bytes(version)
            try s.store.environment.write { txn in
                let recent = try s.store.recentStreams.flatMap { try txn.get($0, key) == nil ? nil : $0 }
                try txn.put(recent ?? s.store.streams, key, BigEndian.bytes(seq) + BigEndian.bytes(count))
            }
            let problem = try LogVerifier(store: s.store).verify().problem
            var inSmallChunks = LogVerifier(store: s.store)
            inSmallChunks.chunkSize = 2
            XCTAssertEqual(try inSmallChunks.verify().problem, problem, "the same in chunks of two")
            problems.append(problem)
        }
        XCTAssertEqual(problems.first, problems.last, "the same wherever the runs lie")
        return problems.first ?? nil
    }

    /// A run in both tables with different values (a move half done behind the writer's back)
    /// is damage: verify names it.
    func testVerifyCatchesARunInBothTables() async throws {
        let s = try OpenStore()
        defer {
            s.close()
            s.directory.remove()
        }
        try await appendRuns(s)
        let key = Array("user-a".utf8) + [0] + BigEndian.bytes(7)
        try s.store.environment.write { try $0.put(s.store.streams, key, BigEndian.bytes(10) + BigEndian.bytes(2)) }
        XCTAssertEqual(try s.streamIndexEntries().moved, 1)
        let problem = try LogVerifier(store: s.store).verify().problem
        XCTAssertNotNil(problem, "a second, different run at version 7")
    }

    func testVerifyCatchesARunThatPointsElsewhere() async throws {
        let problem = try await verifyProblem(afterSettingRunAt: 7, seq: 9, count: 3)
        XCTAssertEqual(problem?.seq, 10)
    }

    func testVerifyCatchesARunThatReachesPastTheStreamsEnd() async throws {
        let problem = try await verifyProblem(afterSettingRunAt: 7, seq: 10, count: 4)
        XCTAssertEqual(problem?.seq, 12)
        XCTAssertTrue(problem?.reason.contains("past its last event") ?? false, "\(String(describing: problem))")
    }

    func testVerifyCatchesOverlappingRuns() async throws {
        // The first run claims versions 1…6 too; version 6 keeps its own entry.
        let problem = try await verifyProblem(afterSettingRunAt: 1, seq: 1, count: 6)
        XCTAssertEqual(problem?.seq, 7)
        XCTAssertTrue(problem?.reason.contains("overlap") ?? false, "\(String(describing: problem))")
    }

    func testAFormatOneDirectoryIsUpgradedAndANewerOneRefused() async throws {
        let directory = try TemporaryDirectory("format")
        defer { directory.remove() }
        let formatKey = Array("format".utf8)
        do {
            let s = try OpenStore(directory: directory)
            try await s.appendUser("old")
            try s.store.environment.write { try $0.put(s.store.meta, formatKey, BigEndian.bytes(1)) }
            s.close()
        }
        do {
            let store = try await reopen { try Store(directory: directory.path) }
            XCTAssertEqual(try store.environment.read { try $0.get(store.meta, formatKey) }, BigEndian.bytes(Store.formatVersion))
            XCTAssertEqual(try EventLog(store: store).readStream("user-old").map(\.seq), [1])
            try store.environment.write { try $0.put(store.meta, formatKey, BigEndian.bytes(Store.formatVersion + 1)) }
        }
        do {
            _ = try await reopen { try Store(directory: directory.path) }
            XCTFail("a newer format must be refused")
        } catch {
            XCTAssertTrue("\(error)".contains("holds data format \(Store.formatVersion + 1)"), "\(error)")
        }
    }

    /// A format 2 directory has no streams_recent: opened read-only it reads from `streams`
    /// alone; a writable open adds the table and upgrades it to the current format.
    func testAFormatTwoDirectoryReadsReadOnlyAndIsUpgraded() async throws {
        let directory = try TemporaryDirectory("format-two")
        defer { directory.remove() }
        let formatKey = Array("format".utf8)
        do {
            let s = try OpenStore(directory: directory, recentRuns: 1)  // every run moves to streams
            try await s.append(stream: "user-old", events: [userCreated("old"), profileUpdated("old", firstName: "b")])
            try await s.append(stream: "user-old", events: [profileUpdated("old", firstName: "c")])
            try s.store.environment.write { txn in
                try txn.put(s.store.meta, formatKey, BigEndian.bytes(2))
                if let recent = s.store.recentStreams { try txn.drop(recent) }
            }
            s.close()
        }
        do {
            var options = Store.Options()
            options.readOnly = true
            let store = try await reopen { try Store(directory: directory.path, options: options) }
            XCTAssertNil(store.recentStreams)
            XCTAssertEqual(try EventLog(store: store).readStream("user-old", fromVersion: 2).map(\.seq), [2, 3])
            XCTAssertEqual(try EventLog(store: store).streamVersion("user-old"), 3)
            XCTAssertTrue(try LogVerifier(store: store).verify().isValid)
        }
        do {
            let store = try await reopen { try Store(directory: directory.path) }
            XCTAssertNotNil(store.recentStreams)
            XCTAssertEqual(try store.environment.read { try $0.get(store.meta, formatKey) }, BigEndian.bytes(Store.formatVersion))
            XCTAssertEqual(try EventLog(store: store).readStream("user-old").map(\.seq), [1, 2, 3])
        }
        do {
            var options = Store.Options()
            options.readOnly = true
            let store = try await reopen { try Store(directory: directory.path, options: options) }
            XCTAssertNotNil(store.recentStreams, "an upgraded directory has the table")
        }
    }
}
