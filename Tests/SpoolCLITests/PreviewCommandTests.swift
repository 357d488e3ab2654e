import Foundation
import JSON
import SpoolTestSupport
import XCTest

/// `spool preview` renders what the server's email projector would send, and appends nothing.
final class PreviewCommandTests: XCTestCase {
    func testPreviewRendersTheServersTemplatesAndAppendsNothing() async throws {
        let directory = try TemporaryDirectory("spool-preview")
        let server = try ServerProcess(dataDirectory: directory.appending("data"))
        defer {
            server.stop()
            directory.remove()
        }
        let address = "127.0.0.1:\(server.port)"
        let created = try SpoolCLI.run([
            "append", "user-pv", "UserCreated", "--data", #"{"user_id":"pv","email":"pv@example.com","first_name":"Pia"}"#,
            "--server", address,
        ])
        XCTAssertEqual(created.status, 0, "\(created)")
        // The welcome email is appended by the projector; wait for it so the head settles.
        var before = try SpoolCLI.run(["--json", "digest", "--server", address])
        let deadline = ContinuousClock.now + .seconds(20)
        while before.json?["seq"] != 2, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
            before = try SpoolCLI.run(["--json", "digest", "--server", address])
        }
        XCTAssertEqual(before.json?["seq"], 2, "the user and the welcome email: \(before)")

        let preview = try SpoolCLI.run([
            "--json", "preview", "pv", "UserJoinedSegment", "--data", #"{"segment":"vip"}"#, "--server", address,
        ])
        XCTAssertEqual(preview.status, 0, "\(preview)")
        let email = preview.json?["emails"]?[0]
        XCTAssertEqual(email?["rule"], "joined-segment")
        XCTAssertEqual(email?["to"], "pv@example.com")
        XCTAssertEqual(email?["subject"], "You're now part of vip")
        XCTAssertTrue(email?["text"]?.stringValue?.contains("Hi Pia") == true, "\(preview)")

        let readable = try SpoolCLI.run(["preview", "pv", "UserJoinedSegment", "--data", #"{"segment":"vip"}"#, "--server", address])
        XCTAssertTrue(readable.stdout.contains("subject:   You're now part of vip"), readable.stdout)
        let none = try SpoolCLI.run(["preview", "pv", "UserLeftSegment", "--data", #"{"segment":"vip"}"#, "--server", address])
        XCTAssertTrue(none.stdout.hasPrefix("no email"), "\(none)")
        let bad = try SpoolCLI.run(["preview", "pv", "UserJoinedSegment", "--data", "[1]", "--server", address])
        XCTAssertNotEqual(bad.status, 0)

        let after = try SpoolCLI.run(["--json", "digest", "--server", address])
        XCTAssertEqual(after.json?["seq"], before.json?["seq"], "a preview appends nothing")
    }
}
