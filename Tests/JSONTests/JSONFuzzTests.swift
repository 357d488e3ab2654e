import XCTest

@testable import JSON

/// Property tests with a fixed seed, so a failure reproduces: whatever the bytes, the parser
/// returns or throws `JSONParseError` (never crashes), and whatever it accepts survives
/// write → parse unchanged, with the canonical bytes stable.
final class JSONFuzzTests: XCTestCase {
    /// Bytes that matter to the grammar, plus whitespace and UTF-8 fragments.
    private static let alphabet: [UInt8] =
        Array(#"{}[]:,"\/0123456789-+.eEtrufalsnbx "#.utf8)
        + [0x09, 0x0A, 0x0D, 0x00, 0x1F, 0x7F, 0x80, 0xBF, 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xED, 0xA0, 0xF0, 0x9F, 0xFF]

    private static let seeds: [String] = [
        #"{"op":"append","stream":"orders-2024","expected_version":{"exact":41},"events":[{"type":"OrderPlaced","data":{"amount":129.95,"items":[{"sku":"A-1","qty":2}],"note":"leave\nat door"}}],"request_id":7}"#,
        #"[1,-2,3.5,-4e10,0.000001,1E+2,9223372036854775807,-9223372036854775808,123456789012345678901234567890]"#,
        #"{"a":"\u00e9\ud83d\ude00\"\\\/\b\f\n\r\t","b":"Zoë 中文 😀","c":[true,false,null],"d":{}}"#,
        #"[[[[[[[[[[{"deep":[[[[[]]]]]}]]]]]]]]]]"#,
        #"  { "spaced" : [ 1 , 2 , { "x" : null } ] , "e" : "" }  "#,
        #""just a string with \u0000 and \uFFFF""#,
        "-0.0", "true", "0",
    ]

    func testRandomBytes() {
        var random = SplitMix64(seed: 0x5EED_0001)
        for _ in 0..<20_000 {
            let length = random.next(below: 48)
            let useAlphabet = random.next(below: 4) != 0
            let input = (0..<length).map { _ in
                useAlphabet
                    ? Self.alphabet[random.next(below: Self.alphabet.count)] : UInt8(truncatingIfNeeded: random.next())
            }
            check(input)
        }
    }

    func testMutatedDocuments() {
        var random = SplitMix64(seed: 0x5EED_0002)
        let seeds = Self.seeds.map { Array($0.utf8) }
        for _ in 0..<20_000 {
            var input = seeds[random.next(below: seeds.count)]
            for _ in 0...random.next(below: 3) { mutate(&input, &random) }
            check(input)
        }
    }

    /// Random number texts against the standard library's conversion: checks the integer
    /// accumulation and the exact fast path give the correctly rounded value.
    func testNumbersMatchTheStandardLibrary() throws {
        var random = SplitMix64(seed: 0x5EED_0003)
        for _ in 0..<5_000 {
            var text = random.next(below: 2) == 0 ? "" : "-"
            text += randomDigits(&random, leadingZeroAllowed: false)
            if random.next(below: 2) == 0 { text += "." + randomDigits(&random, leadingZeroAllowed: true) }
            if random.next(below: 2) == 0 {
                text += ["e", "E", "e+", "e-"][random.next(below: 4)] + String(random.next(below: 400))
            }
            let isIntegerLiteral = !text.contains(where: { ".eE".contains($0) })
            if isIntegerLiteral, let int = Int64(text) {
                XCTAssertEqual(try JSONParser.parse(text), .int(int), text)
            } else if let double = Double(text), double.isFinite {
                XCTAssertEqual(try JSONParser.parse(text), .double(double), text)
            } else {
                XCTAssertThrowsError(try JSONParser.parse(text), text)
            }
        }
    }

    /// The parser's own UTF-8 check against the standard library's: every 2-byte sequence and
    /// random 3- and 4-byte ones (no quote, backslash or control byte), accepted or refused alike.
    func testUTF8ValidationMatchesTheStandardLibrary() {
        var random = SplitMix64(seed: 0x5EED_0005)
        var sequences: [[UInt8]] = []
        for first in 0x20...0xFF { for second in 0x20...0xFF { sequences.append([UInt8(first), UInt8(second)]) } }
        for _ in 0..<40_000 {
            let count = 3 + random.next(below: 2)
            sequences.append((0..<count).map { _ in UInt8(0x20 + random.next(below: 0xE0)) })
        }
        for sequence in sequences where !sequence.contains(0x22) && !sequence.contains(0x5C) {
            let expected = String(validating: sequence, as: UTF8.self)
            let parsed = try? JSONParser.parse([0x22] + sequence + [0x22])
            if parsed != expected.map(JSONValue.string) { XCTFail("\(sequence): \(String(describing: parsed))") }
        }
    }

    /// Random trees through the writer and back: every string (control characters, quotes,
    /// astral scalars, combining marks) and every finite double (random bit patterns) must
    /// come back equal.
    func testRandomValuesRoundTrip() throws {
        var random = SplitMix64(seed: 0x5EED_0004)
        for _ in 0..<2_000 {
            let value = JSONTestValues.randomValue(&random, depth: 0)
            let encoded = value.jsonBytes
            let again = try JSONParser.parse(encoded)
            XCTAssertEqual(again, value, String(decoding: encoded, as: UTF8.self))
            XCTAssertEqual(again.jsonBytes, encoded)
            // Written by the writer, every object's text is canonical but those with doubles or
            // escapes (which the parser does not try to match).
            forEachObject(in: again) { object in
                let written = JSONValue.object(object).jsonBytes
                guard let text = object.canonicalText(in: encoded) else {
                    let excused = Self.holdsADouble(.object(object)) || written.contains(0x5C)  // \
                    XCTAssertTrue(excused, String(decoding: written, as: UTF8.self))
                    return
                }
                XCTAssertEqual(Array(text), written)
            }
        }
    }

    // MARK: Helpers

    private func check(_ input: [UInt8]) {
        let value: JSONValue
        let skipped = Result { () throws(JSONParseError) in
            var reader = JSONReader(input)
            let start = reader.startCanonicalText()
            let text = try reader.skip().text
            let canonical = reader.canonicalText(from: start) != nil
            try reader.end()
            return (text: text, canonical: canonical)
        }
        do {
            value = try JSONParser.parse(input)
        } catch {
            if !(0...input.count).contains(error.offset) || error.reason.isEmpty {
                XCTFail("bad error \(error) for \(input)")
            }
            if case .success = skipped { XCTFail("skipped what the parser refuses: \(input)") }
            return
        }
        // Skipped as parsed, and called canonical only where the text is what the writer writes.
        switch skipped {
        case .success(let skipped):
            if skipped.canonical && Array(input[skipped.text]) != value.jsonBytes { XCTFail("not canonical: \(input)") }
            if !skipped.canonical && input == value.jsonBytes && !input.contains(0x5C) && !Self.holdsADouble(value) {
                XCTFail("canonical: \(input)")
            }
        case .failure(let error): XCTFail("skip refused what the parser reads: \(input): \(error)")
        }
        // Where the parser calls an object's input canonical, the writer writes exactly that.
        forEachObject(in: value) { object in
            if let text = object.canonicalText(in: input), Array(text) != JSONValue.object(object).jsonBytes {
                XCTFail("canonical text \(Array(text)) of \(input) is not what the writer writes")
            }
        }
        let encoded = value.jsonBytes
        do {
            let again = try JSONParser.parse(encoded)
            if again != value || again.jsonBytes != encoded {
                XCTFail("round trip changed \(input): \(value) → \(again)")
            }
        } catch {
            XCTFail("could not re-parse \(String(decoding: encoded, as: UTF8.self)): \(error)")
        }
    }

    private func forEachObject(in value: JSONValue, _ body: (JSONObject) -> Void) {
        switch value {
        case .object(let object):
            body(object)
            for member in object.members { forEachObject(in: member.value, body) }
        case .array(let elements): for element in elements { forEachObject(in: element, body) }
        default: break
        }
    }

    private static func holdsADouble(_ value: JSONValue) -> Bool {
        switch value {
        case .double: true
        case .object(let object): object.members.contains { holdsADouble($0.value) }
        case .array(let elements): elements.contains(where: holdsADouble)
        default: false
        }
    }

    private func mutate(_ bytes: inout [UInt8], _ random: inout SplitMix64) {
        let position = random.next(below: bytes.count + 1)
        let byte =
            random.next(below: 2) == 0
            ? Self.alphabet[random.next(below: Self.alphabet.count)] : UInt8(truncatingIfNeeded: random.next())
        switch random.next(below: 5) {
        case 0 where position < bytes.count: bytes[position] = byte  // replace
        case 1: bytes.insert(byte, at: position)  // insert
        case 2 where position < bytes.count: bytes.remove(at: position)  // delete
        case 3: bytes.removeSubrange(position...)  // truncate
        default:  // duplicate a short run
            let end = min(bytes.count, position + random.next(below: 8))
            bytes.insert(contentsOf: bytes[position..<end], at: position)
        }
    }

    private func randomDigits(_ random: inout SplitMix64, leadingZeroAllowed: Bool) -> String {
        let count = 1 + random.next(below: random.next(below: 4) == 0 ? 30 : 18)
        let digits = (0..<count).map { _ in String(random.next(below: 10)) }.joined()
        if leadingZeroAllowed || digits.first != "0" { return digits }
        return digits.count == 1 ? digits : "1" + digits.dropFirst()
    }
}

/// Vigna's SplitMix64: tiny, fast and good enough to drive a fuzz loop reproducibly.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<bound` (slightly biased, which does not matter here); 0 for bound 0.
    mutating func next(below bound: Int) -> Int {
        bound <= 0 ? 0 : Int(next() % UInt64(bound))
    }
}
