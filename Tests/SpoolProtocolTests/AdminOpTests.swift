import JSON
import SpoolCore
import SpoolProtocol
import XCTest

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
    }

    static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let int): Double(int)
        case .double(let double): double
        default: nil
        }
    }
}
