import JSON
import SpoolCore
import XCTest

@testable import SpoolProtocol

final class AdminOpTests: XCTestCase {
    var fixture: DispatcherFixture!

    override func setUp() async throws { fixture = try DispatcherFixture() }
    override func tearDown() async throws { fixture.close() }

    func testDigestAtHeadAndAtASeq() async throws {
        let empty = try await fixture.call(#"{"op":"digest"}"#)
        XCTAssertEqual(empty, ["ok": true, "seq": 0, "hash": .string(String(repeating: "0", count: 64))])
        try await fixture.appendUser("1")
        try await fixture.appendUser("2")
        let head = try await fixture.call(#"{"op":"digest"}"#)
        XCTAssertEqual(head["seq"], 2)
        XCTAssertEqual(head["hash"], .string(try fixture.engine.log.head().hash.map { String(format: "%02x", $0) }.joined()))
        let atOne = try await fixture.call(#"{"op":"digest","seq":1}"#)
        XCTAssertEqual(atOne["hash"], .string(try XCTUnwrap(fixture.engine.log.event(at: 1)).hashHex))
        do {
            let response = try await fixture.call(#"{"op":"digest","seq":3}"#)
            XCTAssertEqual(errorCode(response), "not_found", response.jsonString)
        }
        do {
            let response = try await fixture.call(#"{"op":"digest","seq":-1}"#)
            XCTAssertEqual(errorCode(response), "bad_request", response.jsonString)
        }
    }

    func testVerifyReportsAValidChain() async throws {
        for user in 1...20 { try await fixture.appendUser(String(user)) }
        let response = try await fixture.call(#"{"id":1,"op":"verify"}"#)
        let head = try await fixture.call(#"{"op":"digest"}"#)
        XCTAssertEqual(response["valid"], true)
        XCTAssertEqual(response["verified_through"], 20)
        XCTAssertEqual(response["head_hash"], head["hash"])
        XCTAssertNil(response["problem"])
    }

    func testARebuildNamingAViewTwiceRebuildsItOnce() async throws {
        for user in 1...3 { try await fixture.appendUser(String(user)) }
        let response = try await fixture.call(#"{"op":"rebuild","views":["users-by-id","users-by-id"]}"#)
        XCTAssertEqual(response["ok"], true, response.jsonString)
        XCTAssertEqual(response["checksums"]?.objectValue?.members.map(\.key), ["users-by-id"])
    }

    func testStatsReportsTheLog() async throws {
        for user in 1...3 { try await fixture.appendUser(String(user)) }
        fixture.dispatcher.status.connectionsChanged(by: 2)
        let stats = try await fixture.call(#"{"op":"stats"}"#)
        XCTAssertEqual(stats["head_seq"], 3)
        XCTAssertEqual(stats["head_hash"]?.stringValue?.count, 64)
        XCTAssertEqual(stats["connections"], 2)
        XCTAssertGreaterThan(stats["data_bytes"]?.intValue ?? 0, 0)
        XCTAssertGreaterThanOrEqual(stats["map_bytes"]?.intValue ?? 0, stats["data_bytes"]?.intValue ?? 0)
        XCTAssertGreaterThan(stats["events_per_second"].flatMap(Self.number) ?? 0, 0, "3 events were just committed")
        XCTAssertNotNil(stats["uptime_seconds"].flatMap(Self.number))
        XCTAssertEqual(stats["views"]?.objectValue != nil, true)
        XCTAssertEqual(stats["subscriptions"], [])
        XCTAssertEqual(stats["email_projector"], ["running": false, "lag": 0], "this engine runs no email projector")
    }

    func testStatsReportsEachSubscriptionsLag() async throws {
        for user in 1...3 { try await fixture.appendUser(String(user)) }
        let created = try await fixture.call(#"{"op":"sub_create","name":"crm","start":"beginning"}"#)
        XCTAssertEqual(created["ok"], true, created.jsonString)
        let before = try await fixture.call(#"{"op":"stats"}"#)
        XCTAssertEqual(
            before["subscriptions"],
            [
                [
                    "name": "crm", "ack_floor": 0, "position": 0, "lag": 3, "lag_exact": true, "in_flight": 0, "waiting_redelivery": 0,
                    "dead_letters": 0, "consumers": 0,
                ]
            ])

        try await fixture.appendUser("4")
        let appended = try await fixture.call(#"{"op":"stats"}"#)
        XCTAssertEqual(appended["subscriptions"]?.arrayValue?.first?["lag"], 4, "an append adds to the lag")

        let longName = try await fixture.call(#"{"op":"fetch","name":"crm","consumer":"\#(String(repeating: "w", count: 257))"}"#)
        XCTAssertEqual(longName["error"]?["code"], "bad_request", longName.jsonString)
        XCTAssertTrue(longName["error"]?["message"]?.stringValue?.contains("consumer") == true, longName.jsonString)
        let fetched = try await fixture.call(#"{"op":"fetch","name":"crm","max":2,"consumer":"worker"}"#)
        XCTAssertEqual(fetched["messages"]?.arrayValue?.count, 2, fetched.jsonString)
        let leased = try await fixture.call(#"{"op":"stats"}"#)
        XCTAssertEqual(leased["subscriptions"]?.arrayValue?.first?["in_flight"], 2)
        XCTAssertEqual(leased["subscriptions"]?.arrayValue?.first?["consumers"], 1)
        XCTAssertEqual(leased["subscriptions"]?.arrayValue?.first?["lag"], 4, "leased is not done")

        let acked = try await fixture.call(#"{"op":"ack","name":"crm","seqs":[1,2]}"#)
        XCTAssertEqual(acked["acked"], 2, acked.jsonString)
        let after = try await fixture.call(#"{"op":"stats"}"#)
        XCTAssertEqual(after["subscriptions"]?.arrayValue?.first?["lag"], 2, "an ack takes from the lag")
        XCTAssertEqual(after["subscriptions"]?.arrayValue?.first?["ack_floor"], 2)
        XCTAssertEqual(after["subscriptions"]?.arrayValue?.first?["in_flight"], 0)
        let listed = try await fixture.call(#"{"op":"sub_list"}"#)
        for key in ["name", "ack_floor", "position", "lag", "lag_exact", "in_flight", "waiting_redelivery", "dead_letters", "consumers"] {
            XCTAssertEqual(
                after["subscriptions"]?.arrayValue?.first?[key], listed["subscriptions"]?.arrayValue?.first?[key],
                "stats and sub_list agree on \(key)")
        }
    }

    static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let int): Double(int)
        case .double(let double): double
        default: nil
        }
    }

    /// A nack's error text is kept to 1,000 bytes, cut between scalars: one character of a
    /// letter and 2,000 combining marks is ~4 KB.
    func testANackErrorIsCutByBytes() {
        let text = "e" + String(repeating: "\u{301}", count: 2_000)
        XCTAssertEqual(text.count, 1, "one character")
        let cut = Dispatcher.truncated(text, toBytes: 1_000)
        XCTAssertLessThanOrEqual(cut.utf8.count, 1_000)
        XCTAssertGreaterThan(cut.utf8.count, 996)
        XCTAssertEqual(Dispatcher.truncated("héllo", toBytes: 2), "h", "a two-byte scalar that does not fit is left out whole")
        XCTAssertEqual(Dispatcher.truncated("héllo", toBytes: 100), "héllo")
    }
}
