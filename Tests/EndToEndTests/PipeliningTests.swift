import Foundation
import JSON
import SpoolClient
import XCTest

/// Many requests written before any answer is read come back complete and in order.
final class PipeliningTests: XCTestCase {
    func testThousandPipelinedRequestsAreAnsweredInOrder() async throws {
        let server = try TestServer()
        defer { server.stopAndRemove() }
        let recorder = ProtocolRecorder()
        let client = RecordingConnection(connection: try await server.connect(), recorder: recorder)
        var requests: [JSONValue] = []
        var version: Int64 = 0
        for index in 0..<1_000 {
            switch index % 4 {
            case 0, 1:
                // Exact expected versions only succeed when appends run in the order sent.
                requests.append(
                    [
                        "id": .int(Int64(index)), "op": "append", "stream": "user-pipe", "expected_version": .int(version),
                        "events": [
                            version == 0
                                ? ["type": "UserCreated", "data": ["user_id": "pipe", "email": "p@example.com"]]
                                : ["type": "UserProfileUpdated", "data": ["user_id": "pipe", "first_name": .string("n\(index)")]]
                        ],
                    ])
                version += 1
            case 2:
                requests.append([
                    "id": .string("r\(index)"), "op": "read", "stream": "user-pipe", "from_version": .int(version), "limit": 1,
                ])
            default:
                requests.append(["id": .int(Int64(index)), "op": "ping"])
            }
        }
        let responses = try await client.pipeline(requests)
        XCTAssertEqual(responses.count, requests.count)
        var expectedVersion: Int64 = 0
        for (request, response) in zip(requests, responses) {
            XCTAssertEqual(response["id"], request["id"], "answers come in request order")
            XCTAssertEqual(response["ok"], true, response.jsonString)
            switch request["op"] {
            case "append":
                expectedVersion += 1
                XCTAssertEqual(response["version"], .int(expectedVersion))
            case "read":
                // A read sees every append sent before it on the connection.
                XCTAssertEqual(response["events"]?[0]?["version"], .int(expectedVersion))
            default:
                XCTAssertEqual(response["pong"], true)
            }
        }
        try recorder.validate()
    }

    /// Appends read together go to the writer as one item, yet each stands alone: a refused
    /// one (a wrong expected version, an event its schema refuses) gets its own error in its
    /// place, and every other one is stored, in order.
    func testRefusedAppendsAmongPipelinedOnesFailAlone() async throws {
        let server = try TestServer()
        defer { server.stopAndRemove() }
        let client = try await server.connect()
        var requests: [JSONValue] = []
        var refusals: [String?] = []
        var version: Int64 = 0
        for index in 0..<300 {
            let refusal = index % 7 == 3 ? "wrong_expected_version" : index % 11 == 5 ? "invalid_event" : nil
            let event: JSONValue =
                version == 0
                ? ["type": "UserCreated", "data": ["user_id": "mix", "email": "m@example.com"]]
                : [
                    "type": "UserProfileUpdated",
                    "data": refusal == "invalid_event"
                        ? ["first_name": "no user id"] : ["user_id": "mix", "first_name": .string("n\(index)")],
                ]
            let expected = refusal == "wrong_expected_version" ? version + 100 : version
            requests.append([
                "id": .int(Int64(index)), "op": "append", "stream": "user-mix", "expected_version": .int(expected), "events": [event],
            ])
            refusals.append(refusal)
            if refusal == nil { version += 1 }
        }
        let responses = try await client.pipeline(requests)
        XCTAssertEqual(responses.count, requests.count)
        var stored: Int64 = 0
        for (index, response) in responses.enumerated() {
            XCTAssertEqual(response["id"], .int(Int64(index)), "answers come in request order")
            if let refusal = refusals[index] {
                XCTAssertEqual(response["error"]?["code"], .string(refusal), response.jsonString)
            } else {
                stored += 1
                XCTAssertEqual(response["version"], .int(stored), response.jsonString)
            }
        }
        let read = try await client.request("read", ["stream": "user-mix", "limit": 1_000])
        XCTAssertEqual(read["events"]?.arrayValue?.count, Int(stored))
        XCTAssertEqual(read["events"]?.arrayValue?.last?["data"]?["first_name"], "n299")
    }

    /// More appends in one write than a connection keeps unanswered (2,000 against
    /// `max_pipelined_requests` 256): a socket read's appends are queued in the writer before
    /// the connection waits for room, so the answers keep coming, in order.
    func testMoreAppendsInOneWriteThanTheConnectionAnswersAtOnce() async throws {
        let server = try TestServer()
        defer { server.stopAndRemove() }
        let client = try await server.connect()
        var requests: [JSONValue] = [userCreated("w")]
        for index in 1..<2_000 {
            requests.append([
                "op": "append", "stream": "user-w", "expected_version": .int(Int64(index)),
                "events": [["type": "UserProfileUpdated", "data": ["user_id": "w", "first_name": .string("n\(index)")]]],
            ])
        }
        let responses = try await client.pipeline(requests)
        XCTAssertEqual(responses.map { $0["version"] }, (1...2_000).map { .int(Int64($0)) })
    }

    func testManyConnectionsAppendConcurrently() async throws {
        let server = try TestServer()
        defer { server.stopAndRemove() }
        let clients = 16
        let perClient = 100
        let seqs = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for client in 0..<clients {
                group.addTask {
                    let connection = try await server.connect()
                    defer { Task { await connection.close() } }
                    var requests: [JSONValue] = [userCreated("c\(client)")]
                    for index in 1..<perClient {
                        requests.append(
                            [
                                "op": "append", "stream": .string("user-c\(client)"), "expected_version": .int(Int64(index)),
                                "events": [
                                    [
                                        "type": "UserProfileUpdated",
                                        "data": ["user_id": .string("c\(client)"), "first_name": .string("v\(index)")],
                                    ]
                                ],
                            ])
                    }
                    let responses = try await connection.pipeline(requests)
                    return responses.compactMap { $0["first_seq"]?.intValue }
                }
            }
            var all: [Int64] = []
            for try await seqs in group { all += seqs }
            return all
        }
        XCTAssertEqual(seqs.count, clients * perClient, "every append succeeded")
        XCTAssertEqual(Set(seqs), Set((1...Int64(clients * perClient))), "seqs have no gaps and no repeats")
        let check = try await server.connect()
        let verify = try await check.request("verify")
        XCTAssertEqual(verify["valid"], true)
        XCTAssertEqual(verify["verified_through"], .int(Int64(clients * perClient)))
    }

    func testLongReadsDoNotStallOtherConnections() async throws {
        let server = try TestServer()
        defer { server.stopAndRemove() }
        let writer = try await server.connect()
        var requests: [JSONValue] = []
        for user in 0..<2_000 { requests.append(userCreated("u\(user)")) }
        _ = try await writer.pipeline(requests)
        let reader = try await server.connect()
        let pinger = try await server.connect()
        // Keep the reader busy with large pages while another connection pings.
        let reads = Task {
            for _ in 0..<5 { _ = try await reader.pipeline(Array(repeating: ["op": "read_all", "limit": 10_000], count: 4)) }
        }
        let clock = ContinuousClock()
        var slowest = Duration.zero
        for _ in 0..<20 {
            let start = clock.now
            let pong = try await pinger.request("ping")
            XCTAssertEqual(pong["pong"], true)
            slowest = max(slowest, clock.now - start)
        }
        try await reads.value
        XCTAssertLessThan(slowest, .seconds(1), "a ping waited behind long reads of another connection")
    }
}
