import Foundation
import JSON
import XCTest

/// `--as-of` answers at many points of the history — seqs, the exact times of events, times
/// between events, dates, relative times — equal the server's own `as_of` answers, through
/// the server and from the data directory.
final class AsOfTests: XCTestCase {
    func testAsOfAnswersEqualTheServersAsOfAnswers() async throws {
        let history = try ScriptedHistory()
        defer { history.remove() }
        let events = try XCTUnwrap(history.remote(["--json", "export"]).ndjson)
        XCTAssertEqual(events.count, ScriptedHistory.steps.count)
        let times = events.compactMap { $0["time"]?.stringValue }

        // (what spool is given, what the server is asked)
        var points: [(String, JSONValue)] = [
            ("0", 0), ("1", 1), ("1000", 1_000), ("2000-01-01", "2000-01-01T00:00:00Z"), ("-1h", "2000-01-01T00:00:00Z"),
        ]
        for label in ["ada-joined-vip", "ada-renamed", "bob-left-vip", "cy-created", "bob-deleted"] {
            let seq = history.seq(label)
            points.append(("\(seq)", .int(Int64(seq))))
            let time = times[Int(seq) - 1]
            points.append((time, .string(time)))
            if Int(seq) < times.count, let between = Self.midpoint(time, times[Int(seq)]) { points.append((between, .string(between))) }
        }
        let queries: [(arguments: [String], op: String, fields: JSONObject)] = [
            (["user", "ada"], "get_user", ["user_id": "ada"]),
            (["user", "bob"], "get_user", ["user_id": "bob"]),
            (["user", "cy"], "get_user", ["user_id": "cy"]),
            (["segment", "vip"], "list_segment", ["segment": "vip"]),
            (["segment", "beta"], "list_segment", ["segment": "beta"]),
            (["segments"], "segments", [:]),
            (["emails", "ada"], "list_emails", ["user_id": "ada"]),
        ]
        var distinct = Set<String>()
        for (given, asOf) in points {
            for (arguments, op, fields) in queries {
                var asked = fields
                asked["as_of"] = asOf
                let expected = try await history.request(op, asked)
                distinct.insert(expected.jsonString)
                for (way, result) in [
                    ("server", try history.remote(["--json"] + arguments + ["--as-of", given])),
                    ("data directory", try history.local(arguments + ["--as-of", given, "--json"])),
                ] {
                    let what = "spool \(arguments.joined(separator: " ")) --as-of \(given) (\(way))"
                    if expected["ok"] == true {
                        XCTAssertEqual(result.status, 0, "\(what): \(result)")
                        XCTAssertEqual(result.json, expected, what)
                    } else {
                        XCTAssertEqual(result.status, 1, "\(what): \(result)")
                        let code = expected["error"]?["code"]?.stringValue ?? "?"
                        XCTAssertTrue(result.stderr.hasPrefix("spool: \(code): "), "\(what): \(result)")
                    }
                }
            }
        }
        XCTAssertGreaterThan(distinct.count, 15, "the points should see different pasts")

        // `now` is the present.
        let now = try history.remote(["--json", "user", "ada", "--as-of", "now"])
        let present = try await history.request("get_user", ["user_id": "ada"])
        XCTAssertEqual(now.json, present)
    }

    /// The RFC 3339 time halfway between two (millisecond) times; nil when they are too close.
    static func midpoint(_ first: String, _ second: String) -> String? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let a = formatter.date(from: first), let b = formatter.date(from: second), b.timeIntervalSince(a) >= 0.002 else { return nil }
        return formatter.string(from: a.addingTimeInterval(b.timeIntervalSince(a) / 2))
    }
}
