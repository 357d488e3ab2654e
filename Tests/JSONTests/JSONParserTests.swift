import XCTest

@testable import JSON

final class JSONParserTests: XCTestCase {
    // MARK: Valid documents

    func testScalars() throws {
        XCTAssertEqual(try JSONParser.parse("null"), .null)
        XCTAssertEqual(try JSONParser.parse("true"), .bool(true))
        XCTAssertEqual(try JSONParser.parse("false"), .bool(false))
        XCTAssertEqual(try JSONParser.parse("\"\""), .string(""))
        XCTAssertEqual(try JSONParser.parse("\"abc\""), .string("abc"))
        XCTAssertEqual(try JSONParser.parse(" \t\r\n 1 \n\t\r "), .int(1))
    }

    /// A range is parsed as if it were the whole input: what lies around it is never read,
    /// the end of the range is the end of input, and offsets count from its start.
    func testARangeParsesAsTheWholeInput() throws {
        let bytes = Array("xx{\"a\":[1,2]}yy".utf8)
        XCTAssertEqual(try JSONParser.parse(bytes, in: 2..<13), ["a": [1, 2]])
        XCTAssertEqual(try JSONParser.parse(bytes, in: 10..<11), .int(2))
        XCTAssertThrowsError(try JSONParser.parse(bytes, in: 2..<12)) { error in
            XCTAssertEqual(error as? JSONParseError, JSONParseError(offset: 10, reason: "unexpected end of input"))
        }
        XCTAssertThrowsError(try JSONParser.parse(bytes, in: 2..<14)) { error in
            XCTAssertEqual((error as? JSONParseError)?.offset, 11, "the trailing 'y' is inside the range")
        }
        XCTAssertThrowsError(try JSONParser.parse(Array("123".utf8), in: 1..<1)) { error in
            XCTAssertEqual((error as? JSONParseError)?.offset, 0)
        }
    }

    func testIntegers() throws {
        XCTAssertEqual(try JSONParser.parse("0"), .int(0))
        XCTAssertEqual(try JSONParser.parse("-0"), .int(0))
        XCTAssertEqual(try JSONParser.parse("123"), .int(123))
        XCTAssertEqual(try JSONParser.parse("-123"), .int(-123))
        XCTAssertEqual(try JSONParser.parse("9223372036854775807"), .int(.max))
        XCTAssertEqual(try JSONParser.parse("-9223372036854775808"), .int(.min))
        XCTAssertEqual(try JSONParser.parse("9223372036854775808"), .double(9_223_372_036_854_775_808))
        XCTAssertEqual(try JSONParser.parse("-9223372036854775809"), .double(-9223372036854775808.0))
        XCTAssertEqual(try JSONParser.parse("18446744073709551616"), .double(18_446_744_073_709_551_616))
    }

    func testDoubles() throws {
        XCTAssertEqual(try JSONParser.parse("1.5"), .double(1.5))
        XCTAssertEqual(try JSONParser.parse("-1.5e3"), .double(-1500))
        XCTAssertEqual(try JSONParser.parse("1E2"), .double(100))
        XCTAssertEqual(try JSONParser.parse("1e+2"), .double(100))
        XCTAssertEqual(try JSONParser.parse("1e-2"), .double(0.01))
        XCTAssertEqual(try JSONParser.parse("0.1"), .double(0.1))
        XCTAssertEqual(try JSONParser.parse("1.0"), .double(1))
        XCTAssertEqual(try JSONParser.parse("1e22"), .double(1e22))
        XCTAssertEqual(try JSONParser.parse("1e23"), .double(1e23))
        XCTAssertEqual(try JSONParser.parse("9007199254740993.0"), .double(9007199254740993.0))
        XCTAssertEqual(try JSONParser.parse("2.2250738585072014e-308"), .double(2.2250738585072014e-308))
        XCTAssertEqual(try JSONParser.parse("5e-324"), .double(.leastNonzeroMagnitude))
        XCTAssertEqual(try JSONParser.parse("1.7976931348623157e308"), .double(.greatestFiniteMagnitude))
        XCTAssertEqual(try JSONParser.parse("1e-400"), .double(0))
        XCTAssertEqual(try JSONParser.parse("123456789012345678901234567890"), .double(1.2345678901234568e29))
        XCTAssertEqual(try JSONParser.parse("0." + String(repeating: "0", count: 1000) + "1"), .double(0))
        let negativeZero = try JSONParser.parse("-0.0")
        XCTAssertEqual(negativeZero, .double(0))
        if case .double(let zero) = negativeZero { XCTAssertEqual(zero.sign, .minus) }
    }

    func testArraysAndObjects() throws {
        XCTAssertEqual(try JSONParser.parse("[]"), .array([]))
        XCTAssertEqual(try JSONParser.parse(" [ ] "), .array([]))
        XCTAssertEqual(try JSONParser.parse("{}"), .object(JSONObject()))
        XCTAssertEqual(try JSONParser.parse(" { } "), .object(JSONObject()))
        XCTAssertEqual(
            try JSONParser.parse(#"[1, "a", null, [true, {}], -2.5]"#),
            [1, "a", nil, [true, [:]], -2.5]
        )
        let value = try JSONParser.parse(#"{ "z" : 1 , "a" : { "c" : [ 1 , 2 ] } , "m" : "x" }"#)
        XCTAssertEqual(value, ["z": 1, "a": ["c": [1, 2]], "m": "x"])
        XCTAssertEqual(value.objectValue?.keys, ["z", "a", "m"])
        XCTAssertEqual(value["a"]?["c"], [1, 2])
    }

    func testManyKeysUseTheSetPathWithoutFalseDuplicates() throws {
        let members = (0..<40).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        let value = try JSONParser.parse("{\(members)}")
        XCTAssertEqual(value.objectValue?.count, 40)
        XCTAssertEqual(value["k39"], 39)
    }

    func testEntryPoints() throws {
        let bytes: [UInt8] = Array(#"xx[1,{"a":"b"}]yy"#.utf8)
        let expected: JSONValue = [1, ["a": "b"]]
        XCTAssertEqual(try JSONParser.parse(bytes[2..<15]), expected)
        XCTAssertEqual(try JSONParser.parse(#"[1,{"a":"b"}]"#.utf8), expected)
        XCTAssertEqual(try JSONParser.parse(#"[1,{"a":"b"}]"#), expected)
        XCTAssertThrowsError(try JSONParser.parse(bytes[2..<16])) { error in
            XCTAssertEqual(
                error as? JSONParseError, JSONParseError(offset: 13, reason: "trailing characters after value"))
        }
    }

    // MARK: Strings

    func testEscapes() throws {
        XCTAssertEqual(try JSONParser.parse(#""\"\\\/\b\f\n\r\t""#), .string("\"\\/\u{8}\u{C}\n\r\t"))
        XCTAssertEqual(try JSONParser.parse(#""\u0041\u00e9\u00E9\u4e2d\u0000""#), .string("Aéé中\u{0}"))
        XCTAssertEqual(try JSONParser.parse(#""a\ud83d\ude00b""#), .string("a😀b"))
        XCTAssertEqual(try JSONParser.parse(#""\uDBFF\uDFFF""#), .string("\u{10FFFF}"))
        XCTAssertEqual(try JSONParser.parse(#""prefix é \n suffix 中""#), .string("prefix é \n suffix 中"))
    }

    func testRawMultibyteUTF8() throws {
        let text = "Zoë Müller 中文 😀 \u{10FFFF}"
        XCTAssertEqual(try JSONParser.parse("\"\(text)\""), .string(text))
        // Short (held inline) and long, ASCII or not: the scanned range is the whole string.
        for sample in ["é", "abc", "e\u{301}", String(repeating: "ü", count: 40), String(repeating: "a", count: 40)] {
            guard case .string(let parsed) = try JSONParser.parse("\"\(sample)\"") else { return XCTFail(sample) }
            XCTAssertEqual(parsed, sample)
            XCTAssertEqual(parsed.count, sample.count, sample)
            XCTAssertEqual(parsed.utf8.count, sample.utf8.count, sample)
            XCTAssertEqual(parsed.unicodeScalars.count, sample.unicodeScalars.count, sample)
        }
        XCTAssertEqual(try JSONParser.parse("{\"\(text)\":\"\(text)\"}"), .object([text: .string(text)]))
    }

    /// Plain text is scanned eight bytes at a time: whatever ends or changes a string is found
    /// at every position within and across those words, in strings of every length around them.
    func testEveryPositionInAPlainStringIsChecked() throws {
        for length in 1..<26 {
            for position in 0..<length {
                var text = [UInt8](repeating: 0x61, count: length)
                XCTAssertEqual(try JSONParser.parse([0x22] + text + [0x22]), .string(String(repeating: "a", count: length)))
                text[position] = 0x01
                expectError(bytes: [0x22] + text + [0x22], "unescaped control character 0x01 in string", at: position + 1)
                text[position] = 0x1F
                expectError(bytes: [0x22] + text + [0x22], "unescaped control character 0x1F in string", at: position + 1)
                text[position] = 0xFF
                expectError(bytes: [0x22] + text + [0x22], "invalid UTF-8 in string", at: position + 1)
                text[position] = 0x22
                expectError(bytes: [0x22] + text + [0x22], "trailing characters after value", at: position + 2)
                var escaped = Array(text[..<position]) + Array(#"\t"#.utf8) + Array(text[(position + 1)...])
                escaped[position] = 0x5C
                let expected = String(repeating: "a", count: position) + "\t" + String(repeating: "a", count: length - position - 1)
                XCTAssertEqual(try JSONParser.parse([0x22] + escaped + [0x22]), .string(expected))
                let accented = String(repeating: "a", count: position) + "é" + String(repeating: "a", count: length - position - 1)
                XCTAssertEqual(try JSONParser.parse("\"\(accented)\""), .string(accented))
                XCTAssertEqual(try JSONParser.parse("\"\(accented)\"").stringValue?.utf8.count, length + 1)
            }
        }
    }

    // MARK: Errors

    func testStructuralErrors() {
        expectError("", "unexpected end of input", at: 0)
        expectError("   ", "unexpected end of input", at: 3)
        expectError("x", "unexpected character 'x'", at: 0)
        expectError("[1,]", "unexpected character ']'", at: 3)
        expectError("[1 2]", "unexpected character '2'", at: 3)
        expectError("[1,", "unexpected end of input", at: 3)
        expectError("[", "unexpected end of input", at: 1)
        expectError(#"{"a" 1}"#, "unexpected character '1'", at: 5)
        expectError(#"{"a":1,}"#, "unexpected character '}'", at: 7)
        expectError(#"{"a":1"#, "unexpected end of input", at: 6)
        expectError("{1:2}", "unexpected character '1'", at: 1)
        expectError("{'a':2}", "unexpected character '''", at: 1)
        expectError("tru", "unexpected end of input", at: 3)
        expectError("trux", "unexpected character 'x'", at: 3)
        expectError("True", "unexpected character 'T'", at: 0)
        expectError("nul", "unexpected end of input", at: 3)
        expectError("fals e", "unexpected character ' '", at: 4)
        expectError("1 2", "trailing characters after value", at: 2)
        expectError("{}x", "trailing characters after value", at: 2)
        expectError("[1]]", "trailing characters after value", at: 3)
        expectError(bytes: [0xEF, 0xBB, 0xBF, 0x31], "unexpected byte 0xEF", at: 0)
    }

    func testNulBytesOutsideStrings() {
        expectError(bytes: [0x00], "unexpected byte 0x00", at: 0)
        expectError(bytes: [0x31, 0x00], "trailing characters after value", at: 1)
        expectError(bytes: Array("[1,".utf8) + [0x00, 0x5D], "unexpected byte 0x00", at: 3)
        expectError(bytes: Array("{\"a\"".utf8) + [0x00], "unexpected byte 0x00", at: 4)
        expectError(bytes: [0x22, 0x61, 0x00, 0x22], "unescaped control character 0x00 in string", at: 2)
    }

    func testStringErrors() {
        expectError("\"abc", "unexpected end of input", at: 4)
        expectError("\"a\\n", "unexpected end of input", at: 4)
        expectError("\"a\u{1}b\"", "unescaped control character 0x01 in string", at: 2)
        expectError("\"a\nb\"", "unescaped control character 0x0A in string", at: 2)
        expectError("\"\\n\tb\"", "unescaped control character 0x09 in string", at: 3)
        expectError(#""\x""#, #"invalid escape '\x'"#, at: 1)
        expectError("\"\\\n\"", #"invalid escape: byte 0x0A after '\'"#, at: 1)
        expectError(#""\u12G4""#, #"invalid \u escape: expected a hex digit"#, at: 5)
        expectError(#""\u12"#, "unexpected end of input", at: 5)
        expectError("\"\\", "unexpected end of input", at: 2)
        expectError(#""\ud800""#, #"unpaired surrogate in \u escape"#, at: 1)
        expectError(#""\udc00""#, #"unpaired surrogate in \u escape"#, at: 1)
        expectError(#""\ud800\u0041""#, #"unpaired surrogate in \u escape"#, at: 1)
        expectError(#""\ud800\ud800""#, #"unpaired surrogate in \u escape"#, at: 1)
        expectError(#""\ud800x""#, #"unpaired surrogate in \u escape"#, at: 1)
        expectError(#""ab\ude00\ud83d""#, #"unpaired surrogate in \u escape"#, at: 3)
    }

    func testInvalidUTF8() {
        let reason = "invalid UTF-8 in string"
        expectError(bytes: [0x22, 0x61, 0xFF, 0x22], reason, at: 2)
        expectError(bytes: [0x22, 0xC0, 0x80, 0x22], reason, at: 1)  // overlong NUL
        expectError(bytes: [0x22, 0xE0, 0x80, 0x80, 0x22], reason, at: 2)  // overlong
        expectError(bytes: [0x22, 0xED, 0xA0, 0x80, 0x22], reason, at: 2)  // encoded surrogate
        expectError(bytes: [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], reason, at: 2)  // past U+10FFFF
        expectError(bytes: [0x22, 0xE2, 0x82, 0x22], reason, at: 3)  // truncated
        expectError(bytes: [0x22, 0x80, 0x22], reason, at: 1)  // lone continuation
        expectError(bytes: Array(#""\n"#.utf8) + [0xFE, 0x22], reason, at: 3)  // escaped path
        expectError(bytes: [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D], reason, at: 2)  // key
    }

    func testNumberErrors() {
        expectError("01", "leading zero in number", at: 1)
        expectError("-01", "leading zero in number", at: 2)
        expectError("-", "unexpected end of input", at: 1)
        expectError("-a", "unexpected character 'a'", at: 1)
        expectError("1.", "unexpected end of input", at: 2)
        expectError("1.a", "expected a digit after '.'", at: 2)
        expectError("1e", "unexpected end of input", at: 2)
        expectError("1e+", "unexpected end of input", at: 3)
        expectError("1ex", "expected a digit after exponent", at: 2)
        expectError(".5", "unexpected character '.'", at: 0)
        expectError("+1", "unexpected character '+'", at: 0)
        expectError("1e400", "number out of range", at: 0)
        expectError("1e999", "number out of range", at: 0)
        expectError("-1e400", "number out of range", at: 0)
        expectError("[1, 1e999]", "number out of range", at: 4)
        expectError(String(repeating: "9", count: 400), "number out of range", at: 0)
        expectError("1e99999999999999999999", "number out of range", at: 0)
    }

    /// Every object's canonical text, in document order (nil where it has none).
    private func canonicalTexts(_ json: String) throws -> [String?] {
        let bytes = Array(json.utf8)
        var texts: [String?] = []
        func walk(_ value: JSONValue) {
            switch value {
            case .object(let object):
                texts.append(object.canonicalText(in: bytes).map { String(decoding: $0, as: UTF8.self) })
                for member in object.members { walk(member.value) }
            case .array(let elements): for element in elements { walk(element) }
            default: break
            }
        }
        walk(try JSONParser.parse(bytes))
        return texts
    }

    func testAnObjectsCanonicalTextIsItsInputWhereTheWriterWouldWriteTheSame() throws {
        let compact = #"{"a":1,"b":{"c":[true,null,"x",-7]},"d":{},"é":"ü"}"#
        XCTAssertEqual(try canonicalTexts(compact), [compact, #"{"c":[true,null,"x",-7]}"#, "{}"])
        XCTAssertEqual(try canonicalTexts(" " + compact + "\n"), [compact, #"{"c":[true,null,"x",-7]}"#, "{}"], "outside it")
        // Whitespace, an escape, a double or -0 inside an object: that object and the ones
        // around it have none, its siblings and the objects inside it keep theirs.
        XCTAssertEqual(try canonicalTexts(#"{"a":{"b":1}, "c":{"d":2}}"#), [nil, #"{"b":1}"#, #"{"d":2}"#])
        XCTAssertEqual(try canonicalTexts(#"{"a":{"b":"\u0041"},"c":{"d":2}}"#), [nil, nil, #"{"d":2}"#])
        XCTAssertEqual(try canonicalTexts(#"{"a":{"b":1.5},"c":{"d":-0},"e":{"f":1e2}}"#), [nil, nil, nil, nil])
        XCTAssertEqual(try canonicalTexts(#"{"a":[{"b":1}, 2]}"#), [nil, #"{"b":1}"#])
        // Changed, an object has none; equality ignores it.
        var object = try XCTUnwrap(JSONParser.parse(compact).objectValue)
        XCTAssertEqual(object, JSONObject(object.members))
        object["a"] = 2
        XCTAssertNil(object.canonicalText(in: Array(compact.utf8)))
        XCTAssertNil(JSONObject(object.members).canonicalText(in: Array(compact.utf8)))
    }

    func testDuplicateKeys() {
        expectError(#"{"a":1,"a":2}"#, #"duplicate key "a""#, at: 7)
        expectError(#"{"a":{"b":1,"b":1}}"#, #"duplicate key "b""#, at: 12)
        expectError(#"{"a\n":1,"a\u000a":2}"#, #"duplicate key "a\n""#, at: 9)
        let members = (0..<20).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        expectError("{\(members),\"k3\":0}", #"duplicate key "k3""#, at: members.utf8.count + 2)
        // Keys Swift compares equal (canonically equivalent) are duplicates: lookup stays unambiguous.
        expectError(#"{"\u00e9":1,"e\u0301":2}"#, #"duplicate key "é""#, at: 12)
        // An ASCII key and a longer non-ASCII one can be equal too (U+212A KELVIN SIGN is "K").
        expectError(#"{"K":1,"\u212a":2}"#, "duplicate key \"\u{212A}\"", at: 7)
        XCTAssertEqual(JSONObject([JSONMember("\u{212A}", 1)])["K"], 1)
        XCTAssertNil(JSONObject([JSONMember("KK", 1), JSONMember("k", 2)])["K"])
        let long = String(repeating: "x", count: 100)
        expectError("{\"\(long)\":1,\"\(long)\":2}", "duplicate key \"\(String(repeating: "x", count: 64))…\"", at: 106)
    }

    func testNestingLimit() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        XCTAssertNoThrow(try JSONParser.parse(ok))
        expectError(
            String(repeating: "[", count: 65) + String(repeating: "]", count: 65), "nesting deeper than 64", at: 64)
        expectError(String(repeating: "[", count: 10_000), "nesting deeper than 64", at: 64)
        expectError(String(repeating: #"{"a":"#, count: 10_000), "nesting deeper than 64", at: 64 * 5)
        expectError(String(repeating: #"[{"a":"#, count: 5_000), "nesting deeper than 64", at: 32 * 6)
        let limit = String(repeating: "[", count: 1_000) + String(repeating: "]", count: 1_000)
        XCTAssertNoThrow(try JSONParser.parse(limit, maxDepth: 1_000))
        XCTAssertEqual(try JSONParser.parse("1", maxDepth: 0), 1)
        XCTAssertThrowsError(try JSONParser.parse("[]", maxDepth: 0))
        XCTAssertEqual(try JSONParser.parse("[[1]]", maxDepth: 2), [[1]])
        XCTAssertThrowsError(try JSONParser.parse("[[1]]", maxDepth: 1)) { error in
            XCTAssertEqual(error as? JSONParseError, JSONParseError(offset: 1, reason: "nesting deeper than 1"))
        }
    }

    func testErrorDescription() {
        let error = JSONParseError(offset: 3, reason: "unexpected character ']'")
        XCTAssertEqual(error.description, "invalid JSON at byte 3: unexpected character ']'")
    }

    // MARK: Helpers

    private func expectError(_ text: String, _ reason: String, at offset: Int, line: UInt = #line) {
        expectError(bytes: Array(text.utf8), reason, at: offset, line: line)
    }

    private func expectError(bytes: [UInt8], _ reason: String, at offset: Int, line: UInt = #line) {
        do {
            let value = try JSONParser.parse(bytes)
            XCTFail("parsed \(value), expected \(reason)", line: line)
        } catch {
            XCTAssertEqual(error, JSONParseError(offset: offset, reason: reason), line: line)
        }
    }
}
