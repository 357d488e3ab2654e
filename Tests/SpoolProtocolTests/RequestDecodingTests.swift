import JSON
import SpoolCore
import SpoolProtocol
import XCTest

/// Lines that never reach an op: JSON, envelope and op-name errors, and `id` echoing.
final class RequestDecodingTests: XCTestCase {
    var fixture: DispatcherFixture!

    override func setUp() async throws { fixture = try DispatcherFixture() }
    override func tearDown() async throws { fixture.close() }

    func testPingAnswersPongAndEchoesScalarIDs() async throws {
        let ids = [#"7"#, #""abc""#, #"1.5"#, #"true"#, #"null"#, #"-3"#]
        for id in ids {
            let response = await fixture.raw(#"{"id":\#(id),"op":"ping"}"#)
            XCTAssertEqual(response, #"{"id":\#(id),"ok":true,"pong":true}"#)
        }
        let withoutID = await fixture.raw(#"{"op":"ping"}"#)
        XCTAssertEqual(withoutID, #"{"ok":true,"pong":true}"#)
    }

    func testNonScalarIDIsRefusedWithoutEcho() async throws {
        let response = try await fixture.call(#"{"id":[1],"op":"ping"}"#)
        XCTAssertEqual(errorCode(response), "bad_request")
        XCTAssertNil(response["id"])
        XCTAssertTrue(errorMessage(response).hasPrefix("id:"))
    }

    func testMalformedJSONIsBadJSON() async throws {
        for line in ["nope", "{", #"{"op":"ping"} x"#, #"{"op":"ping","op":"help"}"#, "{'op':1}"] {
            let response = try await fixture.call(line)
            XCTAssertEqual(errorCode(response), "bad_json", line)
            XCTAssertEqual(response["ok"], false)
            XCTAssertTrue(errorMessage(response).contains("byte"), errorMessage(response))
        }
    }

    func testInvalidUTF8NULDeepNestingAndHugeNumbersAreErrors() async throws {
        let bad: [[UInt8]] = [
            [0x7B, 0x22, 0x6F, 0x70, 0x22, 0x3A, 0x22, 0xFF, 0xFE, 0x22, 0x7D],  // {"op":"\xFF\xFE"}
            Array(#"{"op":"pi"#.utf8) + [0x00] + Array(#"ng"}"#.utf8),
            [0x00],
            Array((String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)).utf8),
            Array(#"{"op":"read_all","limit":1e999}"#.utf8),
        ]
        for line in bad {
            let response = try JSONParser.parse(await fixture.raw(line))
            XCTAssertEqual(errorCode(response), "bad_json", String(decoding: line.prefix(40), as: UTF8.self))
        }
        let big = try await fixture.call(#"{"op":"read_all","limit":123456789012345678901234567890}"#)
        XCTAssertEqual(errorCode(big), "bad_request")
        XCTAssertTrue(errorMessage(big).hasPrefix("limit: expected an integer"), errorMessage(big))
    }

    func testNonObjectRequestIsBadRequest() async throws {
        for line in ["[]", "1", #""ping""#, "null"] {
            let response = try await fixture.call(line)
            XCTAssertEqual(errorCode(response), "bad_request", line)
            XCTAssertTrue(errorMessage(response).hasPrefix("request: expected a JSON object"))
        }
    }

    func testMissingOrWrongOp() async throws {
        let missing = try await fixture.call(#"{"id":1}"#)
        XCTAssertEqual(errorCode(missing), "bad_request")
        XCTAssertEqual(missing["id"], 1)
        XCTAssertTrue(errorMessage(missing).hasPrefix("op: required"))

        let wrongType = try await fixture.call(#"{"id":2,"op":5}"#)
        XCTAssertEqual(errorCode(wrongType), "bad_request")
        XCTAssertEqual(errorMessage(wrongType), "op: expected a string, got integer")

        let unknown = try await fixture.call(#"{"id":3,"op":"fly"}"#)
        XCTAssertEqual(errorCode(unknown), "unknown_op")
        XCTAssertEqual(unknown["id"], 3)
        XCTAssertTrue(errorMessage(unknown).contains("'fly'"))
    }

    func testUnknownFieldIsNamed() async throws {
        let response = try await fixture.call(#"{"op":"read_all","limt":5}"#)
        XCTAssertEqual(errorCode(response), "bad_request")
        XCTAssertTrue(errorMessage(response).hasPrefix("limt: unknown field"), errorMessage(response))
        let nested = try await fixture.call(#"{"op":"read_all","filter":{"type":["UserCreated"]}}"#)
        XCTAssertTrue(errorMessage(nested).hasPrefix("filter.type: unknown field"), errorMessage(nested))
        let ping = try await fixture.call(#"{"op":"ping","x":1}"#)
        XCTAssertTrue(errorMessage(ping).contains("this takes no fields"), errorMessage(ping))
    }

    /// `finish` past an object's 64th member, where it compares names instead of marks.
    func testUnknownFieldsPastTheSixtyFourthAreNamedToo() throws {
        let object = JSONObject((0..<70).map { JSONMember("m\($0)", .int(Int64($0))) })
        var fields = FieldReader(object, path: "x")
        for index in 0..<69 { XCTAssertEqual(fields.value("m\(index)"), .int(Int64(index))) }
        XCTAssertThrowsError(try fields.finish()) { error in
            XCTAssertTrue((error as? SpoolError)?.message.hasPrefix("x.m69: unknown field") == true, "\(error)")
        }
        _ = fields.value("m69")
        XCTAssertNoThrow(try fields.finish())
        var partly = FieldReader(object, path: "x")
        for index in 1..<70 { _ = partly.value("m\(index)") }
        XCTAssertThrowsError(try partly.finish()) { error in
            XCTAssertTrue((error as? SpoolError)?.message.hasPrefix("x.m0: unknown field") == true, "\(error)")
        }
    }

    func testLineTooLongNamesTheLimit() async throws {
        let response = try JSONParser.parse(Array(fixture.dispatcher.lineTooLong().dropLast()))
        XCTAssertEqual(errorCode(response), "line_too_long")
        XCTAssertTrue(errorMessage(response).contains("1048576"))
    }

    func testHelpListsEveryOpOfTheTable() async throws {
        let response = try await fixture.call(#"{"op":"help"}"#)
        let ops = response["ops"]?.objectValue
        XCTAssertEqual(ops?.keys, Dispatcher.operations.map(\.name))
        for key in ops?.keys ?? [] { XCTAssertFalse(ops?[key]?.stringValue?.isEmpty ?? true, key) }
        for op in ["ping", "help", "append", "read", "read_all", "stats", "digest", "verify"] {
            XCTAssertNotNil(ops?[op], op)
        }
    }

    func testInternalErrorsDoNotLeakTheirText() async throws {
        struct Secret: Error {}
        struct FailingExecutor: BlockingExecutor {
            func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T { throw Secret() }
        }
        let failing = try DispatcherFixture(blocking: FailingExecutor())
        defer { failing.close() }
        let response = await failing.raw(#"{"id":9,"op":"digest"}"#)
        XCTAssertEqual(
            response, #"{"id":9,"ok":false,"error":{"code":"internal","message":"internal error; the server log has the details"}}"#)
        XCTAssertFalse(response.contains("Secret"))
    }
}
