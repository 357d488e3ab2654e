import Foundation
import JSON
import SpoolTestSupport
import XCTest

/// `tail`, `consume`, `subs` and `rebuild` against a real server and a data directory.
final class FollowCommandTests: XCTestCase {
    func testTailFollowsTheLogAndFilters() async throws {
        let history = try ScriptedHistory()
        defer { history.remove() }
        let first = try history.remote(["--json", "tail", "--from", "beginning", "--max", "5"])
        XCTAssertEqual(first.ndjson?.map { $0["seq"]?.uint64Value ?? 0 }, [1, 2, 3, 4, 5], "\(first)")
        let created = try history.remote(["--json", "tail", "--from", "1", "--type", "UserCreated", "--max", "3"])
        XCTAssertEqual(created.ndjson?.compactMap { $0["data"]?["user_id"]?.stringValue }, ["ada", "bob", "cy"], "\(created)")
        let emails = try history.local(["tail", "--from", "beginning", "--stream-prefix", "email-", "--max", "4", "--json"])
        XCTAssertEqual(emails.ndjson?.count, 4)
        XCTAssertTrue(emails.ndjson?.allSatisfy { $0["stream"] == "email-ada" } == true, "\(emails)")
        let beyond = try history.remote(["tail", "--from", "9223372036854775808", "--max", "1"])
        XCTAssertEqual(beyond.status, 64, "a seq past Int64 is a usage error, not a crash: \(beyond)")
        let readable = try history.remote(["tail", "--from", "beginning", "--max", "1"])
        XCTAssertTrue(readable.stdout.hasPrefix("1  "), "\(readable)")
        XCTAssertTrue(readable.stdout.contains("user-ada@1  UserCreated  {\"user_id\":\"ada\""), "\(readable)")

        // Live: tail waits at the head, and prints what is appended after it started.
        let head = UInt64(ScriptedHistory.steps.count)
        let port = history.server.port
        let follower = Task.detached {
            try SpoolCLI.run([
                "--json", "tail", "--from", "\(head + 1)", "--max", "2", "--interval-ms", "20", "--server", "127.0.0.1:\(port)",
            ])
        }
        try await Task.sleep(for: .milliseconds(300))
        for user in ["dee", "eve"] {
            let appended = try await history.request(
                "append",
                [
                    "stream": .string("user-\(user)"),
                    "events": [["type": "UserCreated", "data": ["user_id": .string(user), "email": "x@example.com"]]],
                ])
            XCTAssertEqual(appended["ok"], true)
        }
        let live = try await follower.value
        XCTAssertEqual(live.status, 0, "\(live)")
        XCTAssertEqual(live.ndjson?.map { $0["seq"]?.uint64Value ?? 0 }, [head + 1, head + 2], "\(live)")
    }

    func testConsumeAcksAndSubsShowsLagAndDeadLetters() async throws {
        let history = try ScriptedHistory()
        defer { history.remove() }
        let created = try await history.request("sub_create", ["name": "crm", "start": "beginning", "filter": ["types": ["UserCreated"]]])
        XCTAssertEqual(created["ok"], true, created.jsonString)
        let listed = try history.remote(["--json", "subs"])
        let subscriptions = try await history.request("sub_list")
        XCTAssertEqual(listed.json, subscriptions)
        XCTAssertEqual(listed.json?["subscriptions"]?[0]?["lag"], 3)

        let two = try history.remote(["--json", "consume", "crm", "--max", "2"])
        XCTAssertEqual(two.status, 0, "\(two)")
        XCTAssertEqual(two.ndjson?.compactMap { $0["event"]?["data"]?["user_id"]?.stringValue }, ["ada", "bob"])
        XCTAssertEqual(two.ndjson?.first?["delivery"], 1)
        let rest = try history.remote(["consume", "crm", "--drain"])
        XCTAssertEqual(rest.status, 0, "\(rest)")
        XCTAssertTrue(rest.stdout.hasPrefix("#1 \(history.seq("cy-created"))  "), "\(rest)")
        XCTAssertEqual(rest.stdout.split(separator: "\n").count, 1)
        let info = try await history.request("sub_info", ["name": "crm"])
        XCTAssertEqual(info["subscription"]?["lag"], 0, info.jsonString)

        _ = try await history.request("sub_create", ["name": "peek", "start": "beginning"])
        let peek = try history.remote(["--json", "consume", "peek", "--max", "3", "--no-ack"])
        XCTAssertEqual(peek.ndjson?.count, 3)
        let peekInfo = try await history.request("sub_info", ["name": "peek"])
        XCTAssertEqual(peekInfo["subscription"]?["in_flight"], 3, "not acked: still leased")

        let table = try history.remote(["subs"])
        XCTAssertTrue(table.stdout.hasPrefix("NAME  POSITION  ACK FLOOR  LAG  IN FLIGHT  DEAD  CONSUMERS  FILTER\n"), "\(table)")
        XCTAssertTrue(table.stdout.contains("types UserCreated"), "\(table)")
        let detail = try history.remote(["subs", "crm"])
        XCTAssertTrue(detail.stdout.contains("lag:") && detail.stdout.contains("no dead letters"), "\(detail)")
        let unknown = try history.remote(["consume", "nope", "--drain"])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertTrue(unknown.stderr.hasPrefix("spool: not_found: "), "\(unknown)")
    }

    func testRebuildOnlineAndOfflineGiveTheSameChecksums() throws {
        let history = try ScriptedHistory()
        defer { history.remove() }
        let online = try history.remote(["--json", "rebuild"])
        XCTAssertEqual(online.status, 0, "\(online)")
        let checksums = try XCTUnwrap(online.json?["checksums"]?.objectValue)
        XCTAssertEqual(checksums.keys, ["users-by-id", "users-by-segment", "emails-by-user"])
        let one = try history.remote(["--json", "rebuild", "users-by-id"])
        XCTAssertEqual(one.json?["checksums"], ["users-by-id": checksums["users-by-id"] ?? .null])
        let unknown = try history.remote(["rebuild", "users-by-color"])
        XCTAssertEqual(unknown.status, 64, "\(unknown)")

        history.stop()
        let offline = try history.local(["rebuild", "--json"])
        XCTAssertEqual(offline.status, 0, "\(offline)")
        XCTAssertEqual(offline.json?["checksums"]?.objectValue, checksums, "a replay gives the same views online and offline")
        let readable = try history.local(["rebuild", "emails-by-user"])
        XCTAssertEqual(readable.stdout, "VIEW            CHECKSUM\nemails-by-user  \(checksums["emails-by-user"]?.stringValue ?? "?")\n")
        XCTAssertEqual(try history.local(["--json", "user", "ada"]).json?["user"]?["first_name"], "Ava")
    }
}
