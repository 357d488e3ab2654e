import Foundation
import JSON
import SpoolClient
import SpoolTestSupport
import Synchronization
import XCTest

/// The repository's root, found from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// A `spoold` on a free port with its own temporary data directory.
final class TestServer: Sendable {
    let directory: TemporaryDirectory
    let process: ServerProcess
    var dataDirectory: String { directory.appending("data") }

    /// `emails: false` (the default) runs without the email projector, so the log holds exactly
    /// what the test appended.
    init(arguments: [String] = [], emails: Bool = false, directory: TemporaryDirectory? = nil) throws {
        self.directory = try directory ?? TemporaryDirectory("e2e")
        process = try ServerProcess(
            dataDirectory: self.directory.appending("data"), arguments: arguments + (emails ? [] : ["--no-emails"]))
    }

    var port: Int { process.port }

    func connect() async throws -> SpoolConnection { try await process.connect() }

    /// A fresh server on the same data directory (after this one stopped).
    func restarted(arguments: [String] = [], emails: Bool = false) throws -> TestServer {
        try TestServer(arguments: arguments, emails: emails, directory: directory)
    }

    /// SIGTERM, and the exit status must be 0.
    func stop(file: StaticString = #filePath, line: UInt = #line) {
        let status = process.stop()
        XCTAssertEqual(status, 0, "spoold exit status; output:\n\(process.outputText)", file: file, line: line)
    }

    func stopAndRemove() {
        process.stop()
        directory.remove()
    }
}

/// Records every request and response a test exchanges, then checks them all against
/// `schemas/protocol/` with `tools/validate_protocol.py`.
final class ProtocolRecorder: Sendable {
    private let pairs = Mutex<[String]>([])

    /// Records one exchange; `request` is nil for a line that is not JSON.
    func record(request: JSONValue?, response: [UInt8]) {
        let requestText = request?.jsonString ?? "null"
        let line = #"{"request":\#(requestText),"response":\#(String(decoding: response, as: UTF8.self))}"#
        pairs.withLock { $0.append(line) }
    }

    var count: Int { pairs.withLock { $0.count } }

    /// Runs the validator over everything recorded; fails the test on any mismatch.
    func validate(file: StaticString = #filePath, line: UInt = #line) throws {
        let directory = try TemporaryDirectory("pairs")
        defer { directory.remove() }
        let path = directory.appending("pairs.ndjson")
        try (pairs.withLock { $0 }.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", repositoryRoot.appendingPathComponent("tools/validate_protocol.py").path, path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "schema validation failed:\n\(output)", file: file, line: line)
        XCTAssertTrue(output.contains("protocol: \(count) passed, 0 failed"), output, file: file, line: line)
    }
}

/// A connection whose exchanges are recorded.
struct RecordingConnection: Sendable {
    let connection: SpoolConnection
    let recorder: ProtocolRecorder

    func request(_ request: JSONValue) async throws -> JSONValue {
        let response = try await connection.requestLine(request.jsonBytes)
        recorder.record(request: request, response: response)
        return try JSONParser.parse(response, maxDepth: 1_000)
    }

    func request(_ op: String, _ fields: JSONObject = [:]) async throws -> JSONValue {
        var object = fields
        object["op"] = .string(op)
        return try await request(.object(object))
    }

    /// Sends a raw line; recorded with its parsed request when it is JSON.
    func requestLine(_ line: [UInt8]) async throws -> JSONValue {
        let response = try await connection.requestLine(line)
        recorder.record(request: try? JSONParser.parse(line), response: response)
        return try JSONParser.parse(response, maxDepth: 1_000)
    }

    func pipeline(_ requests: [JSONValue]) async throws -> [JSONValue] {
        let responses = try await connection.pipelineLines(requests.map(\.jsonBytes))
        for (request, response) in zip(requests, responses) { recorder.record(request: request, response: response) }
        return try responses.map { try JSONParser.parse($0, maxDepth: 1_000) }
    }
}

/// The append request of one UserCreated for `user`, with an optional event id.
func userCreated(_ user: String, id: UUID? = nil, expected: JSONValue = "any", requestID: JSONValue? = nil) -> JSONValue {
    var event: JSONObject = ["type": "UserCreated", "data": ["user_id": .string(user), "email": .string("\(user)@example.com")]]
    if let id { event["id"] = .string(id.uuidString.lowercased()) }
    var request: JSONObject = ["op": "append", "stream": .string("user-\(user)"), "expected_version": expected, "events": [.object(event)]]
    if let requestID { request["id"] = requestID }
    return .object(request)
}

/// The error code of a response, or nil for a success.
func errorCode(_ response: JSONValue) -> String? { response["error"]?["code"]?.stringValue }

/// Every event in the log, by paging `read_all`.
func readWholeLog(_ connection: SpoolConnection) async throws -> [JSONValue] {
    var events: [JSONValue] = []
    var from: JSONValue = 1
    while from != .null {
        let page = try await connection.request("read_all", ["from_seq": from, "limit": 10_000])
        guard page["ok"] == true else { throw SpoolClientError(message: "read_all failed: \(page.jsonString)") }
        events += page["events"]?.arrayValue ?? []
        from = page["next_seq"] ?? .null
    }
    return events
}

extension JSONValue {
    /// The element at `index` of an array; nil for a non-array or out of range.
    subscript(index: Int) -> JSONValue? {
        guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
        return elements[index]
    }
}
