import SpoolTestSupport
import Synchronization
import XCTest

@testable import SpoolCore

final class BatchRefillTests: XCTestCase {
    func testWaitsOnlyOnceCommitsHaveBeenLargeAndForgetsThemGradually() {
        var refill = BatchRefill()
        XCTAssertEqual(refill.target(largeCommit: 512), 0)
        refill.committed(events: 511)
        XCTAssertEqual(refill.target(largeCommit: 512), 0, "small commits never wait")
        refill.committed(events: 1_000)
        XCTAssertEqual(refill.target(largeCommit: 512), 900)
        refill.committed(events: 10)
        XCTAssertEqual(refill.target(largeCommit: 512), 882, "the largest fades by 2% a commit")
        for _ in 0..<40 { refill.committed(events: 10) }
        XCTAssertEqual(refill.target(largeCommit: 512), 0, "forgotten once it fades below a large commit")
        refill.committed(events: 2_000)
        XCTAssertEqual(refill.target(largeCommit: 512), 1_800)
    }

    /// After a large commit, an append that arrives alone waits for the queue to refill and
    /// shares its commit with the appends that follow it (the events of one commit share its
    /// time; this clock moves on at every read).
    func testAnAppendAfterLargeCommitsWaitsForTheQueueToRefill() async throws {
        let clock = TestClock(start: 10_000)
        let s = try OpenStore(refillWait: .seconds(10), clock: { clock.tick() })
        defer {
            s.close()
            s.directory.remove()
        }
        _ = await s.writer.append(try Self.appends(users: 0..<6, eventsEach: 100))  // one commit of 600
        let first = Mutex<Result<AppendResult, any Error>?>(nil)
        s.writer.append(try Self.appends(users: 6..<7, eventsEach: 1)) { results in first.withLock { $0 = results.first } }
        try await Task.sleep(for: .milliseconds(100))  // alone, it would have committed by now
        let rest = await s.writer.append(try Self.appends(users: 7..<13, eventsEach: 100))
        XCTAssertEqual(try first.withLock { $0 }?.get().firstSeq, 601)
        XCTAssertEqual(try rest.map { try $0.get().firstSeq }, [602, 702, 802, 902, 1002, 1102])
        let times = try s.log.read(from: 1, limit: 2_000).events.map(\.time.milliseconds)
        XCTAssertEqual(times.count, 1_201)
        XCTAssertEqual(Set(times[..<600]).count, 1)
        XCTAssertEqual(Set(times[600...]), [times[0] + 1], "the lone append committed with the ones after it")
    }

    /// Stopping ends the wait: what was submitted still commits.
    func testStoppingEndsTheWaitAndCommitsWhatIsQueued() async throws {
        let s = try OpenStore(refillWait: .seconds(10))
        defer { s.directory.remove() }
        _ = await s.writer.append(try Self.appends(users: 0..<6, eventsEach: 100))
        let result = Mutex<AppendResult?>(nil)
        s.writer.append(try Self.appends(users: 6..<7, eventsEach: 1)) { results in
            result.withLock { $0 = try? results.first?.get() }
        }
        s.close()
        XCTAssertEqual(result.withLock { $0 }?.firstSeq, 601)
        XCTAssertEqual(try s.log.read(from: 601, limit: 10).events.count, 1)
    }

    /// One append per user in `users`, each of `eventsEach` profile updates.
    private static func appends(users: Range<Int>, eventsEach: Int) throws -> [PreparedAppend] {
        try users.map { user in
            let events = (0..<eventsEach).map { profileUpdated("u\(user)", firstName: "n\($0)") }
            return try AppendRequest(stream: "user-u\(user)", expectedVersion: .any, events: events).prepare(actor: "test")
        }
    }
}
