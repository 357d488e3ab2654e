import Foundation
import JSON
import SpoolClient
import SpoolTestSupport
import XCTest

/// The limits that protect the process, against the real spoold over TCP: the request rate,
/// the append batch size, a subscriber that stops reading, and settings out of range.
final class LimitsEndToEndTests: XCTestCase {
    /// A server whose configuration file holds `settings`.
    private func server(_ settings: String) throws -> (TestServer, TemporaryDirectory) {
        let directory = try TemporaryDirectory("limits")
        let config = directory.appending("spoold.json")
        try settings.write(toFile: config, atomically: true, encoding: .utf8)
        return (try TestServer(arguments: ["--config", config]), directory)
    }

    func testOverTheRateRequestsAreRefusedAndTheConnectionStays() async throws {
        let (server, directory) = try server(#"{"requests_per_second": 5, "request_burst": 5, "max_append_events": 3}"#)
        defer {
            server.stopAndRemove()
            directory.remove()
        }
        let connection = try await server.connect()
        let answers = try await connection.pipeline((1...20).map { ["op": "ping", "id": .int($0)] })
        XCTAssertEqual(answers.prefix(5).map { $0["id"] }, (1...5).map { .int($0) }, "answers in request order, ids echoed")
        XCTAssertEqual(answers.prefix(5).map { $0["pong"] }, Array(repeating: true, count: 5), "the burst is allowed")
        let refused = answers.dropFirst(5).filter { errorCode($0) == "rate_limited" }
        XCTAssertGreaterThanOrEqual(refused.count, 10, "past the burst at 5/s: \(answers.map(\.jsonString))")
        XCTAssertTrue(refused.allSatisfy { $0["id"] == nil }, "a refused line is not read, so its id is not echoed")
        let wait = refused.first?["error"]?["retry_after_ms"]?.intValue ?? 0
        XCTAssertTrue((1...200).contains(wait), "retry_after_ms: \(wait)")
        try await Task.sleep(for: .milliseconds(Int64(wait) + 50))
        let pong = try await connection.request("ping")
        XCTAssertEqual(pong["pong"], true, "the connection stays usable: \(pong.jsonString)")

        try await Task.sleep(for: .seconds(1))
        let events: [JSONValue] = (1...4).map { _ in ["type": "UserJoinedSegment", "data": ["user_id": "b", "segment": "vip"]] }
        let tooMany = try await connection.request("append", ["stream": "user-b", "events": .array(events)])
        XCTAssertEqual(errorCode(tooMany), "bad_request")
        XCTAssertTrue(tooMany["error"]?["message"]?.stringValue?.contains("at most 3 events") == true, tooMany.jsonString)
        await connection.close()
    }

    func testASubscriberThatStopsReadingIsCutOffWhileOthersAreServed() async throws {
        let (server, directory) = try server(#"{"max_line_bytes": 262144, "max_output_bytes": 524288}"#)
        defer {
            server.stopAndRemove()
            directory.remove()
        }
        let admin = try await server.connect()
        _ = try await admin.request("sub_create", ["name": "firehose", "start": "beginning"])
        // The subscriber asks for everything and never reads; meanwhile ~11 MB of events are
        // appended, far past the socket buffers and the 512 KiB bound. Then it reads what it
        // can: the server must have closed it. Another connection keeps getting answers.
        let script = """
            import json, socket, sys, time
            port = int(sys.argv[1])
            lazy = socket.socket()
            lazy.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            lazy.connect(("127.0.0.1", port))
            lazy.sendall(b'{"op":"subscribe","name":"firehose","credit":10000}\\n')
            busy = socket.create_connection(("127.0.0.1", port))
            busy_file = busy.makefile("rb")
            pad = "x" * 2000
            answers = 0
            for batch in range(50):
                events = [{"type": "UserProfileUpdated", "data": {"user_id": "u%d" % batch, "attributes": {"pad": pad}}} for _ in range(100)]
                busy.sendall(json.dumps({"op": "append", "stream": "user-u%d" % batch, "events": events}).encode() + b"\\n")
                answers += json.loads(busy_file.readline()).get("ok") is True
            pings = 0
            for _ in range(20):
                busy.sendall(b'{"op":"ping"}\\n')
                pings += json.loads(busy_file.readline()).get("pong") is True
            lazy.settimeout(20)
            received, closed = 0, False
            try:
                while True:
                    chunk = lazy.recv(1 << 20)
                    if not chunk:
                        closed = True
                        break
                    received += len(chunk)
            except (socket.timeout, TimeoutError, ConnectionResetError):
                closed = not isinstance(sys.exc_info()[1], (socket.timeout, TimeoutError))
            print(json.dumps({"appends": answers, "pings": pings, "closed": closed, "received": received}))
            """
        let result = try runPython(script, arguments: [String(server.port)])
        XCTAssertEqual(result.status, 0, result.output)
        let report = try JSONParser.parse(result.output.trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertEqual(report["appends"], 50, "every append answered")
        XCTAssertEqual(report["pings"], 20, "the other connection is served")
        XCTAssertEqual(report["closed"], true, "the subscriber that stopped reading was disconnected: \(report.jsonString)")
        XCTAssertLessThan(report["received"]?.intValue ?? .max, 50 * 100 * 2_000, "it got less than everything")
        XCTAssertTrue(server.process.outputText.contains("does not read its answers"), server.process.outputText)
        // Its leases go back: the events are still there for the next consumer.
        let info = try await admin.request("sub_info", ["name": "firehose"])
        XCTAssertEqual(info["subscription"]?["ack_floor"], 0)
        await admin.close()
    }

    /// With room for about two append lines in flight, server-wide, eight connections that
    /// pipeline appends all get every answer: they wait their turn instead of failing, and
    /// every acknowledged event is in the log once.
    func testAppendsPastThePendingByteBudgetWaitTheirTurn() async throws {
        let (server, directory) = try server(#"{"max_pending_append_bytes": 300}"#)
        // Should an answer never come, the server is killed, which ends the pipelines in errors.
        let watchdog = Task {
            try await Task.sleep(for: .seconds(60))
            server.process.kill()
        }
        defer {
            watchdog.cancel()
            server.stopAndRemove()
            directory.remove()
        }
        let seqs = try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for client in 0..<8 {
                group.addTask {
                    let connection = try await server.connect()
                    let appends: [JSONValue] = (0..<25).map { index in
                        let data: JSONValue = ["user_id": .string("c\(client)"), "segment": .string("s\(index)")]
                        return [
                            "op": "append", "stream": .string("user-c\(client)"), "events": [["type": "UserJoinedSegment", "data": data]],
                        ]
                    }
                    let answers = try await connection.pipeline(appends)
                    await connection.close()
                    return answers.compactMap { $0["last_seq"]?.uint64Value }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        XCTAssertEqual(seqs.sorted(), (1...200).map(UInt64.init), "200 appends, each answered with its own seq")
        let connection = try await server.connect()
        let stats = try await connection.request("stats")
        XCTAssertEqual(stats["head_seq"]?.uint64Value, 200)
        await connection.close()
    }

    /// With tokens, one address holds at most `max_unauthenticated_per_address` connections
    /// that have not authenticated: one more gets one `rate_limited` line and is closed, and a
    /// connection that authenticates, or closes, gives its place back.
    func testConnectionsNotYetAuthenticatedAreCappedPerAddress() async throws {
        let token = "spool_limits_test_token"  // its SHA-256 below
        let digest = "d4b11ee6a52e9e4c863d5c65d75e16c3500b09540a12bf810060a6cee10c02e0"
        let (server, directory) = try server(
            #"{"tokens": [{"name": "t", "sha256": "\#(digest)", "roles": ["read"]}], "max_unauthenticated_per_address": 2}"#)
        defer {
            server.stopAndRemove()
            directory.remove()
        }
        let first = try await server.connect()
        let second = try await server.connect()
        for connection in [first, second] {  // an answer each: both are registered
            let answer = try await connection.request("ping")
            XCTAssertEqual(errorCode(answer), "unauthorized")
        }
        let refused = try linesUntilClosed(port: server.port)
        XCTAssertEqual(refused.lines.count, 1, "\(refused.lines)")
        let line = try JSONParser.parse(refused.lines.first ?? "")
        XCTAssertEqual(errorCode(line), "rate_limited")
        XCTAssertTrue(line["error"]?["message"]?.stringValue?.contains("not authenticated (limit 2)") == true, line.jsonString)

        let auth = try await first.request("auth", ["token": .string(token)])
        XCTAssertEqual(auth["principal"], "t", auth.jsonString)
        let third = try await server.connect()
        let thirdAnswer = try await third.request("ping")
        XCTAssertEqual(errorCode(thirdAnswer), "unauthorized", "admitted: the authenticated one left the count")
        await second.close()
        var admitted = false
        for _ in 0..<50 where !admitted {  // once the server has seen the close
            let again = try await server.connect()
            admitted = (try? await again.request("ping")).map { errorCode($0) == "unauthorized" } ?? false
            await again.close()
            if !admitted { try await Task.sleep(for: .milliseconds(20)) }
        }
        XCTAssertTrue(admitted, "a closed connection gives its place back")
        let pong = try await first.request("ping")
        XCTAssertEqual(pong["pong"], true)
        await first.close()
        await third.close()
    }

    func testOutOfRangeSettingsAreRefusedAtStart() throws {
        let directory = try TemporaryDirectory("settings")
        defer { directory.remove() }
        for (setting, message) in [
            (#"{"max_line_bytes": 9223372036854775807}"#, "max_line_bytes must be in"),
            (#"{"max_connections": 9223372036854775807}"#, "max_connections must be in"),
            (#"{"shutdown_grace_seconds": 1e300}"#, "shutdown_grace_seconds must be in"),
            (#"{"request_burst": 0}"#, "request_burst"),
            (#"{"max_json_depth": 65}"#, "max_json_depth must be in 1...64"),
            (#"{"max_pending_append_bytes": 0}"#, "max_pending_append_bytes must be in"),
            (#"{"max_unauthenticated_per_address": 0}"#, "max_unauthenticated_per_address must be in"),
            (#"{"tokens": [{"name": "x", "sha256": "abc", "roles": ["read"]}]}"#, "tokens[0].sha256 must be 64 hex digits"),
        ] {
            let config = directory.appending("spoold.json")
            try setting.write(toFile: config, atomically: true, encoding: .utf8)
            let run = try ServerProcess.run(arguments: [
                "--listen", "127.0.0.1:0", "--data", directory.appending("data"), "--config", config,
            ])
            XCTAssertEqual(run.status, 2, "\(setting): \(run.output)")
            XCTAssertTrue(run.output.contains(message), "\(setting): \(run.output)")
        }
    }
}
