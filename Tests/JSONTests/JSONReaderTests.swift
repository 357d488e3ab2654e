import XCTest

@testable import JSON

final class JSONReaderTests: XCTestCase {
    private let names = JSONReader.Names(["a", "list", "nested"])

    func testReadsMembersElementsAndValuesInOrder() throws {
        let text = Array(#" { "list" : [ "x" , {"k":[1,2]} ] ,"a":"b\u0041","nested":{"z":1,"y":true} } "#.utf8)
        var reader = JSONReader(text)
        var seen: UInt64 = 0
        try reader.beginObject()
        XCTAssertEqual(try reader.nextMember(names, seen: &seen), 1)
        try reader.beginArray()
        XCTAssertTrue(try reader.nextElement())
        XCTAssertEqual(try reader.string(), "x")
        XCTAssertTrue(try reader.nextElement())
        XCTAssertEqual(try reader.value(), ["k": [1, 2]])
        XCTAssertFalse(try reader.nextElement())
        XCTAssertEqual(try reader.nextMember(names, seen: &seen), 0)
        XCTAssertEqual(try reader.string(), "bA")
        XCTAssertEqual(try reader.nextMember(names, seen: &seen), 2)
        let nested = try reader.value()
        XCTAssertEqual(nested, ["z": 1, "y": true])
        XCTAssertEqual(nested.objectValue?.canonicalText(in: text).map { Array($0) }, Array(#"{"z":1,"y":true}"#.utf8))
        XCTAssertNil(try reader.nextMember(names, seen: &seen))
        try reader.end()
    }

    func testEmptyContainers() throws {
        var reader = JSONReader(Array(#"{"list":[]}"#.utf8))
        var seen: UInt64 = 0
        try reader.beginObject()
        XCTAssertEqual(try reader.nextMember(names, seen: &seen), 1)
        try reader.beginArray()
        XCTAssertFalse(try reader.nextElement())
        XCTAssertNil(try reader.nextMember(names, seen: &seen))
        try reader.end()
        var empty = JSONReader(Array("{}".utf8))
        seen = 0
        try empty.beginObject()
        XCTAssertNil(try empty.nextMember(names, seen: &seen))
        try empty.end()
    }

    /// Every way a text can leave the shape: each must throw, none may pass as another key.
    func testThrowsWhenTheTextLeavesTheShape() {
        let texts = [
            #"{"b":1}"#,  // not a name
            #"{"a":1,"a":2}"#,  // twice
            #"{"\u0061":1}"#,  // escaped: matches no name
            #"{"ab":1}"#, #"{"":1}"#,  // a name's prefix, or longer
            #"{"a":1,}"#, #"{,"a":1}"#, #"{"a" 1}"#, #"{"a":1 "list":2}"#, #"{"a":1"#, #"{"a"#,
            #"{"a":1} x"#, #"[]"#, "", #"{"a":"x"#,
        ]
        for text in texts {
            var reader = JSONReader(Array(text.utf8))
            XCTAssertThrowsError(try readAll(&reader), text)
        }
    }

    /// Asked for a member or an element outside any container, it throws rather than trap.
    func testNothingOpenThrows() {
        var reader = JSONReader(Array("}]".utf8))
        var seen: UInt64 = 0
        XCTAssertThrowsError(try reader.nextMember(names, seen: &seen))
        XCTAssertThrowsError(try reader.nextElement())
    }

    func testStringRefusesOtherValues() {
        for text in [#"{"a":1}"#, #"{"a":null}"#, #"{"a":["x"]}"#] {
            var reader = JSONReader(Array(text.utf8))
            var seen: UInt64 = 0
            XCTAssertThrowsError(
                try {
                    try reader.beginObject()
                    _ = try reader.nextMember(names, seen: &seen)
                    _ = try reader.string()
                }(), text)
        }
    }

    /// A string among names reads as the name's index, and the reader goes on after it; any
    /// other string (an escape, another name, a name's prefix) or another value throws.
    func testStringAmongNames() throws {
        var reader = JSONReader(Array(#"["nested" , "a"]"#.utf8))
        try reader.beginArray()
        XCTAssertTrue(try reader.nextElement())
        XCTAssertEqual(try reader.string(among: names), 2)
        XCTAssertTrue(try reader.nextElement())
        XCTAssertEqual(try reader.string(among: names), 0)
        XCTAssertFalse(try reader.nextElement())
        try reader.end()
        for text in [#"["b"]"#, #"["\u0061"]"#, #"["lis"]"#, #"["lists"]"#, #"[1]"#, #"[null]"#, #"["a"#] {
            var other = JSONReader(Array(text.utf8))
            XCTAssertThrowsError(
                try {
                    try other.beginArray()
                    _ = try other.nextElement()
                    _ = try other.string(among: names)
                }(), text)
        }
    }

    /// The containers the reader opens count toward `maxDepth` as `JSONParser.parse` counts them.
    func testDepthCountsAsTheParserCounts() throws {
        let text = Array(#"{"nested":{"z":[1]}}"#.utf8)
        for maxDepth in 0...4 {
            var reader = JSONReader(text, maxDepth: maxDepth)
            let parsed = Result { try JSONParser.parse(text, maxDepth: maxDepth) }
            var seen: UInt64 = 0
            let read = Result {
                try reader.beginObject()
                _ = try reader.nextMember(names, seen: &seen)
                let value = try reader.value()
                _ = try reader.nextMember(names, seen: &seen)
                try reader.end()
                return value
            }
            XCTAssertEqual((try? parsed.get()) != nil, (try? read.get()) != nil, "maxDepth \(maxDepth)")
        }
    }

    /// Reads an object of `names` whose values it takes whole.
    private func readAll(_ reader: inout JSONReader) throws {
        var seen: UInt64 = 0
        try reader.beginObject()
        while try reader.nextMember(names, seen: &seen) != nil { _ = try reader.value() }
        try reader.end()
    }
}
