import Foundation
import JSON
import XCTest

/// The server driven by `nc`, as a person would: type lines, close input, read the answers.
final class NetcatTests: XCTestCase {
    func testNetcatSession() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/nc") else { throw XCTSkip("nc is not installed") }
        let server = try TestServer(arguments: ["--max-line-bytes", "256"])
        defer { server.stopAndRemove() }
        let input =
            [
                #"{"op":"ping"}"#,
                "",
                #"{"id":1,"op":"append","stream":"user-42","expected_version":"no_stream","events":[{"type":"UserCreated","data":{"user_id":"42","email":"ada@example.com","first_name":"Ada"}}]}"#,
                #"{"id":2,"op":"read","stream":"user-42"}"#,
                "hello?",
                String(repeating: "L", count: 1000),
                #"{"op":"digest"}"#,
            ].joined(separator: "\r\n") + "\r\n" + #"{"op":"stats"}"#  // the last line has no newline
        let output = try runNetcat(port: server.port, input: input)
        let lines = output.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 7, output)
        guard lines.count == 7 else { return }
        XCTAssertEqual(lines[0], #"{"ok":true,"pong":true}"#)
        XCTAssertEqual(lines[1], #"{"id":1,"ok":true,"first_seq":1,"last_seq":1,"version":1,"duplicate":false}"#)
        let read = try JSONParser.parse(lines[2])
        XCTAssertEqual(read["events"]?[0]?["data"], ["user_id": "42", "email": "ada@example.com", "first_name": "Ada"])
        XCTAssertTrue(lines[3].contains(#""code":"bad_json""#), lines[3])
        XCTAssertTrue(lines[4].contains(#""code":"line_too_long""#), lines[4])
        XCTAssertTrue(lines[5].contains(#""seq":1"#), lines[5])
        XCTAssertTrue(lines[6].contains(#""head_seq":1"#), "the unterminated last line is answered too: \(lines[6])")
    }

    /// Runs `nc -N 127.0.0.1 PORT` with `input` on its standard input; returns what it printed.
    private func runNetcat(port: Int, input: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/nc")
        process.arguments = ["-N", "-w", "10", "127.0.0.1", String(port)]
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
