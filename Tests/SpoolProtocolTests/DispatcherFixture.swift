import Foundation
import JSON
import SpoolCore
import SpoolProtocol
import SpoolTestSupport
import XCTest

/// A real engine in a temporary directory and a dispatcher over it.
final class DispatcherFixture: Sendable {
    let directory: TemporaryDirectory
    let engine: Engine
    let dispatcher: Dispatcher

    init(
        blocking: any BlockingExecutor = InlineExecutor(), limits: Dispatcher.Limits = Dispatcher.Limits(),
        tokens: TokenTable = TokenTable()
    ) throws {
        directory = try TemporaryDirectory("protocol")
        var options = Engine.Options()
        options.mapSize = 64 << 20
        engine = try Engine(directory: directory.path, options: options)
        dispatcher = Dispatcher(engine: engine, limits: limits, tokens: tokens, blocking: blocking)
    }

    func close() {
        engine.close()
        directory.remove()
    }

    /// Sends `line` and returns the response line as text (without `\n`).
    func raw(_ line: String) async -> String {
        await raw(Array(line.utf8))
    }

    func raw(_ bytes: [UInt8]) async -> String {
        let response = await dispatcher.handle(bytes, session: Session())
        XCTAssertEqual(response.last, 0x0A, "a response ends in a newline")
        XCTAssertEqual(response.filter { $0 == 0x0A }.count, 1, "a response is one line")
        return String(decoding: response.dropLast(), as: UTF8.self)
    }

    /// Sends `line` and returns the parsed response.
    func call(_ line: String) async throws -> JSONValue {
        try JSONParser.parse(await raw(line))
    }

    /// Sends `request` and returns the parsed response.
    func call(_ request: JSONValue) async throws -> JSONValue {
        try JSONParser.parse(await raw(request.jsonBytes))
    }

    /// Appends a UserCreated for `user`; returns the response.
    @discardableResult
    func appendUser(_ user: String, id: String? = nil, expected: JSONValue = "any") async throws -> JSONValue {
        var event: JSONObject = ["type": "UserCreated", "data": ["user_id": .string(user), "email": .string("\(user)@example.com")]]
        if let id { event["id"] = .string(id) }
        return try await call(["op": "append", "stream": .string("user-\(user)"), "expected_version": expected, "events": [.object(event)]])
    }
}

/// The error code of a response, or nil for a success.
func errorCode(_ response: JSONValue) -> String? { response["error"]?["code"]?.stringValue }

func errorMessage(_ response: JSONValue) -> String { response["error"]?["message"]?.stringValue ?? "" }
