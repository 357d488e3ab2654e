import Foundation
import JSON
import SpoolTestSupport
import XCTest

@testable import SpoolCore

/// The writer's cache of stream heads: bounded, and never the reason an expected version is
/// judged wrongly.
final class StreamHeadCacheTests: XCTestCase {
    func testTheCacheHoldsAtMostItsCapacity() {
        let cache = StreamHeadCache(capacity: 3)
        for stream in ["a", "b", "c", "d"] { cache.noteStored(stream, head: 1) }
        XCTAssertEqual(cache.versions, ["a": 1, "b": 1, "c": 1], "a head read from the store joins only while there is room")
        cache.commit([(stream: "a", version: 2)])
        XCTAssertEqual(cache.versions, ["a": 2], "a commit that could pass the capacity leaves only its own streams")
        cache.commit([(stream: "d", version: 5), (stream: "e", version: 1)])
        XCTAssertEqual(cache.versions, ["a": 2, "d": 5, "e": 1], "while there is room, commits add up")
        cache.noteStored("f", head: 3)
        XCTAssertNil(cache.versions["f"], "full")
    }

    func testExpectedVersionsHoldForMoreStreamsThanTheWriterCaches() async throws {
        let s = try OpenStore(cachedStreams: 2)
        defer {
            s.close()
            s.directory.remove()
        }
        let users = (1...7).map(String.init)
        for user in users { try await s.appendUser(user, expected: .noStream) }
        for user in users.reversed() {
            let result = try await s.append(
                stream: "user-\(user)", expected: .exact(1), events: [profileUpdated(user, firstName: "second")])
            XCTAssertEqual(result.version, 2)
        }
        for user in users {
            let stale = await spoolError {
                try await s.append(stream: "user-\(user)", expected: .exact(1), events: [profileUpdated(user, firstName: "x")])
            }
            XCTAssertEqual(stale?.code, .wrongExpectedVersion, user)
            XCTAssertEqual(stale?.details?["actual_version"], 2, user)
            let again = await spoolError { try await s.appendUser(user, expected: .noStream) }
            XCTAssertEqual(again?.code, .wrongExpectedVersion, user)
        }
        XCTAssertEqual(try s.log.head().seq, 14, "refused appends wrote nothing")
        XCTAssertTrue(try LogVerifier(store: s.store).verify().isValid)
    }
}
