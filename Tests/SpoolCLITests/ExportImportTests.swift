import Foundation
import JSON
import SpoolTestSupport
import XCTest

/// export → import into an empty data directory → verify: the same events (ids, streams,
/// versions, types, data, causation) in the same order, a log that verifies, and an import
/// that is idempotent by event id.
final class ExportImportTests: XCTestCase {
    func testExportImportIntoAnEmptyDirectoryKeepsTheEventsAndVerifies() throws {
        let history = try ScriptedHistory()
        defer { history.remove() }
        let exported = try history.remote(["export"])
        XCTAssertEqual(exported.status, 0, "\(exported)")
        let original = try XCTUnwrap(exported.ndjson)
        XCTAssertEqual(original.count, ScriptedHistory.steps.count)
        XCTAssertEqual(original.map { $0["seq"]?.uint64Value ?? 0 }, Array(1...UInt64(original.count)))

        let file = history.directory.appending("export.ndjson")
        let written = try history.remote(["export", "--output", file])
        XCTAssertEqual(written.status, 0, "\(written)")
        XCTAssertEqual(written.stdout, "exported \(original.count) events (seq 1…\(original.count)) to \(file)\n")
        XCTAssertEqual(written.stderr, "", "no progress bar when stderr is not a terminal")
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8), exported.stdout)

        let range = try history.remote(["export", "--from-seq", "3", "--to-seq", "5"]).ndjson
        XCTAssertEqual(range?.map { $0["seq"]?.uint64Value ?? 0 }, [3, 4, 5])
        let until = try history.remote(["export", "--until", original[3]["time"]?.stringValue ?? "?"]).ndjson
        XCTAssertEqual(until?.last?["seq"], original.last { $0["time"] == original[3]["time"] }?["seq"])

        let target = history.directory.appending("imported")
        let imported = try SpoolCLI.run(["--json", "import", file, "--data", target])
        XCTAssertEqual(imported.status, 0, "\(imported)")
        XCTAssertEqual(
            imported.json,
            ["appended": .int(Int64(original.count)), "duplicates": 0, "first_seq": 1, "last_seq": .int(Int64(original.count))])
        XCTAssertEqual(imported.stderr, "")

        let verified = try history.local(["verify", "--json"], directory: target)
        XCTAssertEqual(verified.status, 0, "\(verified)")
        XCTAssertEqual(verified.json?["valid"], true)
        XCTAssertEqual(verified.json?["views_valid"], true)
        XCTAssertEqual(verified.json?["verified_through"]?.uint64Value, UInt64(original.count))

        let copy = try XCTUnwrap(try history.local(["export"], directory: target).ndjson)
        XCTAssertEqual(copy.count, original.count)
        for (before, after) in zip(original, copy) {
            for key in ["seq", "stream", "version", "type", "id", "data"] {
                XCTAssertEqual(after[key], before[key], "\(key) of seq \(before["seq"] ?? .null)")
            }
            XCTAssertEqual(after["metadata"]?["causation_id"], before["metadata"]?["causation_id"])
            XCTAssertEqual(after["metadata"]?["correlation_id"], before["metadata"]?["correlation_id"])
            XCTAssertTrue(after["metadata"]?["actor"]?.stringValue?.hasPrefix("local:") == true, "the importer is the actor")
        }
        // The imported log answers the same questions.
        XCTAssertEqual(try history.local(["--json", "user", "ada"], directory: target).json?["user"]?["first_name"], "Ava")
        XCTAssertEqual(try history.local(["--json", "segment", "vip"], directory: target).json?["users"], ["ada", "cy"])

        // Importing again, locally or into the server the file came from, appends nothing.
        let again = try SpoolCLI.run(["import", file, "--data", target])
        XCTAssertEqual(again.stdout, "imported 0 events from \(file); \(original.count) already present\n", "\(again)")
        let back = try history.remote(["--json", "import", file])
        XCTAssertEqual(back.json?["appended"], 0, "\(back)")
        XCTAssertEqual(back.json?["duplicates"], .int(Int64(original.count)))

        // A partial export needs --any-version; a bad line is named.
        let partial = history.directory.appending("partial.ndjson")
        _ = try history.remote(["export", "--from-seq", "5", "--output", partial])
        let refused = try SpoolCLI.run(["import", partial, "--data", history.directory.appending("partial")])
        XCTAssertEqual(refused.status, 1, "\(refused)")
        XCTAssertTrue(refused.stderr.contains("wrong_expected_version") && refused.stderr.contains("--any-version"), "\(refused)")
        let relaxed = try SpoolCLI.run(["--json", "import", partial, "--any-version", "--data", history.directory.appending("relaxed")])
        XCTAssertEqual(relaxed.json?["appended"]?.uint64Value, UInt64(original.count - 4), "\(relaxed)")
        let broken = history.directory.appending("broken.ndjson")
        try "\(original[0].jsonString)\n{not json\n".write(toFile: broken, atomically: true, encoding: .utf8)
        let bad = try SpoolCLI.run(["import", broken, "--data", history.directory.appending("broken")])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("line 2: not JSON"), "\(bad)")
    }

    /// A file whose versions run past what a stream can hold is refused with an error, not a
    /// crash: line 2 starts a run at version 2^63 - 1, which line 3 continues, and the retry
    /// event by event asks for version 2^63.
    func testAnImportWithVersionsPastTheLimitIsRefused() throws {
        let directory = try TemporaryDirectory("import-versions")
        defer { directory.remove() }
        let data = #""data":{"user_id":"u1","email":"a@b.c"}"#
        let lines = [
            #"{"stream":"user-u1","type":"UserCreated","id":"00000000-0000-0000-0000-000000000001",\#(data)}"#,
            #"{"stream":"user-u1","type":"UserCreated","id":"00000000-0000-0000-0000-000000000001","version":9223372036854775807,\#(data)}"#,
            #"{"stream":"user-u1","type":"UserDeleted","id":"00000000-0000-0000-0000-000000000002","data":{"user_id":"u1"}}"#,
        ]
        let file = directory.appending("versions.ndjson")
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let run = try SpoolCLI.run(["import", file, "--data", directory.appending("data")])
        XCTAssertEqual(run.status, 1, "\(run)")
        XCTAssertTrue(run.stderr.contains("wrong_expected_version") || run.stderr.contains("duplicate_event_id"), "\(run)")
    }

    /// export → `import --exact` into an empty data directory → verify: the same chain head
    /// (seqs, times, ids and actors kept); resumable; an altered line is refused by its hash.
    func testExactImportRestoresTheSameChainHead() throws {
        let history = try ScriptedHistory()
        defer { history.remove() }
        let file = history.directory.appending("export.ndjson")
        XCTAssertEqual(try history.remote(["export", "--output", file]).status, 0)
        let digest = try history.remote(["--json", "digest"])
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map(String.init)

        // Half first (as if interrupted), then the whole file: the first half is skipped.
        let half = history.directory.appending("half.ndjson")
        try (lines.prefix(6).joined(separator: "\n") + "\n").write(toFile: half, atomically: true, encoding: .utf8)
        let target = history.directory.appending("restored")
        let first = try SpoolCLI.run(["--json", "import", "--exact", half, "--data", target])
        XCTAssertEqual(first.json, ["restored": 6, "present": 0], "\(first)")
        let restored = try SpoolCLI.run(["--json", "import", "--exact", file, "--data", target])
        XCTAssertEqual(restored.json, ["restored": .int(Int64(lines.count - 6)), "present": 6], "\(restored)")

        let copyDigest = try history.local(["--json", "digest"], directory: target)
        XCTAssertEqual(copyDigest.json, digest.json, "the restored log has the exported log's chain head")
        let verified = try history.local(["verify", "--json"], directory: target)
        XCTAssertEqual(verified.json?["valid"], true, "\(verified)")
        XCTAssertEqual(verified.json?["views_valid"], true, "\(verified)")
        let copy = try history.local(["export"], directory: target)
        XCTAssertEqual(copy.stdout, lines.joined(separator: "\n") + "\n", "every event comes back byte for byte")
        // Client ids were restored as client ids: a retry of the original append is a duplicate.
        let retry = try SpoolCLI.run([
            "--json", "append", "user-ada", "UserProfileUpdated", "--data",
            #"{"user_id":"ada","first_name":"Ava","attributes":{"plan":"pro"}}"#,
            "--id", ScriptedHistory.adaRenamedID, "--data-dir", target,
        ])
        XCTAssertEqual(retry.json?["duplicate"], true, "\(retry)")

        // An altered event does not hash to its exported hash.
        let altered = history.directory.appending("altered.ndjson")
        try (lines.map { $0.replacingOccurrences(of: "Lovelace", with: "Byron") }.joined(separator: "\n") + "\n")
            .write(toFile: altered, atomically: true, encoding: .utf8)
        let refused = try SpoolCLI.run(["import", "--exact", altered, "--data", history.directory.appending("other")])
        XCTAssertEqual(refused.status, 1, "\(refused)")
        XCTAssertTrue(refused.stderr.contains("does not hash to its exported hash"), refused.stderr)
        // An event an append would refuse is refused before its hash is even looked at.
        let misfiled = history.directory.appending("misfiled.ndjson")
        try (lines.map { $0.replacingOccurrences(of: #""user_id":"ada""#, with: #""user_id":"bob""#) }.joined(separator: "\n") + "\n")
            .write(toFile: misfiled, atomically: true, encoding: .utf8)
        let invalid = try SpoolCLI.run(["import", "--exact", misfiled, "--data", history.directory.appending("third")])
        XCTAssertEqual(invalid.status, 1, "\(invalid)")
        XCTAssertTrue(invalid.stderr.contains("does not match stream 'user-ada'"), invalid.stderr)
        let noDirectory = try SpoolCLI.run(["import", "--exact", file])
        XCTAssertEqual(noDirectory.status, 64, "\(noDirectory)")
    }
}
