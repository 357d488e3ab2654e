import Foundation
import JSON
import XCTest

/// `user`, `segment`, `segments`, `emails`, `audit`, `digest`, `stats`, `verify` and `subs`
/// print the server's own answers with `--json`, through a server and from a data directory
/// (beside the running server and after it stopped), and readable text otherwise.
final class QueryCommandTests: XCTestCase {
    func testQueriesPrintTheServersJSONThroughTheServerAndTheDataDirectory() async throws {
        let history = try ScriptedHistory()
        defer { history.remove() }
        let cases: [(arguments: [String], op: String, fields: JSONObject)] = [
            (["user", "ada"], "get_user", ["user_id": "ada"]),
            (["user", "bob"], "get_user", ["user_id": "bob"]),
            (["segment", "vip"], "list_segment", ["segment": "vip"]),
            (["segment", "vip", "--limit", "1"], "list_segment", ["segment": "vip", "limit": 1]),
            (["segment", "vip", "--after", "ada"], "list_segment", ["segment": "vip", "after": "ada"]),
            (["segments"], "segments", [:]),
            (["emails", "ada"], "list_emails", ["user_id": "ada"]),
            (["audit", "ada"], "audit", ["user_id": "ada"]),
            (["digest"], "digest", [:]),
            (["digest", "--seq", "3"], "digest", ["seq": 3]),
            (["subs"], "sub_list", [:]),
        ]
        var answers: [[String]: JSONValue] = [:]
        for (arguments, op, fields) in cases {
            let expected = try await history.request(op, fields)
            XCTAssertEqual(expected["ok"], true, "\(op): \(expected.jsonString)")
            answers[arguments] = expected
            let remote = try history.remote(["--json"] + arguments)
            XCTAssertEqual(remote.status, 0, "\(arguments): \(remote)")
            XCTAssertEqual(remote.json, expected, "spool --json \(arguments.joined(separator: " ")) through the server")
            let beside = try history.local(arguments + ["--json"])
            XCTAssertEqual(beside.json, expected, "spool \(arguments.joined(separator: " ")) --data beside the running server: \(beside)")
        }

        let ada = answers[["user", "ada"]]?["user"]
        XCTAssertEqual(ada?["first_name"], "Ava")
        XCTAssertEqual(ada?["last_name"], .null)
        XCTAssertEqual(ada?["marketing"], false)
        XCTAssertEqual(answers[["user", "bob"]]?["user"]?["deleted"], true)
        XCTAssertEqual(answers[["segment", "vip"]]?["users"], ["ada", "cy"])
        XCTAssertEqual(answers[["segment", "vip", "--limit", "1"]]?["next"], "ada")
        XCTAssertEqual(answers[["segments"]]?["segments"], [["name": "beta", "count": 2], ["name": "vip", "count": 2]])
        XCTAssertEqual(answers[["emails", "ada"]]?["emails"]?[0]?["status"], "opened")
        XCTAssertEqual(answers[["audit", "ada"]]?["events"]?.arrayValue?.count, 9)
        XCTAssertEqual(answers[["digest"]]?["seq"]?.uint64Value, history.seq("ada-last-name-removed"))

        // stats and verify: the parts that do not change from one call to the next.
        let stats = try history.remote(["--json", "stats"])
        XCTAssertEqual(stats.json?["head_seq"], answers[["digest"]]?["seq"])
        XCTAssertEqual(stats.json?["head_hash"], answers[["digest"]]?["hash"])
        XCTAssertEqual(stats.json?["views"]?["users-by-id"]?["checkpoint"], answers[["digest"]]?["seq"])
        let verify = try await history.request("verify")
        let remoteVerify = try history.remote(["verify", "--json"])
        XCTAssertEqual(remoteVerify.status, 0, "\(remoteVerify)")
        XCTAssertEqual(remoteVerify.json, verify)
        let localVerify = try history.local(["verify", "--json"])
        XCTAssertEqual(localVerify.status, 0, "\(localVerify)")
        for key in ["ok", "valid", "verified_through", "head_hash"] { XCTAssertEqual(localVerify.json?[key], verify[key], key) }
        XCTAssertEqual(localVerify.json?["views_valid"], true)
        XCTAssertEqual(localVerify.json?["views"]?.arrayValue?.count, 3)

        // After the server stopped, the data directory still answers the same.
        history.stop()
        for arguments in [["user", "ada"], ["segment", "vip"], ["audit", "ada"], ["emails", "ada"]] {
            XCTAssertEqual(try history.local(["--json"] + arguments).json, answers[arguments], "\(arguments) with the server stopped")
        }
    }

    /// The server answers `audit` a page at a time; `spool audit` follows every page, so a
    /// long history prints whole (2,500 events here: three pages of the CLI's 1,000).
    func testAuditFollowsEveryPage() async throws {
        let history = try ScriptedHistory()
        defer { history.remove() }
        let joins = (0..<2_500).map { index -> JSONValue in
            ["type": "UserJoinedSegment", "data": ["user_id": "cy", "segment": .string("s\(index)")]]
        }
        let appended = try await history.request("append", ["stream": "user-cy", "events": .array(joins)])
        XCTAssertEqual(appended["ok"], true, appended.jsonString)
        let first = try await history.request("audit", ["user_id": "cy"])
        XCTAssertEqual(first["events"]?.arrayValue?.count, 100, "a page of the default limit")
        XCTAssertNotEqual(first["next"], .null)
        let whole = try await history.request("audit", ["user_id": "cy", "limit": 10_000])
        let seqs = whole["events"]?.arrayValue?.compactMap { $0["seq"] } ?? []
        XCTAssertGreaterThan(seqs.count, 2_500)
        let printed = try history.remote(["--json", "audit", "cy"])
        XCTAssertEqual(printed.status, 0, "\(printed)")
        XCTAssertEqual(printed.json?["events"]?.arrayValue?.compactMap { $0["seq"] }, seqs)
        XCTAssertEqual(printed.json?["next"], .null)
        let text = try history.local(["audit", "cy"])
        XCTAssertEqual(text.status, 0, "\(text)")
        XCTAssertTrue(text.stdout.contains("s2499"), "the last page's events are printed")
    }

    func testReadableOutputAndErrors() throws {
        let history = try ScriptedHistory()
        defer { history.remove() }
        let audit = try history.remote(["audit", "ada"])
        XCTAssertEqual(audit.status, 0, "\(audit)")
        for expected in [
            #"first_name: "Ada""#, #"segments: beta"#, "joined vip", #"first_name: "Ada" → "Ava""#, #"attributes.plan: "free" → "pro""#,
            "→ email welcome (seq \(history.seq("ada-welcome")))", "→ email upgrade (seq \(history.seq("ada-upgrade-email")))",
            "caused by seq \(history.seq("ada-renamed"))", "sent welcome (provider id p-1)", "opened welcome",
            "marketing: true → false (opted out of marketing email)", #"last_name: "Lovelace" → (removed)"#, "anonymous",
        ] {
            XCTAssertTrue(audit.stdout.contains(expected), "audit lacks \(expected):\n\(audit.stdout)")
        }
        let since = try history.remote(["audit", "ada", "--since", try eventTime(history, "ada-renamed")])
        XCTAssertTrue(since.stdout.contains(#"first_name: "Ada" → "Ava""#), "the diff starts from the profile before --since:\n\(since)")
        XCTAssertFalse(since.stdout.contains("joined vip"), "\(since)")

        let bob = try history.remote(["audit", "bob"])
        XCTAssertTrue(bob.stdout.contains("deleted (reason: asked to be forgotten)"), "\(bob)")
        XCTAssertTrue(bob.stdout.contains("left vip"), "\(bob)")

        let user = try history.remote(["user", "ada", "--as-of", "\(history.seq("ada-joined-vip"))"])
        XCTAssertTrue(user.stdout.contains("first_name:"), "\(user)")
        XCTAssertTrue(user.stdout.contains("Ada"), "\(user)")
        XCTAssertTrue(user.stdout.contains("beta, vip"), "\(user)")
        let vip = try history.remote(["segment", "vip", "--as-of", "\(history.seq("bob-created"))"])
        XCTAssertEqual(vip.stdout, "vip as of seq \(history.seq("bob-created")): 1 member\nbob\n")
        let page = try history.remote(["segment", "vip", "--limit", "1"])
        XCTAssertEqual(page.stdout, "vip: 1 member shown, more follow\nada\n(more: --after ada)\n")
        let segments = try history.remote(["segments"])
        XCTAssertEqual(segments.stdout, "SEGMENT  MEMBERS\nbeta     2\nvip      2\n")

        let missing = try history.remote(["user", "nobody"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.stderr.hasPrefix("spool: not_found: "), "\(missing)")
        XCTAssertEqual(missing.stdout, "")
        let conflict = try history.remote([
            "append", "user-ada", "UserCreated", "--data", #"{"user_id":"ada","email":"a@b"}"#, "--expected-version", "no_stream",
        ])
        XCTAssertEqual(conflict.status, 1)
        XCTAssertTrue(conflict.stderr.contains("wrong_expected_version"), "\(conflict)")
        let nobody = try SpoolCLI.run(["user", "ada", "--server", "127.0.0.1:1"])
        XCTAssertEqual(nobody.status, 2)
        XCTAssertTrue(nobody.stderr.contains("cannot connect"), "\(nobody)")
        let environment = try SpoolCLI.run(["--json", "user", "ada"], environment: ["SPOOL_SERVER": "127.0.0.1:\(history.server.port)"])
        XCTAssertEqual(environment.json?["user"]?["first_name"], "Ava", "SPOOL_SERVER is used: \(environment)")
        let badTime = try history.remote(["user", "ada", "--as-of", "yesterday"])
        XCTAssertEqual(badTime.status, 64, "\(badTime)")

        // Write commands refuse a data directory the server holds; reads work beside it.
        for arguments in [
            ["rebuild", "--data", history.dataDirectory], ["import", "/dev/null", "--data", history.dataDirectory],
            [
                "append", "user-zed", "UserCreated", "--data", #"{"user_id":"zed","email":"z@example.com"}"#, "--data-dir",
                history.dataDirectory,
            ],
        ] {
            let refused = try SpoolCLI.run(arguments)
            XCTAssertEqual(refused.status, 2, "\(arguments): \(refused)")
            XCTAssertTrue(refused.stderr.contains("held by a running Spool server"), "\(refused)")
        }
        for command in [["user", "ada"], ["rebuild"], ["consume", "crm"]] {
            let absent = try SpoolCLI.run(command + ["--data", history.directory.appending("nothing-here")])
            XCTAssertEqual(absent.status, 2, "\(command): \(absent)")
            XCTAssertTrue(absent.stderr.contains("no Spool data"), "\(command): \(absent)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: history.directory.appending("nothing-here")), "nothing is created")
    }

    /// The server time of the step labelled `label`, from the log.
    private func eventTime(_ history: ScriptedHistory, _ label: String) throws -> String {
        let read = try history.remote(["--json", "export", "--from-seq", "\(history.seq(label))", "--to-seq", "\(history.seq(label))"])
        return read.ndjson?.first?["time"]?.stringValue ?? "missing"
    }
}
