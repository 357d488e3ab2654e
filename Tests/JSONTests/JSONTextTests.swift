import XCTest

@testable import JSON

/// `JSONText` read against the tree the parser builds from the same text, and
/// `JSONObjectText.apply(patch:)` against `JSONObject.apply(patch:)`.
final class JSONTextTests: XCTestCase {
    func testMembersElementsAndStringsAreTheTreesOwn() throws {
        let text = #"{"a":"x\"y","b\n":[1,{"c":[]},"]",null],"e":{},"f":-12,"g":true,"h":"é😀"}"#
        let bytes = Array(text.utf8)
        try assertMatches(JSONText(written: bytes, in: bytes.indices), JSONParser.parse(bytes))
        let object = JSONText(written: bytes, in: bytes.indices)
        let values = object.members.map { object.string($0.value) }
        XCTAssertEqual(values, ["x\"y", nil, nil, nil, nil, "é😀"])
        for member in JSONText(written: bytes, in: 0..<3).members {
            XCTAssertLessThanOrEqual(member.value.upperBound, 3, "within a cut text")
        }
    }

    /// Random trees, as the writer writes them, read member by member and element by element.
    func testRandomTreesReadAsText() throws {
        var random = SplitMix64(seed: 0x7E47_0001)
        for _ in 0..<2_000 {
            let value = JSONTestValues.randomValue(&random, depth: 0)
            let bytes = value.jsonBytes
            assertMatches(JSONText(written: bytes, in: bytes.indices), value)
        }
    }

    /// Random texts cut or changed anywhere: the reading stays within the text and ends.
    func testDamagedTextsAreReadSafely() {
        var random = SplitMix64(seed: 0x7E47_0002)
        for _ in 0..<5_000 {
            var bytes = JSONTestValues.randomValue(&random, depth: 0).jsonBytes
            let position = random.next(below: bytes.count)
            if random.next(below: 2) == 0 {
                bytes[position] = Array(#"{}[]",:\"#.utf8)[random.next(below: 8)]
            } else {
                bytes.removeSubrange(position...)
            }
            let text = JSONText(written: bytes, in: bytes.indices)
            var seen = 0
            for member in text.members {
                XCTAssertTrue(bytes.indices.contains(member.key.lowerBound) || member.key.isEmpty)
                XCTAssertLessThanOrEqual(member.value.upperBound, bytes.count)
                _ = text.string(member.value)
                seen += 1
            }
            for element in text.elements { XCTAssertLessThanOrEqual(element.upperBound, bytes.count) }
            XCTAssertLessThanOrEqual(seen, bytes.count)
        }
    }

    func testAPatchAsTextIsThePatchOfTheTree() throws {
        var object: JSONObject = ["plan": "pro", "city": "London", "n": 1]
        var text = JSONObjectText(object)
        let patch: JSONObject = ["city": .null, "plan": "team", "tags": ["a", .null], "gone": .null, "q\"": "x"]
        object.apply(patch: patch)
        let patchBytes = JSONValue.object(patch).jsonBytes
        text.apply(patch: JSONText(written: patchBytes, in: patchBytes.indices))
        XCTAssertEqual(String(decoding: text.bytes, as: UTF8.self), #"{"plan":"team","n":1,"tags":["a",null],"q\"":"x"}"#)
        XCTAssertEqual(text.object, object)
        XCTAssertEqual(text, JSONObjectText(object))
    }

    /// Random objects and patches (small and large, keys with escapes, in the object's order or
    /// not, every key of the object in its order, or the object itself), three in turn on one
    /// text, each patch read from within a record's data as the fold reads it: the text patched
    /// is the tree patched, written.
    func testRandomPatchesAsText() {
        var random = SplitMix64(seed: 0x7E47_0003)
        let keys = (0..<80).map { $0 % 7 == 0 ? "k\($0)\n\"é" : "k\($0)" }
        for _ in 0..<1_000 {
            let large = random.next(below: 4) == 0
            let count = random.next(below: large ? 80 : 10)
            var object = JSONObject((0..<count).map { JSONMember(keys[$0], JSONTestValues.randomValue(&random, depth: 3)) })
            var text = JSONObjectText(object)
            for _ in 0..<3 {
                var patch = JSONObject()
                if random.next(below: 6) == 0 {  // the object again
                    patch = object
                } else if random.next(below: 3) == 0 {  // every key, in order
                    for member in object.members {
                        patch[member.key] = random.next(below: 12) == 0 ? .null : JSONTestValues.randomValue(&random, depth: 3)
                    }
                } else {
                    for _ in 0..<random.next(below: large ? 40 : 8) {
                        let key = keys[random.next(below: large ? 80 : 14)]
                        patch[key] = random.next(below: 3) == 0 ? .null : JSONTestValues.randomValue(&random, depth: 3)
                    }
                }
                let rest = Array((random.next(below: 2) == 0 ? #","x":1}"# : "}").utf8)  // the data's last member or not
                let data = Array(#"{"user_id":"u","attributes":"#.utf8) + JSONValue.object(patch).jsonBytes + rest
                let start = 28
                XCTAssertEqual(
                    text.apply(patch: JSONText(written: data, in: start..<data.count)), data.count - rest.count, "where the patch ends")
                object.apply(patch: patch)
                XCTAssertEqual(text.bytes, JSONValue.object(object).jsonBytes)
            }
        }
    }

    /// Byte ranges compare as their arrays do, whatever their length and offsets (eight bytes at
    /// a time, then one by one), a difference found at any position.
    func testByteRangesCompareAsTheirBytes() {
        var random = SplitMix64(seed: 0xB17E_0001)
        let bytes = (0..<128).map { _ in UInt8(random.next(below: 4)) }
        for count in 0..<40 {
            let (start, otherStart) = (random.next(below: 20), 40 + random.next(below: 20))
            var other = bytes
            other.replaceSubrange(otherStart..<otherStart + count, with: bytes[start..<start + count])
            let range = start..<start + count
            XCTAssertTrue(bytes.span.bytes(range, equal: other.span, otherStart..<otherStart + count))
            XCTAssertEqual(bytes.span.bytes(range, equal: other.span, otherStart..<otherStart + count + 1), false)
            for position in 0..<count {
                var changed = other
                changed[otherStart + position] &+= 1
                XCTAssertFalse(
                    bytes.span.bytes(range, equal: changed.span, otherStart..<otherStart + count), "count \(count) at \(position)")
            }
        }
    }

    /// `text` read member by member (or element by element) is `value`, recursively.
    private func assertMatches(_ text: JSONText, _ value: JSONValue, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(Array(text.bytes[text.range]), value.jsonBytes, file: file, line: line)
        switch value {
        case .object(let object):
            let members = Array(text.members)
            XCTAssertEqual(members.count, object.count, file: file, line: line)
            for (member, expected) in zip(members, object.members) {
                let key = try? JSONParser.parse([0x22] + text.bytes[member.key] + [0x22])
                XCTAssertEqual(key, .string(expected.key), file: file, line: line)
                assertMatches(text.text(of: member.value), expected.value, file: file, line: line)
            }
        case .array(let elements):
            let read = Array(text.elements)
            XCTAssertEqual(read.count, elements.count, file: file, line: line)
            for (element, expected) in zip(read, elements) { assertMatches(text.text(of: element), expected, file: file, line: line) }
        case .string(let string): XCTAssertEqual(text.string(text.range), string, file: file, line: line)
        default: XCTAssertNil(text.string(text.range), file: file, line: line)
        }
    }
}
