import Foundation
import JSON
import SpoolCore
import SpoolTestSupport
import XCTest

final class AppendTests: XCTestCase {
    func testSeqsAreContiguousAndVersionsCountPerStream() async throws {
        let s = try OpenStore()
        defer {
            s.close()
            s.directory.remove()
        }
        let first = try await s.appendUser("1")
        XCTAssertEqual(first, AppendResult(firstSeq: 1, lastSeq: 1, version: 1, duplicate: false))
        let second = try await s.append(
            stream: "user-1", events: [profileUpdated("1", firstName: "Ada"), profileUpdated("1", firstName: "Bo")])
        XCTAssertEqual(second, AppendResult(firstSeq: 2, lastSeq: 3, version: 3, duplicate: false))
        try await s.appendUser("2")
        let events = try s.log.readStream("user-1")
        XCTAssertEqual(events.map(\.seq), [1, 2, 3])
        XCTAssertEqual(events.map(\.version), [1, 2, 3])
        XCTAssertEqual(try s.log.readStream("user-1", fromVersion: 3).map(\.seq), [3])
        XCTAssertEqual(try s.log.streamVersion("user-2"), 1)
        XCTAssertEqual(try s.log.streamVersion("user-3"), 0)
        let stored = try XCTUnwrap(try s.log.event(at: 2))
        XCTAssertEqual(try JSONParser.parse(stored.data), ["user_id": "1", "first_name": "Ada"])
        XCTAssertEqual(try JSONParser.parse(stored.metadata)["actor"], "test")
        XCTAssertEqual(try s.log.head().seq, 4)
    }

    func testExpectedVersionIsCheckedAtomically() async throws {
        let s = try OpenStore()
        defer {
            s.close()
            s.directory.remove()
        }
        try await s.appendUser("1", expected: .noStream)
        let again = await spoolError { try await s.appendUser("1", expected: .noStream) }
        XCTAssertEqual(again?.code, .wrongExpectedVersion)
        XCTAssertEqual(again?.details?["actual_version"], 1)
        let missing = await spoolError { try await s.appendUser("2", expected: .exists) }
        XCTAssertEqual(missing?.code, .wrongExpectedVersion)
        let stale = await spoolError {
            try await s.append(stream: "user-1", expected: .exact(5), events: [profileUpdated("1", firstName: "x")])
        }
        XCTAssertEqual(stale?.code, .wrongExpectedVersion)
        let ok = try await s.append(stream: "user-1", expected: .exact(1), events: [profileUpdated("1", firstName: "x")])
        XCTAssertEqual(ok.version, 2)
        XCTAssertEqual(try s.log.head().seq, 2, "refused appends wrote nothing")
    }

    func testRetryWithSameIDsIsANoOpAndReuseForOtherContentIsRefused() async throws {
        let s = try OpenStore()
        defer {
            s.close()
            s.directory.remove()
        }
        let id = UUID()
        let original = try await s.appendUser("1", id: id)
        try await s.appendUser("2")
        let retry = try await s.appendUser("1", expected: .noStream, id: id)
        XCTAssertEqual(retry, AppendResult(firstSeq: original.firstSeq, lastSeq: original.lastSeq, version: 1, duplicate: true))
        XCTAssertEqual(try s.log.head().seq, 2)
        let conflict = await spoolError { try await s.appendUser("1", id: id, email: "other@example.com") }
        XCTAssertEqual(conflict?.code, .duplicateEventID)
        let partial = await spoolError {
            try await s.append(stream: "user-1", events: [userCreated("1", id: id), profileUpdated("1", firstName: "new")])
        }
        XCTAssertEqual(partial?.code, .duplicateEventID)
        XCTAssertEqual(try s.log.head().seq, 2, "a batch mixing an already-appended id with new events writes nothing")
    }

    func testInvalidEventsAreRefusedWholeNamingTheField() async throws {
        let s = try OpenStore()
        defer {
            s.close()
            s.directory.remove()
        }
        let bad = ProposedEvent(type: "UserCreated", data: ["user_id": "1"])
        let error = await spoolError { try await s.append(stream: "user-1", events: [userCreated("1"), bad]) }
        XCTAssertEqual(error?.code, .invalidEvent)
        XCTAssertTrue(error?.message.contains("email") == true, error?.message ?? "")
        let unknown = await spoolError { try await s.append(stream: "user-1", events: [ProposedEvent(type: "Nope", data: [:])]) }
        XCTAssertEqual(unknown?.code, .invalidEvent)
        let badStream = await spoolError { try await s.append(stream: "nodash", events: [userCreated("1")]) }
        XCTAssertEqual(badStream?.code, .badRequest)
        let mismatch = await spoolError { try await s.append(stream: "user-2", events: [userCreated("1")]) }
        XCTAssertEqual(mismatch?.code, .invalidEvent)
        XCTAssertEqual(try s.log.head().seq, 0)
    }

    func testAFailingRequestDoesNotFailItsNeighboursInTheBatch() async throws {
        let s = try OpenStore()
        defer {
            s.close()
            s.directory.remove()
        }
        try await s.appendUser("0")
        let results = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<200 {
                group.addTask {
                    // Every odd request conflicts; even ones must still land.
                    let expected: ExpectedVersion = i % 2 == 0 ? .noStream : .exact(7)
                    return (try? await s.appendUser("u\(i)", expected: expected)) != nil
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        XCTAssertEqual(results.filter { $0 }.count, 100)
        XCTAssertEqual(try s.log.head().seq, 101)
        XCTAssertTrue(try LogVerifier(store: s.store).verify().isValid)
    }

    func testManyConcurrentAppendersLoseAndRepeatNothing() async throws {
        let s = try OpenStore()
        defer {
            s.close()
            s.directory.remove()
        }
        let appenders = 32
        let perAppender = 60
        let streams = 10
        let acknowledged = await withTaskGroup(of: [AppendResult].self) { group in
            for a in 0..<appenders {
                group.addTask {
                    var mine: [AppendResult] = []
                    for n in 0..<perAppender {
                        let user = "s\((a + n) % streams)"
                        let event = n == 0 && a < streams ? userCreated(user) : profileUpdated(user, firstName: "a\(a)n\(n)")
                        if let result = try? await s.append(stream: "user-\(user)", events: [event]) { mine.append(result) }
                    }
                    return mine
                }
            }
            return await group.reduce(into: [AppendResult]()) { $0 += $1 }
        }
        XCTAssertEqual(acknowledged.count, appenders * perAppender)
        XCTAssertEqual(Set(acknowledged.map(\.firstSeq)), Set(1...UInt64(appenders * perAppender)))
        var total = 0
        for stream in 0..<streams {
            let versions = try s.log.readStream("user-s\(stream)").map(\.version)
            XCTAssertEqual(versions, Array(1...UInt64(versions.count)))
            total += versions.count
        }
        XCTAssertEqual(total, appenders * perAppender)
        // Optimistic concurrency: racing writers that all expect version 1 — exactly one wins.
        let wins = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 {
                group.addTask { (try? await s.append(stream: "user-race", expected: .noStream, events: [userCreated("race")])) != nil }
            }
            return await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
        }
        XCTAssertEqual(wins, 1)
        XCTAssertTrue(try LogVerifier(store: s.store).verify().isValid)
    }

    func testTimesNeverGoBackwardsAndTimeSearchFindsTheLastSeq() async throws {
        let clock = TestClock(start: 10_000)
        let s = try OpenStore(clock: { clock.now() })
        defer {
            s.close()
            s.directory.remove()
        }
        try await s.appendUser("a")  // t=10000
        clock.set(20_000)
        try await s.appendUser("b")  // t=20000
        clock.set(15_000)  // the wall clock stepped back
        try await s.appendUser("c")  // still t=20000
        clock.set(30_000)
        try await s.appendUser("d")
        let times = try s.log.read(from: 1, limit: 10).events.map(\.time.milliseconds)
        XCTAssertEqual(times, [10_000, 20_000, 20_000, 30_000])
        XCTAssertEqual(try s.log.lastSeq(atOrBefore: Timestamp(milliseconds: 9_999)), 0)
        XCTAssertEqual(try s.log.lastSeq(atOrBefore: Timestamp(milliseconds: 10_000)), 1)
        XCTAssertEqual(try s.log.lastSeq(atOrBefore: Timestamp(milliseconds: 25_000)), 3)
        XCTAssertEqual(try s.log.lastSeq(atOrBefore: Timestamp(milliseconds: 99_000)), 4)
    }

    func testTheEventsOfOneCommitShareTheTimeItBegan() async throws {
        let clock = TestClock(start: 10_000)
        let s = try OpenStore(clock: { clock.tick() })  // a later millisecond at every read
        defer {
            s.close()
            s.directory.remove()
        }
        let appends = try ["a", "b", "c"].map { user in
            try AppendRequest(stream: "user-\(user)", expectedVersion: .any, events: [userCreated(user)]).prepare(actor: "test")
        }
        let results = await s.writer.append(appends)  // one work item: one transaction
        XCTAssertEqual(try results.map { try $0.get().firstSeq }, [1, 2, 3])
        try await s.appendUser("d")  // the next transaction
        let times = try s.log.read(from: 1, limit: 10).events.map(\.time.milliseconds)
        XCTAssertEqual(times.count, 4)
        XCTAssertEqual(Set(times.prefix(3)).count, 1, "one commit, one time: \(times)")
        XCTAssertGreaterThan(times[3], times[0])
    }

    func testReadAllFiltersByTypeAndStreamPrefixAndPages() async throws {
        let s = try OpenStore()
        defer {
            s.close()
            s.directory.remove()
        }
        for i in 0..<5 { try await s.appendUser("\(i)") }
        _ = try await s.append(stream: "user-1", events: [profileUpdated("1", firstName: "x")])
        let updates = try s.log.read(from: 1, limit: 100, filter: EventFilter(types: ["UserProfileUpdated"]))
        XCTAssertEqual(updates.events.map(\.seq), [6])
        let one = try s.log.read(from: 1, limit: 100, filter: EventFilter(streamPrefix: "user-1"))
        XCTAssertEqual(one.events.map(\.seq), [2, 6])
        let page = try s.log.read(from: 2, limit: 2)
        XCTAssertEqual(page.events.map(\.seq), [2, 3])
        XCTAssertEqual(page.nextSeq, 4)
        XCTAssertNil(try s.log.read(from: 5, limit: 10).nextSeq)
    }

    func testATinyMapGrowsWithoutTheCallerSeeingAnError() async throws {
        let s = try OpenStore(mapSize: 1 << 20)
        defer {
            s.close()
            s.directory.remove()
        }
        let filler = String(repeating: "x", count: 200)
        for i in 0..<3000 {
            _ = try await s.append(stream: "user-\(i % 50)", events: [profileUpdated("\(i % 50)", firstName: filler)])
        }
        XCTAssertEqual(try s.log.head().seq, 3000)
        XCTAssertGreaterThan(s.store.environment.info.mapSize, 1 << 20)
    }

    func testReopeningContinuesTheChain() async throws {
        let directory = try TemporaryDirectory("store")
        defer { directory.remove() }
        do {
            let first = try OpenStore(directory: directory)
            try await first.appendUser("1")
            let busy = await spoolError { try Store(directory: directory.path) }
            XCTAssertEqual(busy?.code, .alreadyExists, "a second writer on the same directory is refused")
            first.close()
        }
        let s = try await reopen { try OpenStore(directory: directory) }
        let second = try await s.appendUser("1", expected: .exact(1))
        XCTAssertEqual(second.firstSeq, 2)
        XCTAssertTrue(try LogVerifier(store: s.store).verify().isValid)
        s.close()
    }

    /// Once the writer stops, an append fails with `shutting_down` (through `async` and through
    /// a completion; a second call of it would resume the checked continuation twice and trap)
    /// and writes nothing.
    func testAppendsAfterStopAreRefused() async throws {
        let s = try OpenStore()
        defer { s.directory.remove() }
        try await s.appendUser("1")
        s.close()
        let refused = await spoolError { try await s.appendUser("2") }
        XCTAssertEqual(refused?.code, .shuttingDown)
        let prepared = try AppendRequest(stream: "user-3", expectedVersion: .any, events: [userCreated("3")]).prepare(actor: "test")
        let completed: SpoolError? = await withCheckedContinuation { continuation in
            s.writer.append([prepared]) { results in
                if case .failure(let error)? = results.first {
                    continuation.resume(returning: error as? SpoolError)
                } else {
                    continuation.resume(returning: nil)
                }
            }
        }
        XCTAssertEqual(completed?.code, .shuttingDown)
        XCTAssertEqual(try s.log.head().seq, 1)
    }
}

/// A clock tests move by hand.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var milliseconds: Int64
    init(start: Int64) { milliseconds = start }
    func set(_ value: Int64) { lock.withLock { milliseconds = value } }
    func now() -> Timestamp { lock.withLock { Timestamp(milliseconds: milliseconds) } }
    /// The time, then one millisecond later for the next read.
    func tick() -> Timestamp {
        lock.withLock {
            defer { milliseconds += 1 }
            return Timestamp(milliseconds: milliseconds)
        }
    }
}

/// The writer's thread carries its name where operators look for it (`top -H`, `/proc`).
final class WriterThreadTests: XCTestCase {
    func testTheWriterThreadIsNamedForTheKernel() async throws {
        let s = try OpenStore()
        defer {
            s.close()
            s.directory.remove()
        }
        try await s.appendUser("named")
        let tasks = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")
        let names = tasks.compactMap { try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8) }
        XCTAssertTrue(names.contains("spool-writer\n"), "\(Set(names))")
    }
}
