import Foundation
import JSON
import SpoolCore
import SpoolTestSupport
import XCTest

/// Runs `schemas/events/examples.json` — the file `tools/check_schemas.py` runs through the JSON
/// Schemas — through `EventValidator`, so the Swift rules and the schemas agree on every example.
final class EventValidatorTests: XCTestCase {
    private struct Example {
        let type: String
        let data: JSONValue
        let field: String?
    }

    private func loadExamples(_ kind: String) throws -> [Example] {
        let root = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let bytes = try Data(contentsOf: root.appendingPathComponent("schemas/events/examples.json"))
        let examples = try XCTUnwrap(JSONParser.parse(Array(bytes))[kind]?.arrayValue, "no '\(kind)' array")
        return try examples.map { example in
            Example(
                type: try XCTUnwrap(example["type"]?.stringValue),
                data: try XCTUnwrap(example["data"]),
                field: example["field"]?.stringValue
            )
        }
    }

    /// The stream an example belongs on: `<category>-<user_id>`, or `user-?` when it has none.
    private func stream(for example: Example) -> String {
        let category = EventType(rawValue: example.type)?.streamCategory ?? "user"
        let userID = example.data["user_id"]?.stringValue ?? "?"
        return "\(category)-\(userID)"
    }

    private func assertInvalid(
        type: String,
        data: JSONValue,
        stream: String,
        index: Int = 0,
        messageContains expected: [String],
        file: StaticString = #filePath,
        line: UInt = #line
    ) {
        do {
            let accepted = try EventValidator.validate(type: type, data: data, stream: stream, index: index)
            XCTFail("\(type) \(data) was accepted as \(accepted)", file: file, line: line)
        } catch {
            XCTAssertEqual(error.code, .invalidEvent, file: file, line: line)
            for part in expected {
                XCTAssertTrue(
                    error.message.contains(part), "'\(error.message)' lacks '\(part)'", file: file, line: line)
            }
        }
    }

    func testValidExamplesPass() throws {
        let examples = try loadExamples("valid")
        XCTAssertGreaterThanOrEqual(examples.count, 2 * EventType.allCases.count)
        for (index, example) in examples.enumerated() {
            do {
                let type = try EventValidator.validate(
                    type: example.type, data: example.data, stream: stream(for: example), index: index)
                XCTAssertEqual(type.rawValue, example.type)
            } catch {
                XCTFail("valid[\(index)] \(example.type) refused: \(error)")
            }
        }
    }

    func testInvalidExamplesFailNamingTheField() throws {
        let examples = try loadExamples("invalid")
        XCTAssertGreaterThanOrEqual(examples.count, 2 * EventType.allCases.count)
        for (index, example) in examples.enumerated() {
            let field = try XCTUnwrap(example.field, "invalid[\(index)] has no field")
            // Quoted, so 'email' is not found inside 'email_id'; the data itself is named bare.
            let named = field == "data" ? "data must be" : "'\(field)'"
            assertInvalid(
                type: example.type, data: example.data, stream: stream(for: example), index: index,
                messageContains: ["event \(index) (\(example.type))", named])
        }
    }

    /// Fields are looked for where the table expects them first: any other order of the data's
    /// keys must give the same verdict, and the same message.
    func testTheOrderOfTheDataKeysDoesNotMatter() throws {
        for kind in ["valid", "invalid"] {
            for (index, example) in try loadExamples(kind).enumerated() {
                guard let object = example.data.objectValue, object.count > 1 else { continue }
                let reversed = JSONValue.object(JSONObject(object.members.reversed()))
                let stream = stream(for: example)
                let asWritten = Result { try EventValidator.validate(type: example.type, data: example.data, stream: stream, index: 0) }
                let asReversed = Result { try EventValidator.validate(type: example.type, data: reversed, stream: stream, index: 0) }
                switch (asWritten, asReversed) {
                case (.success(let a), .success(let b)): XCTAssertEqual(a, b, "\(kind)[\(index)]")
                case (.failure(let a), .failure(let b)):
                    XCTAssertEqual((a as? SpoolError)?.message, (b as? SpoolError)?.message, "\(kind)[\(index)]")
                default: XCTFail("\(kind)[\(index)]: \(asWritten) as written, \(asReversed) reversed")
                }
            }
        }
    }

    /// Two of each per type; an invalid example that must fail also proves the type has a field table.
    func testEveryTypeHasExamples() throws {
        let valid = Set(try loadExamples("valid").map(\.type))
        let invalid = Set(try loadExamples("invalid").map(\.type))
        for type in EventType.allCases {
            XCTAssertTrue(valid.contains(type.rawValue), "no valid example for \(type.rawValue)")
            XCTAssertTrue(invalid.contains(type.rawValue), "no invalid example for \(type.rawValue)")
            XCTAssertTrue(type.isUserEvent != type.isEmailEvent)
            XCTAssertEqual(type.isUserEvent, type.rawValue.hasPrefix("User"))
        }
    }

    func testMessageFormat() {
        assertInvalid(
            type: "UserCreated", data: ["user_id": "42"], stream: "user-42",
            messageContains: ["event 0 (UserCreated): field 'email' is required"])
        assertInvalid(
            type: "UserProfileUpdated", data: ["user_id": "42", "first_name": 7], stream: "user-42", index: 3,
            messageContains: ["event 3 (UserProfileUpdated): field 'first_name' must be a string or null, got integer"])
    }

    func testUserIDMustMatchStream() {
        assertInvalid(
            type: "UserCreated", data: ["user_id": "42", "email": "ada@example.com"], stream: "user-43",
            messageContains: ["event 0 (UserCreated): data.user_id '42' does not match stream 'user-43'"])
        assertInvalid(
            type: "UserJoinedSegment", data: ["user_id": "42", "segment": "vip"], stream: "email-42", index: 2,
            messageContains: ["event 2 (UserJoinedSegment)", "user_id", "'email-42'"])
        assertInvalid(
            type: "EmailOpened", data: ["email_id": "e-1", "user_id": "42"], stream: "user-42",
            messageContains: ["user_id", "'user-42'"])
        assertInvalid(
            type: "EmailSent", data: ["email_id": "e-1", "user_id": "42"], stream: "email-4",
            messageContains: ["user_id"])
        assertInvalid(
            type: "UserDeleted", data: ["user_id": "42"], stream: "42",
            messageContains: ["user_id"])
    }

    func testStreamFollowsCategory() throws {
        XCTAssertEqual(
            try EventValidator.validate(
                type: "EmailClicked", data: ["email_id": "e", "user_id": "u@x"], stream: "email-u@x", index: 0),
            .emailClicked)
        XCTAssertTrue(EventType.userCreated.isStream("user-42", of: "42"))
        XCTAssertTrue(EventType.emailGenerated.isStream("email-42", of: "42"))
        XCTAssertTrue(EventType.userDeleted.isStream("user-é-ü", of: "é-ü"))
        for (type, stream) in [
            (EventType.userCreated, "email-42"), (.emailGenerated, "user-42"), (.userCreated, "user-421"),
            (.userCreated, "user-4"), (.userCreated, "user_42"), (.userCreated, "uber-42"), (.userCreated, "42"),
        ] {
            XCTAssertFalse(type.isStream(stream, of: "42"), "\(type) \(stream)")
        }
    }

    func testUnknownTypeIsRefused() {
        assertInvalid(
            type: "UserRenamed", data: ["user_id": "42"], stream: "user-42", index: 5,
            messageContains: ["event 5", "unknown event type 'UserRenamed'"])
        assertInvalid(type: "usercreated", data: [:], stream: "user-42", messageContains: ["unknown event type"])
    }

    /// The email and user id rules at their edges, for ASCII text (checked byte by byte) and
    /// for other text (checked scalar by scalar).
    func testEmailAndUserIDEdges() throws {
        let emails: [(String, Bool)] = [
            ("a@b", true), ("zoë@例え.jp", true), ("a@b.c-d_e+f", true), (String(repeating: "a", count: 318) + "@b", true),
            (String(repeating: "a", count: 319) + "@b", false), (String(repeating: "é", count: 318) + "@b", true),
            ("@b", false), ("a@", false), ("ab", false), ("a@@b", false), ("a@b@c", false), ("", false),
            ("a b@c", false), ("a@b\tc", false), ("a@b\n", false), ("a@b\u{0B}", false), ("a@b\u{A0}c", false), ("é@b\u{2028}", false),
        ]
        for (email, valid) in emails {
            let outcome = Result {
                try EventValidator.validate(
                    type: "UserCreated", data: ["user_id": "1", "email": .string(email)], stream: "user-1", index: 0)
            }
            XCTAssertEqual((try? outcome.get()) != nil, valid, "\(email.debugDescription)")
        }
        let userIDs: [(String, Bool)] = [
            ("a", true), ("A-z_0.9:x@y", true), (String(repeating: "x", count: 128), true), (String(repeating: "x", count: 129), false),
            ("a b", false), ("é", false), ("a/b", false), ("a\u{0}", false),
        ]
        for (userID, valid) in userIDs {
            let outcome = Result {
                try EventValidator.validate(type: "UserDeleted", data: ["user_id": .string(userID)], stream: "user-" + userID, index: 0)
            }
            XCTAssertEqual((try? outcome.get()) != nil, valid, "\(userID.debugDescription)")
        }
    }

    func testLengthsCountCharactersNotBytes() throws {
        let name = JSONValue.string(String(repeating: "é", count: 256))  // 512 UTF-8 bytes
        XCTAssertEqual(
            try EventValidator.validate(
                type: "UserCreated", data: ["user_id": "1", "email": "a@b", "first_name": name], stream: "user-1",
                index: 0),
            .userCreated)
        assertInvalid(
            type: "UserCreated",
            data: ["user_id": "1", "email": "a@b", "first_name": .string(String(repeating: "é", count: 257))],
            stream: "user-1", messageContains: ["'first_name'", "at most 256"])
        assertInvalid(
            type: "UserCreated", data: ["user_id": "1", "email": "a\u{2003}b@c"], stream: "user-1",
            messageContains: ["'email'"])
    }

    /// `check`, the validation of data read as text, against `validate`: on every example, on
    /// edges of the string rules, and on random edits of the valid examples' text, it accepts
    /// exactly what `validate` accepts, with the same user id, but for what it leaves to the tree
    /// (text that is not canonical, a segment list of more than 16 names).
    func testTheTextCheckAgreesWithValidate() throws {
        var datas = try loadExamples("valid").map { ($0.type, $0.data.jsonBytes) }
        let validCount = datas.count
        datas += try loadExamples("invalid").map { ($0.type, $0.data.jsonBytes) }
        let segments = (0..<17).map { JSONValue.string("s\($0)") }
        let edges: [JSONValue] = [
            .string(String(repeating: "é", count: 256)), .string(String(repeating: "é", count: 257)), "zoë@例え.jp", "a@b\u{A0}c", "a@b@c",
            .array(Array(segments.prefix(16))), .array(segments), ["a", "a"], ["a", "b c"], [], .object(["k": 1]), "", "x", 1, true, .null,
        ]
        for field in ["email", "first_name", "segments", "attributes"] {
            for edge in edges {
                datas.append(("UserCreated", JSONValue.object(["user_id": "1", "email": "a@b", field: edge]).jsonBytes))
                datas.append(("UserProfileUpdated", JSONValue.object(["user_id": "1", field: edge]).jsonBytes))
            }
        }
        var random = SystemRandomNumberGenerator()
        let alphabet = Array(#"{}[]:,"\ 0123456789-.@tfnulsx"#.utf8) + [0xC3, 0xA9]
        for _ in 0..<20_000 {
            let (type, bytes) = datas[Int.random(in: 0..<validCount, using: &random)]
            datas.append((type, randomlyEdited(bytes, edits: 1...2, alphabet: alphabet, using: &random)))
        }
        var (checked, leftToTheTree) = (0, 0)
        for (type, bytes) in datas {
            guard let eventType = EventType(rawValue: type), let data = try? JSONParser.parse(bytes) else { continue }
            var reader = JSONReader(bytes)
            let start = reader.startCanonicalText()
            let canonical = (try? reader.skip()) != nil && reader.canonicalText(from: start) != nil
            let userID = data["user_id"]?.stringValue ?? "?"
            let stream = "\(eventType.streamCategory)-\(userID)"
            let validated = try? EventValidator.validate(type: type, data: data, stream: stream, index: 0)
            let name = String(decoding: bytes, as: UTF8.self)
            reader = JSONReader(bytes)
            if let result = (try? EventValidator.check(&reader, in: bytes, as: eventType)) ?? nil {
                XCTAssertEqual(result.userID, userID, name)
                XCTAssertEqual(Array(bytes[result.text]), data.jsonBytes, name)
                XCTAssertEqual(validated, eventType, name)
                checked += 1
            } else if validated != nil && canonical {
                XCTAssertGreaterThan(data["segments"]?.arrayValue?.count ?? 0, 16, "left to the tree: \(name)")
                leftToTheTree += 1
            }
        }
        XCTAssertGreaterThan(checked, 1_000, "few data passed the text check: the comparison says little")
        XCTAssertEqual(leftToTheTree, 1, "the UserCreated with 17 segments")
    }
}
