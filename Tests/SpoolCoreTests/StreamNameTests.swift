import SpoolCore
import XCTest

/// The stream-name rules at their edges: length, forbidden bytes, and the dash.
final class StreamNameTests: XCTestCase {
    func testAcceptableNames() {
        for name in [
            "a-b", "user-42", "user-c0000-00", "email-é", "x-" + String(repeating: "y", count: 254), "-a-b".dropFirst().description,
        ] {
            XCTAssertNil(StreamName.problem(with: name), name)
        }
    }

    func testRefusedNamesSayWhy() {
        let cases: [(String, String)] = [
            ("", "empty"),
            ("x-" + String(repeating: "y", count: 255), "longer than 256 bytes"),
            ("user 42", "space or control"),
            ("user-4\u{7F}", "space or control"),
            ("user-\t42", "space or control"),
            ("-42", "<category>-<id>"),
            ("user-", "<category>-<id>"),
            ("user42", "<category>-<id>"),
            ("-", "<category>-<id>"),
            ("- x", "space or control"),
        ]
        for (name, reason) in cases {
            let problem = StreamName.problem(with: name)
            XCTAssertNotNil(problem, name.debugDescription)
            XCTAssertTrue(problem?.contains(reason) ?? false, "\(name.debugDescription): \(problem ?? "nil")")
        }
    }

    func testALongNameIsReadWhole() {
        let long = "user-" + String(repeating: "z", count: 200) + " "
        XCTAssertEqual(StreamName.problem(with: long), "stream name contains a space or control character")
    }
}
