import Foundation
import JSON
import SpoolTestSupport
import XCTest

/// `spool verify` passes on an intact log and fails (exit 1) on a copied data file with a
/// flipped byte, naming the seq of the damaged event.
final class VerifyTests: XCTestCase {
    func testVerifyFailsOnAFlippedByteAndNamesTheSeq() throws {
        let history = try ScriptedHistory()
        defer { history.remove() }
        let intact = try history.remote(["verify"])
        XCTAssertEqual(intact.status, 0, "\(intact)")
        XCTAssertTrue(intact.stdout.hasPrefix("log intact: seq 1…\(ScriptedHistory.steps.count)"), "\(intact)")
        for view in ["users-by-id", "users-by-segment", "emails-by-user"] {
            XCTAssertTrue(intact.stdout.contains("view \(view): matches a fresh fold"), "the server checks the views too: \(intact)")
        }
        let logOnly = try history.remote(["verify", "--skip-views", "--json"])
        XCTAssertNil(logOnly.json?["views"], "\(logOnly)")
        history.stop()

        let copy = history.directory.appending("copy")
        try FileManager.default.copyItem(atPath: history.dataDirectory, toPath: copy)
        let file = copy + "/data.mdb"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        let needle = Array(ScriptedHistory.uniqueEmail.utf8)
        var flipped = 0
        var index = 0
        // LMDB may keep stale copies of a page: flip every occurrence.
        while index + needle.count <= bytes.count {
            if bytes[index] == needle[0], Array(bytes[index..<index + needle.count]) == needle {
                for offset in 0..<needle.count where bytes[index + offset] >= 0x61 && bytes[index + offset] <= 0x7A {
                    bytes[index + offset] ^= 0x20  // lower case → upper case: still JSON, no longer the hashed bytes
                }
                flipped += 1
                index += needle.count
            } else {
                index += 1
            }
        }
        XCTAssertGreaterThan(flipped, 0, "the unique string is in data.mdb")
        try Data(bytes).write(to: URL(fileURLWithPath: file))

        let seq = history.seq("cy-created")
        let damaged = try history.local(["verify"], directory: copy)
        XCTAssertEqual(damaged.status, 1, "\(damaged)")
        XCTAssertTrue(damaged.stdout.contains("DAMAGED at seq \(seq):"), "\(damaged)")
        let json = try history.local(["verify", "--json"], directory: copy)
        XCTAssertEqual(json.status, 1)
        XCTAssertEqual(json.json?["valid"], false)
        XCTAssertEqual(json.json?["problem"]?["seq"]?.uint64Value, seq, "\(json)")
        XCTAssertEqual(json.json?["verified_through"]?.uint64Value, seq - 1)

        let original = try history.local(["verify"])
        XCTAssertEqual(original.status, 0, "the original is untouched: \(original)")
        XCTAssertTrue(original.stdout.contains("view users-by-id: matches a fresh fold"), "\(original)")
    }
}
