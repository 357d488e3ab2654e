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
}
