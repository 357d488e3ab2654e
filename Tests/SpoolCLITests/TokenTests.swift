import Foundation
import JSON
import SpoolTestSupport
import XCTest

/// Tokens end to end: `spool token new` makes them, spoold's configuration file lists them,
/// and clients (`spool --token`, raw connections) authenticate with them over TCP.
final class TokenTests: XCTestCase {
    /// A server with a reader, a writer and an admin token, each made by `spool token new`.
    private struct SecuredServer {
        let directory: TemporaryDirectory
        let server: ServerProcess
        let tokens: [String: String]  // role → token

        init() throws {
            directory = try TemporaryDirectory("spool-tokens")
            var tokens: [String: String] = [:]
            var lines: [JSONValue] = []
            for (name, roles) in [("reader", "read"), ("writer", "write"), ("operator", "admin")] {
                let made = try SpoolCLI.run(["token", "new", name, "--roles", roles, "--json"])
                guard made.status == 0, let token = made.json?["token"]?.stringValue, let line = made.json?["config"] else {
                    throw ServerProcessError("spool token new failed: \(made)")
                }
                tokens[roles] = token
                lines.append(line)
            }
            let config = directory.appending("spoold.json")
            let settings: JSONValue = ["tokens": .array(lines), "auth_timeout_ms": 1_500]
            try settings.jsonString.write(toFile: config, atomically: true, encoding: .utf8)
            server = try ServerProcess(dataDirectory: directory.appending("data"), arguments: ["--no-emails", "--config", config])
            self.tokens = tokens
        }

        var address: String { "127.0.0.1:\(server.port)" }

        func remove() {
            server.stop()
            directory.remove()
        }
    }

    func testTokenNewPrintsATokenAndItsConfigurationLine() throws {
        let made = try SpoolCLI.run(["token", "new", "crm", "--roles", "read,write"])
        XCTAssertEqual(made.status, 0, "\(made)")
        XCTAssertTrue(made.stdout.contains("token:  spool_"), made.stdout)
        XCTAssertTrue(made.stdout.contains(#""name":"crm""#), made.stdout)
        XCTAssertTrue(made.stdout.contains(#""roles":["read","write"]"#), made.stdout)
        let refused = try SpoolCLI.run(["token", "new", "crm", "--roles", "root"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("read, write, admin"), refused.stderr)
    }

    func testOnlyTheRightTokensActAndTheActorIsTheTokensName() async throws {
        let secured = try SecuredServer()
        defer { secured.remove() }
        let data = #"{"user_id":"t1","email":"t1@example.com"}"#
        let append = [
            "--json", "append", "user-t1", "UserCreated", "--data", data, "--metadata", #"{"actor":"forged"}"#, "--server", secured.address,
        ]

        let anonymous = try SpoolCLI.run(append)
        XCTAssertEqual(anonymous.status, 1, "\(anonymous)")
        XCTAssertTrue(anonymous.stderr.contains("unauthorized"), anonymous.stderr)
        let wrong = try SpoolCLI.run(append + ["--token", "spool_not-a-token"])
        XCTAssertTrue(wrong.stderr.contains("unauthorized: unknown token"), "\(wrong)")
        let reader = try SpoolCLI.run(append, environment: ["SPOOL_TOKEN": secured.tokens["read"] ?? ""])
        XCTAssertTrue(reader.stderr.contains("needs the write role"), "\(reader)")

        let digestBefore = try SpoolCLI.run(["--json", "digest", "--server", secured.address, "--token", secured.tokens["read"] ?? ""])
        XCTAssertEqual(digestBefore.json?["seq"], 0, "nothing was written by the refused appends: \(digestBefore)")

        let writer = try SpoolCLI.run(append + ["--token", secured.tokens["write"] ?? ""])
        XCTAssertEqual(writer.status, 0, "\(writer)")
        let audit = try SpoolCLI.run(["--json", "audit", "t1", "--server", secured.address, "--token", secured.tokens["read"] ?? ""])
        XCTAssertEqual(
            audit.json?["events"]?[0]?["metadata"]?["actor"], "writer", "the actor is the token's name, not what the client sent")

        let writerVerifies = try SpoolCLI.run(["verify", "--server", secured.address, "--token", secured.tokens["write"] ?? ""])
        XCTAssertTrue(writerVerifies.stderr.contains("needs the admin role"), "\(writerVerifies)")
        let adminVerifies = try SpoolCLI.run(["verify", "--server", secured.address, "--token", secured.tokens["admin"] ?? ""])
        XCTAssertEqual(adminVerifies.status, 0, "\(adminVerifies)")
    }

    func testAConnectionMustAuthenticateFirstAndInTime() async throws {
        let secured = try SecuredServer()
        defer { secured.remove() }
        let connection = try await secured.server.connect()
        let ping = try await connection.request("ping")
        XCTAssertEqual(ping["error"]?["code"], "unauthorized")
        XCTAssertTrue(ping["error"]?["message"]?.stringValue?.contains(#"{"op":"auth""#) == true, ping.jsonString)
        let auth = try await connection.request("auth", ["token": .string(secured.tokens["read"] ?? "")])
        XCTAssertEqual(auth["principal"], "reader")
        XCTAssertEqual(auth["roles"], ["read"])
        try await Task.sleep(for: .seconds(2))  // past auth_timeout_ms: an authenticated connection stays
        let pong = try await connection.request("ping")
        XCTAssertEqual(pong["pong"], true)
        await connection.close()

        // A connection that never authenticates is told why and closed after auth_timeout_ms.
        let idle = try linesUntilClosed(port: secured.server.port)
        XCTAssertEqual(idle.status, 0, "\(idle.lines)")
        let lines = idle.lines
        XCTAssertEqual(lines.count, 1, "\(lines)")
        XCTAssertTrue(lines.first?.contains(#""code":"unauthorized""#) == true, "\(lines)")
        XCTAssertTrue(lines.first?.contains("no auth within 1.5 s") == true, "\(lines)")
    }
}
