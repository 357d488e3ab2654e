import XCTest

@testable import JSON

/// `JSONStringTable`: a reader given one reads every text as `JSONParser.parse` does, however
/// many strings the table already holds, and hands short strings out from it.
final class JSONStringTableTests: XCTestCase {
    /// Reads `text` whole with a reader holding `table`, handing the table back.
    private func read(_ text: [UInt8], with table: inout JSONStringTable) throws(JSONParseError) -> JSONValue {
        try JSONReader.withStrings(text, strings: &table) { (reader) throws(JSONParseError) in
            let value = try reader.value()
            try reader.end()
            return value
        }
    }

    func testStringsOfEveryShapeReadAsTheParserReadsThem() throws {
        let texts = [
            #"{"a":"","b":"x","seven77":"1234567","eight888":"12345678","fifteen":"123456789012345"}"#,
            #"{"sixteen":"1234567890123456","long":"a string well past sixteen bytes"}"#,
            #"["caf\u00e9","café","tab\tx","quote\"x","back\\x","ünï","\/"]"#,
            #"["end"]"#, #""short""#, #""fifteen bytes.."  "#, #"{"k":"v","k2":"ends here"}"#,
        ]
        var table = JSONStringTable()
        for _ in 0..<2 {
            for text in texts {
                let bytes = Array(text.utf8)
                XCTAssertEqual(try read(bytes, with: &table), try JSONParser.parse(bytes), text)
            }
        }
    }

    /// Errors inside a string's first 16 bytes, and duplicate keys, are found as the parser
    /// finds them.
    func testBadStringsFailAsTheParserFails() {
        let texts = [
            "[\"ab\u{01}cd\"]", #"["ab\qcd"]"#, #"["abcd"#, #"["ab\u12"]"#, #"{"a":"b","a":"c"}"#,
            "{\"K\":1,\"\u{212A}\":2}", "{\"\u{212A}\":1,\"K\":2}",  // the Kelvin sign is, to `String ==`, the letter K
        ]
        .map { Array($0.utf8) }
        var table = JSONStringTable()
        // Spaces after each: strings within 16 bytes of the end are read without the table.
        for raw in texts + [Array(#"["ab"#.utf8) + [0xFF] + Array(#"cd"]"#.utf8)] {
            let bytes = raw + Array(repeating: 0x20, count: 16)
            let text = String(decoding: bytes, as: UTF8.self)
            let general = Result { () throws(JSONParseError) in try JSONParser.parse(bytes) }
            let withTable = Result { () throws(JSONParseError) in try read(bytes, with: &table) }
            guard case .failure(let expected) = general else { return XCTFail("parsed: \(text)") }
            XCTAssertEqual(withTable.map { _ in 0 }, .failure(expected), text)
        }
    }

    /// Far more short strings than slots, twice over: a slot taken by another string never
    /// hands out the wrong one.
    func testStringsSharingSlotsStayApart() throws {
        var table = JSONStringTable()
        let keys = (0..<5_000).map { $0 % 2 == 0 ? "k\($0)" : "shared8-\($0)" }  // the second alike in their first 8 bytes
        for round in 0..<2 {
            for chunk in stride(from: 0, to: keys.count, by: 50) {
                let members = keys[chunk..<chunk + 50].map { "\"\($0)\":\"v\($0.suffix(4))-\(round)\"" }
                let text = Array("{\(members.joined(separator: ","))}".utf8)
                XCTAssertEqual(try read(text, with: &table), try JSONParser.parse(text))
            }
        }
    }

    /// A short string read once is kept, packed by its bytes; one with an escape is not.
    func testShortStringsAreKept() throws {
        var table = JSONStringTable()
        _ = try read(Array(#"{"plan":"pro","company":"Analytical Engines Ltd","t\u0061b":1}"#.utf8), with: &table)
        XCTAssertEqual(table.string(low: Self.packed("plan").low, high: Self.packed("plan").high), "plan")
        XCTAssertEqual(table.string(low: Self.packed("pro").low, high: Self.packed("pro").high), "pro")
        XCTAssertNil(table.string(low: Self.packed("tab").low, high: Self.packed("tab").high))
    }

    /// The packing the table keeps strings by: bytes little-endian, length in the top byte.
    private static func packed(_ text: String) -> (low: UInt64, high: UInt64) {
        var (low, high) = (UInt64(0), UInt64(text.utf8.count) << 56)
        for (offset, byte) in text.utf8.enumerated() {
            if offset < 8 { low |= UInt64(byte) << (8 * offset) } else { high |= UInt64(byte) << (8 * (offset - 8)) }
        }
        return (low, high)
    }
}
