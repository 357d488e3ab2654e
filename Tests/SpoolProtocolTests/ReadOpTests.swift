import Foundation
import JSON
import SpoolCore
import SpoolProtocol
import XCTest

final class ReadOpTests: XCTestCase {
    var fixture: DispatcherFixture!

    override func setUp() async throws {
        fixture = try DispatcherFixture()
        for user in 1...5 {
            try await fixture.appendUser(String(user))
            _ = try await fixture.call(
                [
                    "op": "append", "stream": .string("user-\(user)"),
                    "events": [["type": "UserJoinedSegment", "data": ["user_id": .string(String(user)), "segment": "vip"]]],
                ])
        }
    }

    override func tearDown() async throws { fixture.close() }

    func testReadReturnsEventsInTheDesignShape() async throws {
        let response = try await fixture.call(#"{"op":"read","stream":"user-2"}"#)
        let events = response["events"]?.arrayValue ?? []
        XCTAssertEqual(events.count, 2)
        XCTAssertEqual(response["next_version"], .null)
        let first = try XCTUnwrap(events.first?.objectValue)
        XCTAssertEqual(first.keys, ["seq", "stream", "version", "type", "id", "time", "data", "metadata", "hash"])
        let stored = try XCTUnwrap(try fixture.engine.log.event(at: 3))
        XCTAssertEqual(first["seq"], 3)
        XCTAssertEqual(first["stream"], "user-2")
        XCTAssertEqual(first["version"], 1)
        XCTAssertEqual(first["type"], "UserCreated")
        XCTAssertEqual(first["id"], .string(stored.id.lowercasedString))
        XCTAssertEqual(first["time"], .string(stored.time.rfc3339))
        XCTAssertEqual(first["data"]?.jsonBytes, stored.data, "data is the stored bytes")
        XCTAssertEqual(first["metadata"]?.jsonBytes, stored.metadata)
        XCTAssertEqual(first["hash"], .string(stored.hashHex))
        XCTAssertNotNil(Timestamp(rfc3339: first["time"]?.stringValue ?? ""))
    }

    func testAnEventWrittenFromItsStoredRecordIsTheEventWrittenFromItsValues() async throws {
        let clientID = "0191d5b2-7c3e-7f00-8a00-00000000abcd"
        let event = ProposedEvent(
            id: UUID(uuidString: clientID), type: "UserProfileUpdated",
            data: ["user_id": "1", "first_name": "Zoë \"Q\"\n", "attributes": ["n": 1.5, "list": [true, .null]]],
            metadata: ["correlation_id": "c-1"])
        _ = try await fixture.engine.append(AppendRequest(stream: "user-1", events: [event]), actor: "tester")
        try await fixture.engine.subscriptions.create(SubscriptionConfig(name: "all"))
        let deliveries = try await fixture.engine.subscriptions.fetch("all", max: 100, consumer: "c")
        XCTAssertGreaterThan(deliveries.count, 5)
        var written: [String] = []
        for delivery in deliveries {
            var fromRecord = JSONWriter()
            fromRecord.writeEvent(delivery.stored)
            var fromValues = JSONWriter()
            fromValues.writeEvent(delivery.event)
            XCTAssertEqual(fromRecord.string, fromValues.string)
            XCTAssertEqual(delivery.event, try fixture.engine.log.event(at: delivery.seq))
            written.append(fromRecord.string)
        }
        let updated = written.first { $0.contains(#""id":"\#(clientID)""#) } ?? ""
        XCTAssertTrue(updated.contains(#""first_name":"Zoë \"Q\"\n""#), updated)
    }

    func testReadPagesWithNextVersion() async throws {
        let page = try await fixture.call(#"{"op":"read","stream":"user-1","from_version":1,"limit":1}"#)
        XCTAssertEqual(page["events"]?.arrayValue?.count, 1)
        XCTAssertEqual(page["next_version"], 2)
        let next = try await fixture.call(#"{"op":"read","stream":"user-1","from_version":2,"limit":1}"#)
        XCTAssertEqual(next["events"]?.arrayValue?.first?["type"], "UserJoinedSegment")
        XCTAssertEqual(next["next_version"], .null)
        let past = try await fixture.call(#"{"op":"read","stream":"user-1","from_version":9}"#)
        XCTAssertEqual(past["events"], [], "past the end of an existing stream: empty, not an error")
    }

    func testReadErrors() async throws {
        do {
            let response = try await fixture.call(#"{"op":"read","stream":"user-99"}"#)
            XCTAssertEqual(errorCode(response), "not_found", response.jsonString)
        }
        let limit = try await fixture.call(#"{"op":"read","stream":"user-1","limit":0}"#)
        XCTAssertEqual(errorMessage(limit), "limit: must be between 1 and 10000, got 0")
        let big = try await fixture.call(#"{"op":"read","stream":"user-1","limit":10001}"#)
        XCTAssertEqual(errorCode(big), "bad_request")
        let version = try await fixture.call(#"{"op":"read","stream":"user-1","from_version":"1"}"#)
        XCTAssertEqual(errorMessage(version), "from_version: expected a non-negative integer, got string")
        do {
            let response = try await fixture.call(#"{"op":"read","stream":"bad name"}"#)
            XCTAssertEqual(errorCode(response), "bad_request", response.jsonString)
        }
    }

    func testViewOpsRefuseAnUnusableUserID() async throws {
        for op in ["get_user", "list_emails", "audit"] {
            for userID in ["", "a b", String(repeating: "u", count: 300)] {
                let response = try await fixture.call(["op": .string(op), "user_id": .string(userID)])
                XCTAssertEqual(errorCode(response), "bad_request", "\(op) \(userID.prefix(8)): \(response.jsonString)")
                XCTAssertTrue(errorMessage(response).hasPrefix("user_id:"), response.jsonString)
            }
        }
        let known = try await fixture.call(#"{"op":"get_user","user_id":"1"}"#)
        XCTAssertEqual(known["user"]?["user_id"], "1")
    }

    func testReadAllPagesThroughTheLog() async throws {
        var from: JSONValue = 1
        var seqs: [JSONValue] = []
        while from != .null {
            let page = try await fixture.call(["op": "read_all", "from_seq": from, "limit": 3])
            seqs += page["events"]?.arrayValue?.compactMap { $0["seq"] } ?? []
            from = page["next_seq"] ?? .null
        }
        XCTAssertEqual(seqs, (1...10).map { .int($0) })
    }

    /// `audit` answers a page at a time; following `next` reads the whole trail once.
    func testAuditPagesThroughATrail() async throws {
        for segment in ["a", "b", "c"] {
            _ = try await fixture.call(
                [
                    "op": "append", "stream": "user-3",
                    "events": [["type": "UserJoinedSegment", "data": ["user_id": "3", "segment": .string(segment)]]],
                ])
        }
        let whole = try await fixture.call(#"{"op":"audit","user_id":"3"}"#)
        XCTAssertEqual(whole["next"], .null)
        var after: JSONValue = 0
        var seqs: [JSONValue] = []
        var pages = 0
        while after != .null && pages < 10 {
            let page = try await fixture.call(["op": "audit", "user_id": "3", "after": after, "limit": 2])
            seqs += page["events"]?.arrayValue?.compactMap { $0["seq"] } ?? []
            after = page["next"] ?? .null
            pages += 1
        }
        XCTAssertEqual(seqs, whole["events"]?.arrayValue?.compactMap { $0["seq"] })
        XCTAssertEqual(seqs.count, 5)
        XCTAssertEqual(pages, 3)
        let limit = try await fixture.call(#"{"op":"audit","user_id":"3","limit":0}"#)
        XCTAssertEqual(errorMessage(limit), "limit: must be between 1 and 10000, got 0")
        let badAfter = try await fixture.call(#"{"op":"audit","user_id":"3","after":-1}"#)
        XCTAssertEqual(errorCode(badAfter), "bad_request", badAfter.jsonString)
        XCTAssertTrue(errorMessage(badAfter).hasPrefix("after:"), badAfter.jsonString)
    }

    /// Names longer than any key of the segment views are refused by name, not failed as an
    /// internal error (LMDB takes keys of at most 511 bytes).
    func testSegmentQueriesRefuseOverlongNames() async throws {
        let long = String(repeating: "s", count: 600)
        for (request, field) in [
            (["op": "list_segment", "segment": .string(long)], "segment"),
            (["op": "list_segment", "segment": "vip", "after": .string(long)], "after"),
            (["op": "segments", "after": .string(long)], "after"),
            (["op": "segments", "after": .string(long), "as_of": 1], "after"),
        ] as [(JSONValue, String)] {
            let response = try await fixture.call(request)
            XCTAssertEqual(errorCode(response), "bad_request", response.jsonString)
            XCTAssertTrue(errorMessage(response).hasPrefix("\(field): expected at most"), response.jsonString)
        }
        let page = try await fixture.call(#"{"op":"segments","limit":1}"#)
        XCTAssertEqual(page["segments"], [["name": "vip", "count": 5]])
        XCTAssertEqual(page["next"], .null)
        let after = try await fixture.call(#"{"op":"segments","after":"vip"}"#)
        XCTAssertEqual(after["segments"], [])
    }

    func testReadAllFilters() async throws {
        let byType = try await fixture.call(#"{"op":"read_all","filter":{"types":["UserJoinedSegment"]}}"#)
        XCTAssertEqual(byType["events"]?.arrayValue?.count, 5)
        let byPrefix = try await fixture.call(#"{"op":"read_all","filter":{"stream_prefix":"user-3"}}"#)
        XCTAssertEqual(byPrefix["events"]?.arrayValue?.map { $0["stream"] }, ["user-3", "user-3"])
        let none = try await fixture.call(#"{"op":"read_all","from_seq":11}"#)
        XCTAssertEqual(none["events"], [])
        XCTAssertEqual(none["next_seq"], .null)
        let badTypes = try await fixture.call(#"{"op":"read_all","filter":{"types":["A",2]}}"#)
        XCTAssertEqual(errorMessage(badTypes), "filter.types[1]: expected a string, got integer")
    }

    func testReadAllScanLimitReturnsEarlyWithNextSeq() async throws {
        var limits = Dispatcher.Limits()
        limits.readAllScanLimit = 4
        let small = Dispatcher(engine: fixture.engine, limits: limits, blocking: InlineExecutor())
        let response = try JSONParser.parse(
            Array(await small.handle(Array(#"{"op":"read_all","filter":{"stream_prefix":"user-5"}}"#.utf8), session: Session()).dropLast()))
        XCTAssertEqual(response["events"], [])
        XCTAssertEqual(response["next_seq"], 5, "a rare filter stops after the scan limit and says where to go on")
    }

    /// With a page budget of one byte every page holds one event, and following `next_version`
    /// or `next_seq` still reads everything, in order, to the end.
    func testAPageEndsAtItsByteBudgetAndSaysWhereToGoOn() async throws {
        var limits = Dispatcher.Limits()
        limits.pageBytes = 1
        let small = Dispatcher(engine: fixture.engine, limits: limits, blocking: InlineExecutor())
        func call(_ line: String) async throws -> JSONValue {
            try JSONParser.parse(Array(await small.handle(Array(line.utf8), session: Session()).dropLast()))
        }
        let first = try await call(#"{"op":"read","stream":"user-2"}"#)
        XCTAssertEqual(first["events"]?.arrayValue?.map { $0["version"] }, [1])
        XCTAssertEqual(first["next_version"], 2)
        let second = try await call(#"{"op":"read","stream":"user-2","from_version":2}"#)
        XCTAssertEqual(second["events"]?.arrayValue?.map { $0["version"] }, [2])
        XCTAssertEqual(second["next_version"], .null, "the stream's last event")
        var seqs: [UInt64] = []
        var next: UInt64? = 1
        while let from = next {
            let page = try await call(#"{"op":"read_all","from_seq":\#(from)}"#)
            XCTAssertLessThanOrEqual(page["events"]?.arrayValue?.count ?? 0, 1)
            seqs += page["events"]?.arrayValue?.compactMap { $0["seq"]?.uint64Value } ?? []
            next = page["next_seq"]?.uint64Value
        }
        XCTAssertEqual(seqs, Array(1...10))
    }
}
