import Foundation
import JSON
import SpoolClient
import SpoolTestSupport
import XCTest

/// Every op against the real `spoold`, each answer checked against `schemas/protocol/`.
final class EveryOpTests: XCTestCase {
    func testEveryOpOverTCPMatchesTheSchemas() async throws {
        let server = try TestServer(arguments: ["--max-line-bytes", "4096"])
        defer { server.stopAndRemove() }
        let recorder = ProtocolRecorder()
        let client = RecordingConnection(connection: try await server.connect(), recorder: recorder)

        let pong = try await client.request(["id": "p", "op": "ping"])
        XCTAssertEqual(pong, ["id": "p", "ok": true, "pong": true])
        let help = try await client.request("help")
        XCTAssertEqual(help["ops"]?["read_all"]?.stringValue?.isEmpty, false)

        let eventID = UUID()
        let created = try await client.request(userCreated("ada", id: eventID, expected: "no_stream", requestID: 1))
        XCTAssertEqual(created, ["id": 1, "ok": true, "first_seq": 1, "last_seq": 1, "version": 1, "duplicate": false])
        let retried = try await client.request(userCreated("ada", id: eventID, expected: "no_stream", requestID: 2))
        XCTAssertEqual(retried["duplicate"], true)
        let joined = try await client.request(
            "append",
            [
                "stream": "user-ada", "expected_version": 1,
                "events": [
                    ["type": "UserJoinedSegment", "data": ["user_id": "ada", "segment": "vip"], "metadata": ["correlation_id": "c-1"]]
                ],
            ])
        XCTAssertEqual(joined["version"], 2)
        let conflict = try await client.request(userCreated("ada", expected: "no_stream"))
        XCTAssertEqual(errorCode(conflict), "wrong_expected_version")
        let invalid = try await client.request(
            "append", ["stream": "user-bob", "events": [["type": "UserCreated", "data": ["user_id": "bob"]]]])
        XCTAssertEqual(errorCode(invalid), "invalid_event")
        let reused = try await client.request(userCreated("bob", id: eventID))
        XCTAssertEqual(errorCode(reused), "duplicate_event_id")
        _ = try await client.request(userCreated("bob"))

        let read = try await client.request("read", ["stream": "user-ada", "limit": 1])
        XCTAssertEqual(read["events"]?[0]?["id"], .string(eventID.uuidString.lowercased()))
        XCTAssertEqual(read["events"]?[0]?["metadata"]?["actor"], "anonymous")
        XCTAssertEqual(read["next_version"], 2)
        let missing = try await client.request("read", ["stream": "user-nobody"])
        XCTAssertEqual(errorCode(missing), "not_found")
        let all = try await client.request(
            "read_all", ["from_seq": 1, "limit": 2, "filter": ["types": ["UserCreated", "UserJoinedSegment"], "stream_prefix": "user-"]])
        XCTAssertEqual(all["events"]?.arrayValue?.count, 2)
        XCTAssertEqual(all["next_seq"], 3)
        let rest = try await client.request("read_all", ["from_seq": 3])
        XCTAssertEqual(rest["events"]?[0]?["stream"], "user-bob")
        XCTAssertEqual(rest["next_seq"], .null)

        _ = try await client.request("sub_create", ["name": "crm", "start": "beginning"])
        let stats = try await client.request("stats")
        XCTAssertEqual(stats["head_seq"], 3)
        XCTAssertEqual(stats["connections"], 1)
        XCTAssertEqual(stats["subscriptions"]?[0]?["lag"], 3)
        XCTAssertEqual(stats["email_projector"], ["running": false, "lag": 0])
        let digest = try await client.request("digest")
        XCTAssertEqual(digest["seq"], 3)
        XCTAssertEqual(digest["hash"], stats["head_hash"])
        let digestAt = try await client.request("digest", ["seq": 1])
        XCTAssertEqual(digestAt["hash"], read["events"]?[0]?["hash"])
        let pastHead = try await client.request("digest", ["seq": 99])
        XCTAssertEqual(errorCode(pastHead), "not_found")
        let verify = try await client.request(["id": .null, "op": "verify", "views": false])
        XCTAssertEqual(verify, ["id": .null, "ok": true, "valid": true, "verified_through": 3, "head_hash": digest["hash"] ?? .null])
        let verifyViews = try await client.request("verify")
        XCTAssertEqual(verifyViews["views_valid"], true)
        XCTAssertEqual(verifyViews["views"]?.arrayValue?.count, 3)

        // Errors that keep the connection usable.
        for line in [
            "not json", "[1,2]", #"{"op":"nope","id":5}"#, #"{"op":"read","stream":"user-ada","limit":"x"}"#,
            #"{"id":{"a":1},"op":"ping"}"#, String(repeating: "x", count: 5000),
        ] {
            let response = try await client.requestLine(Array(line.utf8))
            XCTAssertEqual(response["ok"], false, line)
        }
        let tooLong = try await client.requestLine(Array((#"{"op":"ping","pad":""# + String(repeating: "y", count: 5000) + #""}"#).utf8))
        XCTAssertEqual(errorCode(tooLong), "line_too_long")
        let finalPing = try await client.request("ping")
        XCTAssertEqual(finalPing["pong"], true, "the connection survives every error")

        await client.connection.close()
        XCTAssertGreaterThan(recorder.count, 25)
        try recorder.validate()
    }

    func testViewSubscriptionEmailAndAuthOpsMatchTheSchemas() async throws {
        let server = try TestServer(emails: true)
        defer { server.stopAndRemove() }
        let recorder = ProtocolRecorder()
        let client = RecordingConnection(connection: try await server.connect(), recorder: recorder)
        let auth = try await client.request("auth", ["token": "anything"])
        XCTAssertEqual(auth["principal"], "anonymous")

        let created = try await client.request(
            "append",
            [
                "stream": "user-ada",
                "events": [
                    [
                        "type": "UserCreated",
                        "data": ["user_id": "ada", "email": "ada@example.com", "first_name": "Ada", "segments": ["vip"]],
                    ]
                ],
            ])
        XCTAssertEqual(created["ok"], true)
        _ = try await client.request(
            "append", ["stream": "user-ada", "events": [["type": "UserJoinedSegment", "data": ["user_id": "ada", "segment": "beta"]]]])
        for (op, fields) in [
            ("get_user", ["user_id": "ada"]), ("get_user", ["user_id": "ada", "as_of": 1]), ("get_user", ["user_id": "nobody"]),
            ("list_segment", ["segment": "vip"]), ("list_segment", ["segment": "vip", "as_of": 1, "limit": 1]), ("segments", [:]),
            ("segments", ["as_of": "2026-01-01T00:00:00Z"]), ("list_emails", ["user_id": "ada"]), ("audit", ["user_id": "ada"]),
            ("email_preview", ["user_id": "ada", "type": "UserJoinedSegment", "data": ["user_id": "ada", "segment": "gold"]]),
            ("rebuild", ["views": ["users-by-id"]]), ("rebuild", [:]),
        ] as [(String, JSONObject)] {
            let answer = try await client.request(op, fields)
            XCTAssertNotEqual(errorCode(answer), "internal", "\(op): \(answer.jsonString)")
        }

        // A subscription through its whole life, a dead letter included.
        let sub = try await client.request(
            "sub_create", ["name": "crm", "start": "beginning", "max_deliveries": 1, "ack_timeout_ms": 60_000])
        XCTAssertEqual(sub["created"], true)
        _ = try await client.request("sub_create", ["name": "crm", "start": "end"])  // already_exists
        _ = try await client.request("sub_list")
        let fetched = try await client.request("fetch", ["name": "crm", "max": 2])
        let seqs = fetched["messages"]?.arrayValue?.compactMap { $0["seq"] } ?? []
        XCTAssertEqual(seqs.count, 2, fetched.jsonString)
        _ = try await client.request("ack", ["name": "crm", "seqs": [seqs.first ?? 0]])
        _ = try await client.request("nack", ["name": "crm", "seqs": [seqs.last ?? 0], "error": "no thanks"])
        let dead = try await client.request("dlq_list", ["name": "crm"])
        XCTAssertEqual(dead["dead_letters"]?.arrayValue?.count, 1, dead.jsonString)
        _ = try await client.request("dlq_requeue", ["name": "crm"])
        _ = try await client.request("fetch", ["name": "crm", "max": 1, "wait_ms": 10])
        _ = try await client.request("dlq_purge", ["name": "crm"])
        _ = try await client.request("sub_info", ["name": "crm"])
        _ = try await client.request("reset", ["name": "crm", "to": "beginning"])
        _ = try await client.request("ack", ["name": "crm", "seqs": [999]])  // never delivered
        _ = try await client.request("sub_create", ["name": "quiet", "start": "end"])
        _ = try await client.request("subscribe", ["name": "quiet", "credit": 10])
        _ = try await client.request("unsubscribe", ["name": "quiet"])
        _ = try await client.request("sub_delete", ["name": "quiet"])
        _ = try await client.request("sub_info", ["name": "quiet"])  // not_found
        _ = try await client.request("stats")

        await client.connection.close()
        XCTAssertGreaterThan(recorder.count, 30)
        try recorder.validate()
    }

    func testConfigFileAndLimits() async throws {
        let directory = try TemporaryDirectory("config")
        defer { directory.remove() }
        let config = directory.appending("spoold.json")
        try #"{"max_line_bytes": 100, "max_connections": 2}"#.write(toFile: config, atomically: true, encoding: .utf8)
        let server = try TestServer(arguments: ["--config", config])
        defer { server.stopAndRemove() }
        let first = try await server.connect()
        let second = try await server.connect()
        let long = try await first.request(.object(["op": "ping", "pad": .string(String(repeating: "z", count: 100))]))
        XCTAssertEqual(errorCode(long), "line_too_long", "max_line_bytes came from the file")
        let secondPing = try await second.request("ping")
        XCTAssertEqual(secondPing["pong"], true)
        // One connection too many gets one error line, then the server closes it (a client
        // that writes first may see the close before the line, so this one only reads).
        let refused = try linesUntilClosed(port: server.port)
        XCTAssertEqual(refused.status, 0, "\(refused.lines)")
        let lines = refused.lines
        XCTAssertEqual(lines.count, 1, "\(lines)")
        XCTAssertEqual(errorCode(try JSONParser.parse(lines.first ?? "")), "rate_limited", "max_connections came from the file")
        await first.close()
        // The slot is free again once the server has seen the close.
        var answered = false
        for _ in 0..<50 where !answered {
            let again = try await server.connect()
            answered = (try? await again.request("ping"))?["pong"] == true
            await again.close()
            if !answered { try await Task.sleep(for: .milliseconds(20)) }
        }
        XCTAssertTrue(answered)
    }

    func testStartupRefusals() throws {
        let directory = try TemporaryDirectory("refuse")
        defer { directory.remove() }
        let remote = try ServerProcess.run(arguments: ["--listen", "0.0.0.0:0", "--data", directory.appending("data")])
        XCTAssertNotEqual(remote.status, 0)
        XCTAssertTrue(remote.output.contains("loopback"), remote.output)
        XCTAssertTrue(remote.output.contains("refusing to listen on 0.0.0.0 without tokens"), remote.output)
        XCTAssertTrue(remote.output.contains("spool token new"), remote.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appending("data/data.mdb")), "nothing was opened")
        let badConfig = directory.appending("bad.json")
        try #"{"max_line_byte": 1}"#.write(toFile: badConfig, atomically: true, encoding: .utf8)
        let typo = try ServerProcess.run(arguments: ["--config", badConfig, "--data", directory.appending("data")])
        XCTAssertNotEqual(typo.status, 0)
        XCTAssertTrue(typo.output.contains("max_line_byte"), typo.output)
    }
}
