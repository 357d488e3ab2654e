import Foundation
import JSON
import SpoolClient
import SpoolTestSupport
import Synchronization
import XCTest

/// `spool top`: one plain frame with `--once`, and the live screen on a pseudo-terminal
/// (through util-linux `script`), which redraws, reports a lost server and quits on `q` or
/// Ctrl-C with the terminal restored.
final class TopCommandTests: XCTestCase {
    static let longName = "a-subscription-whose-name-is-far-too-long-for-the-table"

    /// A server without the email projector holding five users, a subscription `crm` with
    /// two of them acked (lag 3), and one with a long name that has seen nothing (lag 5).
    func startServer() async throws -> (TemporaryDirectory, ServerProcess) {
        let directory = try TemporaryDirectory("spool-top")
        let server = try ServerProcess(dataDirectory: directory.appending("data"), arguments: ["--no-emails"])
        let connection = try await server.connect(timeout: .seconds(20))
        for user in 1...5 { try await append(connection, user: "u\(user)") }
        for name in ["crm", Self.longName] {
            let created = try await connection.request("sub_create", ["name": .string(name), "start": "beginning"])
            XCTAssertEqual(created["ok"], true, created.jsonString)
        }
        let fetched = try await connection.request("fetch", ["name": "crm", "max": 2])
        XCTAssertEqual(fetched["messages"]?.arrayValue?.count, 2, fetched.jsonString)
        let acked = try await connection.request("ack", ["name": "crm", "seqs": [1, 2]])
        XCTAssertEqual(acked["acked"], 2, acked.jsonString)
        await connection.close()
        return (directory, server)
    }

    func append(_ connection: SpoolConnection, user: String) async throws {
        let response = try await connection.request(
            "append",
            [
                "stream": .string("user-\(user)"),
                "events": [["type": "UserCreated", "data": ["user_id": .string(user), "email": "x@example.com"]]],
            ])
        XCTAssertEqual(response["ok"], true, response.jsonString)
    }

    func testOncePrintsOnePlainFrame() async throws {
        let (directory, server) = try await startServer()
        defer {
            server.stop()
            directory.remove()
        }
        let result = try SpoolCLI.run(["top", "--once", "--server", "127.0.0.1:\(server.port)"])
        XCTAssertEqual(result.status, 0, "\(result)")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertTrue(lines.first?.hasPrefix("spool top · 127.0.0.1:\(server.port) · up ") == true, "\(result)")
        XCTAssertTrue(result.stdout.contains("head seq 5 · connections "), "\(result)")
        XCTAssertFalse(result.stdout.contains("\u{1B}"), "no control codes with --once")
        XCTAssertTrue(lines.allSatisfy { $0.count <= 80 }, "every line fits 80 columns:\n\(result.stdout)")
        let crm = try XCTUnwrap(lines.first { $0.hasPrefix("crm ") }, "\(result)")
        XCTAssertEqual(crm.split(separator: " ").map(String.init), ["crm", "3", "0", "0", "0", "0"], "lag 3 after 2 of 5 acked")
        let long = try XCTUnwrap(lines.first { $0.hasPrefix("a-subscription-") }, "\(result)")
        XCTAssertTrue(long.contains("… "), "a long name is cut: \(long)")
        XCTAssertEqual(long.split(separator: " ").dropFirst().map(String.init), ["5", "0", "0", "0", "0"])
        XCTAssertTrue(result.stdout.contains("email projector: not running, lag 0"), "\(result)")
        XCTAssertTrue(lines.contains { $0.hasPrefix("users-by-id ") && $0.hasSuffix(" 5           0") }, "\(result)")

        let down = try SpoolCLI.run(["top", "--once", "--server", "127.0.0.1:1"])
        XCTAssertEqual(down.status, 2, "\(down)")
        XCTAssertTrue(down.stderr.contains("cannot connect"), "\(down)")
        let badInterval = try SpoolCLI.run(["top", "--interval", "0"])
        XCTAssertEqual(badInterval.status, 64, "\(badInterval)")
    }

    func testLiveScreenRedrawsReportsALostServerAndQuitsOnQ() async throws {
        let (directory, server) = try await startServer()
        defer {
            server.stop()
            directory.remove()
        }
        let top = try PseudoTerminalRun(["top", "--server", "127.0.0.1:\(server.port)", "--interval", "0.2"])
        defer { top.kill() }
        var mark = try top.waitFor("head seq 5 ", after: 0)
        XCTAssertTrue(top.output.contains("\u{1B}[?1049h"), "the alternate screen is used")

        let connection = try await server.connect(timeout: .seconds(20))
        try await append(connection, user: "u6")
        await connection.close()
        mark = try top.waitFor("head seq 6 ", after: mark)
        // The name column is 23 wide, then two spaces and the lag right-aligned in 12.
        mark = try top.waitFor("crm" + String(repeating: " ", count: 20 + 2 + 11) + "4", after: mark)

        server.stop()
        mark = try top.waitFor("! cannot connect to a Spool server at 127.0.0.1:\(server.port)", after: mark)
        top.send("q")
        XCTAssertEqual(try top.waitForExit(), 0, top.output.suffix(2_000).description)
        XCTAssertTrue(top.output.contains("\u{1B}[?25h\u{1B}[?1049l"), "the terminal is restored on q")
    }

    func testCtrlCQuitsWithTheTerminalRestored() async throws {
        let (directory, server) = try await startServer()
        defer {
            server.stop()
            directory.remove()
        }
        let top = try PseudoTerminalRun(["top", "--server", "127.0.0.1:\(server.port)"])
        defer { top.kill() }
        _ = try top.waitFor("head seq 5 ", after: 0)
        top.send("\u{03}")
        XCTAssertEqual(try top.waitForExit(), 0, top.output.suffix(2_000).description)
        XCTAssertTrue(top.output.contains("\u{1B}[?25h\u{1B}[?1049l"), "the terminal is restored on Ctrl-C")
    }

    func testRefusesToDrawWhenStdoutIsNotATerminal() throws {
        let result = try SpoolCLI.run(["top", "--server", "127.0.0.1:1"], timeout: 10)
        XCTAssertEqual(result.status, 2, "\(result)")
        XCTAssertTrue(result.stderr.contains("--once"), "\(result)")
    }
}

/// `spool arguments…` on a pseudo-terminal made by util-linux `script`, fed and read through
/// pipes. Every wait is bounded, so a hung screen fails its test instead of hanging it.
final class PseudoTerminalRun: Sendable {
    private let process: Process
    private let input: Pipe
    private let collected = Mutex("")

    init(_ arguments: [String]) throws {
        let command = try (["exec", SpoolCLI.binary().path] + arguments).map { "'\($0)'" }.joined(separator: " ")
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        // -q: no banner; -e: script's status is the child's; -f: flush at once; the log file is dropped.
        process.arguments = ["-qefc", command, "/dev/null"]
        var environment = ProcessInfo.processInfo.environment
        environment["SPOOL_SERVER"] = nil
        environment["SPOOL_TOKEN"] = nil
        environment["SHELL"] = "/bin/sh"
        process.environment = environment
        input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let handle = output.fileHandleForReading
        Thread { [self] in
            while true {
                let data = handle.availableData
                if data.isEmpty { return }
                collected.withLock { $0 += String(decoding: data, as: UTF8.self) }
            }
        }.start()
    }

    /// Everything the screen received so far, control codes included.
    var output: String { collected.withLock { $0 } }

    /// Waits (at most `timeout` seconds) until `text` appears at or after character offset
    /// `after`; returns the offset just past it. Throws with the screen's tail otherwise.
    func waitFor(_ text: String, after: Int, timeout: TimeInterval = 20) throws -> Int {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let output = output
            let start = output.index(output.startIndex, offsetBy: min(after, output.count))
            if let range = output.range(of: text, range: start..<output.endIndex) {
                return output.distance(from: output.startIndex, to: range.upperBound)
            }
            guard Date() < deadline, process.isRunning else {
                throw ServerProcessError("'\(text)' did not appear on the screen; it shows:\n\(output.suffix(3_000))")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// Types `text` on the terminal.
    func send(_ text: String) {
        input.fileHandleForWriting.write(Data(text.utf8))
    }

    /// Waits (at most `timeout` seconds) for the run to end; returns its exit status.
    func waitForExit(timeout: TimeInterval = 15) throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        guard !process.isRunning else { throw ServerProcessError("spool top did not exit; the screen shows:\n\(output.suffix(3_000))") }
        return process.terminationStatus
    }

    /// Ends the run if it is still going (closing the terminal hangs up on `spool top`).
    func kill() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
    }
}
