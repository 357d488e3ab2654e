import XCTest

@testable import JSON

/// Changing an object: what `apply(patch:)` leaves, in order, and that it is no longer
/// canonical text of its input.
final class JSONObjectTests: XCTestCase {
    func testAPatchSetsAppendsAndRemovesKeepingTheOrder() throws {
        var object = try XCTUnwrap(JSONParser.parse(#"{"a":1,"b":2,"c":3}"#).objectValue)
        let source = Array(#"{"a":1,"b":2,"c":3}"#.utf8)
        XCTAssertNotNil(object.canonicalText(in: source))
        object.apply(patch: ["b": nil, "d": 4, "a": 9, "e": nil])
        XCTAssertEqual(object, ["a": 9, "c": 3, "d": 4])
        XCTAssertEqual(object.keys, ["a", "c", "d"])
        XCTAssertNil(object.canonicalText(in: source), "changed: its input is no longer its text")
    }

    func testIndexLooksAtTheHintFirstAndFindsAKeyAnywhere() {
        let object: JSONObject = ["a": 1, "b": 2, "c": 3]
        XCTAssertEqual(object.index(of: "b", hint: 1), 1)
        XCTAssertEqual(object.index(of: "b", hint: 0), 1)
        XCTAssertEqual(object.index(of: "a", hint: 2), 0)
        XCTAssertEqual(object.index(of: "c", hint: 7), 2)
        XCTAssertEqual(object.index(of: "c", hint: -1), 2)
        XCTAssertNil(object.index(of: "d", hint: 1))
        XCTAssertNil(JSONObject().index(of: "a", hint: 0))
        var hint = 0
        XCTAssertEqual(object.value(of: "b", hint: &hint), object["b"])
        XCTAssertEqual(hint, 2)
        XCTAssertNil(object.value(of: "d", hint: &hint))
        XCTAssertEqual(hint, 2, "a key not found leaves the hint")
    }

    /// The same as setting each member through the subscript, on many random patches: half of
    /// them name their keys in the object's order, as profile updates do.
    func testAPatchEqualsSettingEachMember() {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            var object = JSONObject((0..<Int.random(in: 0...20, using: &random)).map { JSONMember("k\($0)", .int(Int64($0))) })
            var expected = object
            var patch = JSONObject()
            var numbers = Array(Set((0..<Int.random(in: 0...10, using: &random)).map { _ in Int.random(in: 0...30, using: &random) }))
            if Bool.random(using: &random) { numbers.sort() }
            for key in numbers.map({ "k\($0)" }) {
                let value: JSONValue = Bool.random(using: &random) ? .null : .int(Int64.random(in: 0...9, using: &random))
                patch[key] = value
                expected[key] = value.isNull ? JSONValue?.none : value
            }
            object.apply(patch: patch)
            XCTAssertEqual(object.members, expected.members)
        }
    }
}
