import Foundation
import JSON
import SpoolClient
import SpoolTestSupport
import XCTest

/// The email projector inside the real spoold, and the example Maildir sender.
final class EmailEndToEndTests: XCTestCase {
    /// Waits until the projector's subscription has nothing left to do.
    func waitForProjector(_ connection: SpoolConnection) async throws {
        for _ in 0..<400 {
            let info = try await connection.request("sub_info", ["name": "email-projector"])["subscription"]
            if info?["lag"] == 0 && info?["in_flight"] == 0 { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        let last = try await connection.request("sub_info", ["name": "email-projector"])
        XCTFail("the email projector did not catch up: \(last.jsonString)")
    }

    func generated(_ connection: SpoolConnection, _ user: String) async throws -> [JSONValue] {
        let response = try await connection.request("read", ["stream": .string("email-\(user)")])
        return (response["events"]?.arrayValue ?? []).filter { $0["type"] == "EmailGenerated" }
    }

    func testKilledWhileBehindEveryEmailExistsExactlyOnce() async throws {
        var server = try TestServer(emails: true)
        defer { server.stopAndRemove() }
        var c = try await server.connect()
        let users = (0..<300).map { "u\($0)" }
        for response in try await c.pipeline(users.map { userCreated($0) }) { XCTAssertEqual(response["ok"], true) }
        await c.close()
        server.process.kill()  // the projector is most likely mid-way
        server = try server.restarted(emails: true)
        c = try await server.connect()
        try await waitForProjector(c)
        for user in users {
            let emails = try await generated(c, user)
            XCTAssertEqual(emails.count, 1, "user \(user): one welcome email, never two")
        }
        let stats = try await c.request("stats")
        XCTAssertEqual(stats["email_projector"], ["running": true, "lag": 0], stats.jsonString)
        await c.close()
    }

    func testTheExampleSenderDeliversTheOutboxIntoAMaildir() async throws {
        let server = try TestServer(emails: true)
        defer { server.stopAndRemove() }
        let c = try await server.connect()
        for user in ["ada", "bo"] {
            let response = try await c.request(
                "append",
                [
                    "stream": .string("user-\(user)"),
                    "events": [
                        [
                            "type": "UserCreated",
                            "data": ["user_id": .string(user), "email": .string("\(user)@example.com"), "first_name": "Ada"],
                        ]
                    ],
                ])
            XCTAssertEqual(response["ok"], true)
        }
        try await waitForProjector(c)
        let maildir = server.directory.appending("maildir")
        let sender = try runCommand([
            "python3", repositoryRoot.appendingPathComponent("tools/maildir_sender.py").path, "--server", "127.0.0.1:\(server.port)",
            "--maildir", maildir, "--once",
        ])
        XCTAssertEqual(sender.status, 0, sender.output)
        let check = try runCommand([
            "python3", "-c",
            """
            import email, email.policy, mailbox, sys
            box = mailbox.Maildir(sys.argv[1], create=False)
            for key in sorted(box.keys()):
                m = email.message_from_bytes(box.get_bytes(key), policy=email.policy.default)
                print(m["To"], "|", m["Subject"], "|", m.get_body(preferencelist=("plain",)).get_content().splitlines()[0])
            """,
            maildir,
        ])
        XCTAssertEqual(check.status, 0, check.output)
        let lines = check.output.split(separator: "\n").map(String.init).sorted()
        XCTAssertEqual(lines, ["ada@example.com | Welcome, Ada! | Hi Ada,", "bo@example.com | Welcome, Ada! | Hi Ada,"])
        for user in ["ada", "bo"] {
            let emails = try await c.request("list_emails", ["user_id": .string(user)])
            XCTAssertEqual(emails["emails"]?[0]?["status"], "sent", "EmailSent was recorded for \(user)")
        }
        let outbox = try await c.request("sub_info", ["name": "email-outbox"])
        XCTAssertEqual(outbox["subscription"]?["lag"], 0)
        await c.close()
    }
}

/// Runs a command found on PATH and returns its exit status and its output (stdout and stderr).
private func runCommand(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
