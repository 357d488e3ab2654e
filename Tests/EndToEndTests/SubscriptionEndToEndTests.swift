import Foundation
import JSON
import SpoolClient
import SpoolTestSupport
import XCTest

/// Subscriptions over real TCP against the real spoold (without the email projector, so the
/// log holds only what the tests append).
final class SubscriptionEndToEndTests: XCTestCase {
    func ok(_ response: JSONValue, file: StaticString = #filePath, line: UInt = #line) -> JSONValue {
        XCTAssertEqual(response["ok"], true, response.jsonString, file: file, line: line)
        return response
    }

    func appendUsers(_ connection: SpoolConnection, _ users: [String]) async throws {
        for response in try await connection.pipeline(users.map { userCreated($0) }) { _ = ok(response) }
    }

    func testFanOutFiltersAndCompetingConsumers() async throws {
        let server = try TestServer()
        defer { server.stopAndRemove() }
        let admin = try await server.connect()
        _ = ok(try await admin.request("sub_create", ["name": "crm", "start": "beginning"]))
        _ = ok(try await admin.request("sub_create", ["name": "audit", "start": "beginning"]))
        _ = ok(try await admin.request("sub_create", ["name": "ones", "filter": ["stream_prefix": "user-1"]]))
        _ = ok(try await admin.request("sub_create", ["name": "updates", "filter": ["types": ["UserProfileUpdated"]]]))
        try await appendUsers(admin, (0..<40).map { "\($0)" })
        _ = ok(
            try await admin.request(
                "append", ["stream": "user-3", "events": [["type": "UserProfileUpdated", "data": ["user_id": "3", "first_name": "C"]]]]))
        let value1 = seqs(try await admin.request("fetch", ["name": "audit", "max": 100]))
        XCTAssertEqual(value1, Array(1...41))
        let value2 = seqs(try await admin.request("fetch", ["name": "ones", "max": 100])).count
        XCTAssertEqual(value2, 11)  // 1, 10…19
        let value3 = seqs(try await admin.request("fetch", ["name": "updates", "max": 100]))
        XCTAssertEqual(value3, [41])

        // Four consumers on their own connections share "crm"; each event is processed once.
        let results = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for consumer in 0..<4 {
                group.addTask {
                    let connection = try await server.connect()
                    var mine: [Int64] = []
                    while true {
                        let got = seqs(
                            try await connection.request("fetch", ["name": "crm", "max": 3, "consumer": .string("c\(consumer)")]))
                        if got.isEmpty { break }
                        mine += got
                        _ = try await connection.request("ack", ["name": "crm", "seqs": .array(got.map { .int($0) })])
                    }
                    await connection.close()
                    return mine
                }
            }
            return try await group.reduce(into: [[Int64]]()) { $0.append($1) }
        }
        let all = results.flatMap { $0 }
        XCTAssertEqual(all.count, 41, "no event processed twice")
        XCTAssertEqual(Set(all), Set(1...41))
        let info = ok(try await admin.request("sub_info", ["name": "crm"]))
        XCTAssertEqual(info["subscription"]?["ack_floor"], 41)
        XCTAssertEqual(info["subscription"]?["lag"], 0)
        await admin.close()
    }

    func testLeaseTimeoutNackDelayDeadLettersAndRequeue() async throws {
        let server = try TestServer()
        defer { server.stopAndRemove() }
        let c = try await server.connect()
        _ = ok(try await c.request("sub_create", ["name": "q", "ack_timeout_ms": 1000, "max_deliveries": 2]))
        // The lease and the delay are long enough that a slow machine acks and fetches inside them.
        try await appendUsers(c, ["a"])
        let first = ok(try await c.request("fetch", ["name": "q", "max": 1]))
        XCTAssertEqual(first["messages"]?[0]?["delivery"], 1)
        let value4 = seqs(try await c.request("fetch", ["name": "q", "max": 1]))
        XCTAssertEqual(value4, [], "leased to nobody else")
        // The lease times out and the event comes back to a long poll.
        let again = ok(try await c.request("fetch", ["name": "q", "max": 1, "wait_ms": 5000]))
        XCTAssertEqual(again["messages"]?[0]?["delivery"], 2)
        _ = ok(try await c.request("nack", ["name": "q", "seqs": [1], "error": "boom"]))
        let dead = ok(try await c.request("dlq_list", ["name": "q"]))
        XCTAssertEqual(dead["dead_letters"]?[0]?["seq"], 1)
        XCTAssertEqual(dead["dead_letters"]?[0]?["last_error"], "boom")
        let value5 = ok(try await c.request("sub_info", ["name": "q"]))["subscription"]?["dead_letters"]
        XCTAssertEqual(value5, 1)
        let value6 = ok(try await c.request("dlq_requeue", ["name": "q"]))["requeued"]
        XCTAssertEqual(value6, [1])
        let requeued = ok(try await c.request("fetch", ["name": "q", "max": 1]))
        XCTAssertEqual(requeued["messages"]?[0]?["delivery"], 1)
        _ = ok(try await c.request("nack", ["name": "q", "seqs": [1], "delay_ms": 1000]))
        let value7 = seqs(try await c.request("fetch", ["name": "q", "max": 1]))
        XCTAssertEqual(value7, [], "waits out its delay")
        let value8 = seqs(try await c.request("fetch", ["name": "q", "max": 1, "wait_ms": 5000]))
        XCTAssertEqual(value8, [1])
        _ = ok(try await c.request("ack", ["name": "q", "seqs": [1]]))
        let value9 = ok(try await c.request("sub_info", ["name": "q"]))["subscription"]?["ack_floor"]
        XCTAssertEqual(value9, 1)
        await c.close()
    }

    func testLongPollReturnsWhenAnAppendCommits() async throws {
        let server = try TestServer()
        defer { server.stopAndRemove() }
        let waiter = try await server.connect()
        let writer = try await server.connect()
        _ = ok(try await writer.request("sub_create", ["name": "live", "start": "end"]))
        let poll = Task { try await waiter.request("fetch", ["name": "live", "max": 10, "wait_ms": 30_000]) }
        try await Task.sleep(for: .milliseconds(100))
        try await appendUsers(writer, ["new"])
        let value10 = seqs(try await poll.value)
        XCTAssertEqual(value10, [1], "woken by the commit, long before 30 s")
        await waiter.close()
        await writer.close()
    }

    func testRequestsPipelinedAfterAnAckSeeIt() async throws {
        let server = try TestServer()
        defer { server.stopAndRemove() }
        let c = try await server.connect()
        _ = ok(try await c.request("sub_create", ["name": "q", "max_in_flight": 3]))
        try await appendUsers(c, (1...6).map { "p\($0)" })
        // One write: the ack does not hold up what follows it, yet everything after it sees it.
        let answers = try await c.pipeline([
            ["op": "fetch", "name": "q", "max": 3], ["op": "ack", "name": "q", "seqs": [1, 2, 3]],
            ["op": "sub_info", "name": "q"], ["op": "fetch", "name": "q", "max": 3],
            ["op": "nack", "name": "q", "seqs": [4]], ["op": "fetch", "name": "q", "max": 3],
        ])
        XCTAssertEqual(seqs(answers[0]), [1, 2, 3])
        XCTAssertEqual(ok(answers[1])["acked"], 3)
        XCTAssertEqual(answers[2]["subscription"]?["ack_floor"], 3)
        XCTAssertEqual(answers[2]["subscription"]?["in_flight"], 0)
        XCTAssertEqual(seqs(answers[3]), [4, 5, 6], "the ack gave its credit back before this fetch")
        XCTAssertEqual(ok(answers[4])["nacked"], 1)
        XCTAssertEqual(answers[5]["messages"]?[0]?["delivery"], 2, "the nacked seq, again: \(answers[5].jsonString)")
        await c.close()
    }

    func testRestartGracefulAndKilledNeverLosesOrRedeliversAcked() async throws {
        var server = try TestServer()
        defer { server.stopAndRemove() }
        var c = try await server.connect()
        _ = ok(try await c.request("sub_create", ["name": "q"]))
        try await appendUsers(c, (1...10).map { "u\($0)" })
        let value11 = seqs(try await c.request("fetch", ["name": "q", "max": 10])).count
        XCTAssertEqual(value11, 10)
        _ = ok(try await c.request("ack", ["name": "q", "seqs": [1, 2, 3, 5, 8]]))
        await c.close()
        server.stop()
        server = try server.restarted()
        c = try await server.connect()
        let value12 = seqs(try await c.request("fetch", ["name": "q", "max": 10]))
        XCTAssertEqual(value12, [4, 6, 7, 9, 10])
        _ = ok(try await c.request("ack", ["name": "q", "seqs": [4, 6]]))
        await c.close()
        server.process.kill()
        server = try server.restarted()
        c = try await server.connect()
        let value13 = seqs(try await c.request("fetch", ["name": "q", "max": 10]))
        XCTAssertEqual(value13, [7, 9, 10], "after SIGKILL too")
        await c.close()
    }

    func testResetToAnEarlierTimeReplays() async throws {
        let server = try TestServer()
        defer { server.stopAndRemove() }
        let c = try await server.connect()
        _ = ok(try await c.request("sub_create", ["name": "q"]))
        try await appendUsers(c, ["a", "b"])
        try await Task.sleep(for: .milliseconds(30))
        try await appendUsers(c, ["c"])
        _ = ok(
            try await c.request(
                "ack", ["name": "q", "seqs": .array(seqs(try await c.request("fetch", ["name": "q", "max": 10])).map { .int($0) })]))
        // The time of seq 2 stands for "after seq 2": replay starts at seq 3.
        let time = try await c.request("read_all", ["from_seq": 2, "limit": 1])["events"]?[0]?["time"] ?? .null
        _ = ok(try await c.request("reset", ["name": "q", "to": time]))
        let value14 = seqs(try await c.request("fetch", ["name": "q", "max": 10]))
        XCTAssertEqual(value14, [3])
        _ = ok(try await c.request("reset", ["name": "q", "to": "beginning"]))
        let value15 = seqs(try await c.request("fetch", ["name": "q", "max": 10]))
        XCTAssertEqual(value15, [1, 2, 3])
        await c.close()
    }

    func testBadInputGetsClearErrors() async throws {
        let server = try TestServer()
        defer { server.stopAndRemove() }
        let c = try await server.connect()
        _ = ok(try await c.request("sub_create", ["name": "q"]))
        let value16 = ok(try await c.request("sub_create", ["name": "q"]))["created"]
        XCTAssertEqual(value16, false)
        let value17 = errorCode(try await c.request("sub_create", ["name": "q", "max_deliveries": 9]))
        XCTAssertEqual(value17, "already_exists")
        let value18 = errorCode(try await c.request("fetch", ["name": "nope"]))
        XCTAssertEqual(value18, "not_found")
        let value19 = errorCode(try await c.request("ack", ["name": "q", "seqs": [99]]))
        XCTAssertEqual(value19, "not_found")
        let value20 = errorCode(try await c.request("ack", ["name": "q", "seqs": ["x"]]))
        XCTAssertEqual(value20, "bad_request")
        let value21 = errorCode(try await c.request("sub_create", ["name": "q2", "start": "yesterday"]))
        XCTAssertEqual(value21, "bad_request")
        let value22 = errorCode(try await c.request("ping"))
        XCTAssertEqual(value22, nil, "the connection stays usable")
        await c.close()
    }
}

/// The seqs of a `fetch` response's messages.
private func seqs(_ response: JSONValue) -> [Int64] { (response["messages"]?.arrayValue ?? []).compactMap { $0["seq"]?.intValue } }
