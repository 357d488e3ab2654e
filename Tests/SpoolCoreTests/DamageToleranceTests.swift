import Foundation
import JSON
import LMDB
import SpoolTestSupport
import XCTest

@testable import SpoolCore

/// Values only damage can put in the store give an error, a problem from verify or a clamped
/// setting: never a trap, which would take the server down with them.
final class DamageToleranceTests: XCTestCase {
    /// A record stored under the largest seq: the search by time ends in an error, and a writer
    /// refuses to open a log that leaves no room for another seq.
    func testARecordAtTheLargestSeqIsAnErrorNotATrap() async throws {
        let directory = try TemporaryDirectory("damage")
        defer { directory.remove() }
        do {
            let s = try OpenStore(directory: directory)
            try await s.appendUser("a")
            let record = try XCTUnwrap(try s.store.environment.read { try $0.get(s.store.events, BigEndian.bytes(UInt64(1))) })
            try s.store.environment.write { try $0.put(s.store.events, key: .max, record) }
            XCTAssertThrowsError(try s.log.lastSeq(atOrBefore: Timestamp(milliseconds: .max)))
            s.close()
        }
        do {
            _ = try await reopen { try OpenStore(directory: directory) }
            XCTFail("a writer must not open a log whose last seq is the largest")
        } catch {
            XCTAssertTrue("\(error)".contains("no room for another"), "\(error)")
        }
    }

    /// A stream index entry whose run ends at the largest version is malformed: reading the
    /// stream's version does not trap, and verify names the damage.
    func testARunEndingAtTheLargestVersionIsAProblemNotATrap() async throws {
        let s = try OpenStore()
        defer {
            s.close()
            s.directory.remove()
        }
        try await s.appendUser("a")
        let key = Array("user-a".utf8) + [0] + BigEndian.bytes(UInt64.max - 1)
        let table = try XCTUnwrap(s.store.recentStreams)
        try s.store.environment.write { try $0.put(table, key, BigEndian.bytes(UInt64(1)) + BigEndian.bytes(UInt64(2))) }
        _ = try s.log.streamVersion("user-a")
        XCTAssertFalse(try LogVerifier(store: s.store).verify().isValid)
    }

    /// Stored subscription settings out of range load clamped into range, so the subscription
    /// is still there to inspect or delete.
    func testStoredSubscriptionSettingsOutOfRangeAreClamped() throws {
        let stored: JSONValue = [
            "name": "crm", "start": "beginning", "ack_timeout_ms": .int(.max), "max_deliveries": -5, "max_in_flight": 0,
        ]
        let config = try XCTUnwrap(SubscriptionConfig(json: stored))
        XCTAssertEqual(config.ackTimeoutMilliseconds, 86_400_000)
        XCTAssertEqual(config.maxDeliveries, 1)
        XCTAssertEqual(config.maxInFlight, 1)
        XCTAssertNil(config.problem)
    }
}
