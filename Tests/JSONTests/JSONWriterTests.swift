import XCTest

@testable import JSON

final class JSONWriterTests: XCTestCase {
    func testStringEscaping() {
        var writer = JSONWriter()
        writer.writeString("a\"b\\c/\n\r\t\u{8}\u{C}\u{0}\u{1}\u{1F}\u{7F} é 中 😀")
        XCTAssertEqual(writer.string, #""a\"b\\c/\n\r\t\b\f\u0000\u0001\u001f"# + "\u{7F} é 中 😀\"")
        XCTAssertEqual(JSONValue.string("").jsonString, #""""#)
        XCTAssertEqual(
            JSONValue.string("plain ascii that is longer than fifteen bytes").jsonString,
            #""plain ascii that is longer than fifteen bytes""#)
    }

    /// Strings are checked for bytes to escape many bytes at a time: a special byte at any
    /// place of a long string, first, last or between, is still escaped.
    func testEscapingAtEveryPlaceOfALongString() {
        let specials: [(byte: Character, escaped: String)] = [("\"", #"\""#), ("\\", #"\\"#), ("\n", #"\n"#), ("\u{1}", #"\u0001"#)]
        for (byte, escaped) in specials {
            for place in 0..<70 {
                let before = String(repeating: "a", count: place)
                let after = String(repeating: "b", count: 69 - place)
                XCTAssertEqual(
                    JSONValue.string(before + String(byte) + after).jsonString, "\"" + before + escaped + after + "\"", "at \(place)")
            }
        }
    }

    /// A member name goes out with the `{` or `,` before it and the `:` after it in one step;
    /// a name that needs escaping keeps both in place, first or later, short or long.
    func testMemberNamesThatNeedEscaping() throws {
        let long = String(repeating: "k", count: 40)
        let object = JSONValue.object(
            JSONObject([
                JSONMember("a\"", 1), JSONMember("", "v\n"),
                JSONMember(long + "\\", [.object(JSONObject([JSONMember("\u{1}", nil)]))]),
            ]))
        XCTAssertEqual(object.jsonString, #"{"a\"":1,"":"v\n","# + "\"" + long + #"\\":[{"\u0001":null}]}"#)
        XCTAssertEqual(try JSONParser.parse(object.jsonBytes), object)
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("x\ty")
        writer.writeString(utf8: Array("q\"r".utf8)[...])
        writer.key("z")
        writer.writeInt(2)
        writer.endObject()
        XCTAssertEqual(writer.string, #"{"x\ty":"q\"r","z":2}"#)
    }

    func testIntegers() {
        var writer = JSONWriter()
        writer.beginArray()
        for value: Int64 in [0, 9, 10, -1, -10, 1_234_567_890, .max, .min] { writer.writeInt(value) }
        for value: UInt64 in [0, 7, 100, .max] { writer.writeUInt(value) }
        writer.endArray()
        XCTAssertEqual(
            writer.string,
            "[0,9,10,-1,-10,1234567890,9223372036854775807,-9223372036854775808,0,7,100,18446744073709551615]"
        )
    }

    /// Every digit count, each side of every power of ten: the digits come out in pairs, with
    /// one left over for an odd count.
    func testEveryDigitCountMatchesDescription() {
        var values: [UInt64] = [0, .max, .max - 1]
        var power: UInt64 = 1
        for _ in 0..<20 {
            values += [power, power + 1, power - 1, power / 2 * 3]
            if power > UInt64.max / 10 { break }
            power *= 10
        }
        for value in values {
            var writer = JSONWriter()
            writer.writeUInt(value)
            XCTAssertEqual(writer.string, String(value))
            if let signed = Int64(exactly: value) {
                var negative = JSONWriter()
                negative.writeInt(-signed)
                XCTAssertEqual(negative.string, String(-signed))
            }
        }
    }

    /// A name encoded once comes out as `key(_:)` writes it, with the comma between members;
    /// names held inline (up to 15 bytes) and longer ones, ASCII or not, are copied whole.
    func testEncodedKeysAndTheirUTF8() {
        for name in ["a", "first_seq", "fifteen_bytes__", "a_name_of_twenty_two_b", "naïve", "ключ_подлиннее_пятнадцати"] {
            var encoded = JSONWriter()
            encoded.beginObject()
            encoded.key(JSONWriter.Key(name))
            encoded.writeInt(1)
            encoded.key(JSONWriter.Key(name + "2"))
            encoded.writeInt(2)
            encoded.endObject()
            var plain = JSONWriter()
            plain.beginObject()
            plain.key(name)
            plain.writeInt(1)
            plain.key(name + "2")
            plain.writeInt(2)
            plain.endObject()
            XCTAssertEqual(encoded.string, plain.string)
            var bytes: [UInt8] = [0x2A]
            bytes.append(utf8: name)
            XCTAssertEqual(bytes, [0x2A] + Array(name.utf8))
        }
    }

    func testDoubles() {
        let cases: [(Double, String)] = [
            (1.0, "1.0"), (0.1, "0.1"), (-2.5, "-2.5"), (-0.0, "-0.0"), (1e300, "1e+300"), (1e-7, "1e-07"),
            (.leastNonzeroMagnitude, "5e-324"), (.nan, "null"), (.infinity, "null"), (-.infinity, "null"),
        ]
        for (value, expected) in cases {
            var writer = JSONWriter()
            writer.writeDouble(value)
            XCTAssertEqual(writer.string, expected)
            if value.isFinite {
                XCTAssertEqual(try JSONParser.parse(writer.bytes), .double(value), "\(value) does not round-trip")
            }
        }
    }

    func testBuilderCommas() {
        var writer = JSONWriter(reserveCapacity: 256)
        writer.beginObject()
        writer.key("a")
        writer.writeInt(1)
        writer.key("b")
        writer.beginArray()
        writer.writeBool(true)
        writer.writeNull()
        writer.writeString("x")
        writer.beginObject()
        writer.endObject()
        writer.writeRaw(Array(#"{"raw":[1,2]}"#.utf8)[...])
        writer.beginArray()
        writer.endArray()
        writer.write(["v": [1.5, false]])
        writer.writeObject(["w": "y", "n": nil])
        writer.endArray()
        writer.key("c")
        writer.beginObject()
        writer.key("d")
        writer.writeUInt(2)
        writer.endObject()
        writer.key("e\"")
        writer.writeBool(false)
        writer.endObject()
        XCTAssertEqual(
            writer.string,
            #"{"a":1,"b":[true,null,"x",{},{"raw":[1,2]},[],{"v":[1.5,false]},{"w":"y","n":null}],"c":{"d":2},"e\"":false}"#
        )
        XCTAssertNoThrow(try JSONParser.parse(writer.bytes))
    }

    func testResetStartsAFreshDocument() {
        var writer = JSONWriter()
        writer.writeInt(1)
        writer.reset()
        writer.writeInt(2)
        XCTAssertEqual(writer.string, "2")
    }

    func testCanonicalForm() throws {
        let input = #" { "b" : [ 1 , 2.50 , "x\u0041\/" , -0 , 1E2 ] , "a" : null, "c": {"z": true, "y": false} } "#
        let value = try JSONParser.parse(input)
        XCTAssertEqual(value.jsonString, #"{"b":[1,2.5,"xA/",0,100.0],"a":null,"c":{"z":true,"y":false}}"#)
        XCTAssertEqual(try JSONParser.parse(value.jsonBytes), value)
    }

    func testRoundTripOfEveryKind() throws {
        let documents = [
            "null", "true", "false", "0", "-1", "9223372036854775807", "-9223372036854775808",
            "1.5", "-0.0", "1e-300", "123456789012345678901234567890", "0.30000000000000004",
            #""""#, #""\u0000\u001f\"\\ é 😀 \ud83d\ude00""#, "[]", "{}", "[[[[]]]]",
            #"{"op":"append","stream":"orders","events":[{"type":"A","data":{"n":1,"f":0.5,"s":"Zoë"}}],"id":7}"#,
        ]
        for document in documents {
            let value = try JSONParser.parse(document)
            let encoded = value.jsonBytes
            let again = try JSONParser.parse(encoded)
            XCTAssertEqual(again, value, document)
            XCTAssertEqual(again.jsonBytes, encoded, document)
        }
    }
}
