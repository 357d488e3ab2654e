/// Reads one JSON text front to back for a caller that expects a known shape: objects member
/// by member, their keys matched against a fixed list of names, and only the values the caller
/// asks for built as `JSONValue`s. The objects and arrays it walks through, and their keys,
/// cost no allocation.
///
/// Design: a fast path beside `JSONParser.parse`, not a replacement. Every method throws as
/// soon as the text leaves the expected shape (a key not in the list or seen twice, a value of
/// another type) or is not valid JSON, and the caller then parses the text the general way,
/// which words the error. It runs the parser's own scanner with the same `maxDepth`, so what
/// it returns is what `parse` builds for the same text. Rejected: a general pull parser
/// (events for every token: more code than the one shape the hot path needs).
public struct JSONReader {
    private var scanner: JSONParser.Scanner
    /// The objects and arrays open around the cursor.
    private var depth = 0
    /// Bit `d`: the container at depth `d` has had a member or element.
    private var started: UInt64 = 0

    /// Containers the reader itself walks into, at most (values read whole nest to `maxDepth`).
    static let maxOpenContainers = 63

    /// A reader at the start of `bytes`; `maxDepth` as for `JSONParser.parse` (0...1,000).
    public init(_ bytes: [UInt8], maxDepth: Int = 64) {
        precondition((0...1_000).contains(maxDepth), "maxDepth must be in 0...1000: it bounds recursion")
        scanner = JSONParser.Scanner(bytes: bytes, maxDepth: maxDepth)
    }

    /// Runs `body` with a reader at the start of `bytes` whose short strings come from
    /// `strings` when kept there, and are kept there (`JSONStringTable`). The table is the
    /// reader's alone while `body` runs, so it is not copied to be changed, and is handed back
    /// however `body` ends.
    public static func withStrings<Result, Failure: Error>(
        _ bytes: [UInt8], maxDepth: Int = 64, strings: inout JSONStringTable,
        _ body: (inout JSONReader) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        var reader = JSONReader(bytes, maxDepth: maxDepth)
        reader.scanner.strings = strings.take()
        defer { strings = reader.scanner.strings ?? JSONStringTable() }
        return try body(&reader)
    }

    /// The member names an object may have, matched byte for byte: a key written with an
    /// escape matches none. At most 64.
    public struct Names: Sendable {
        let names: [[UInt8]]

        public init(_ names: [String]) {
            precondition(names.count <= 64, "at most 64 names: they are tracked in one word")
            self.names = names.map { Array($0.utf8) }
        }

        /// The index of the name whose bytes are `key`'s.
        func index(of key: Span<UInt8>) -> Int? {
            names.firstIndex { name in
                guard name.count == key.count else { return false }
                for offset in 0..<key.count where name[offset] != key[offset] { return false }
                return true
            }
        }
    }

    /// Consumes `{`.
    public mutating func beginObject() throws(JSONParseError) { try open(0x7B) }

    /// Consumes `[`.
    public mutating func beginArray() throws(JSONParseError) { try open(0x5B) }

    /// Moves to the next member of the open object: its name's index in `names`, the cursor on
    /// its value, which the caller must read next; nil once the object closes. `seen` (zero
    /// when the object opens) keeps the names met, to refuse one given twice.
    public mutating func nextMember(_ names: Names, seen: inout UInt64) throws(JSONParseError) -> Int? {
        guard try next(closing: 0x7D) else { return nil }
        try expect(0x22)
        let (name, end) = key(from: scanner.index + 1, among: names)
        guard let index = name, seen & 1 << UInt64(index) == 0 else { throw mismatch() }
        seen |= 1 << UInt64(index)
        try enterValue(afterKeyEndingAt: end)
        return index
    }

    /// `nextMember(_:seen:)` where a member whose name is not among `names` is allowed: its
    /// index is then `names.count`, and `others` (empty when the object opens) keeps its name,
    /// to refuse one given twice. A name with an escape, which might be one of `names`
    /// written otherwise, throws `mismatch`.
    public mutating func nextMember(_ names: Names, seen: inout UInt64, others: inout JSONKeySet) throws(JSONParseError) -> Int? {
        guard try next(closing: 0x7D) else { return nil }
        try expect(0x22)
        let keyOffset = scanner.index
        let (name, end) = key(from: scanner.index + 1, among: names)
        let index: Int
        if let name {
            guard seen & 1 << UInt64(name) == 0 else { throw mismatch() }
            seen |= 1 << UInt64(name)
            index = name
        } else {
            // Not one of `names`, unless written with an escape.
            guard try !scanner.plainTextEnd(from: keyOffset + 1).escaped, others.insert(keyOffset + 1..<end, in: scanner.bytes)
            else { throw mismatch() }
            index = names.names.count
        }
        try enterValue(afterKeyEndingAt: end)
        return index
    }

    /// Moves past a member's key, whose closing quote is at `end`, and its colon, to its value.
    @inline(__always)
    private mutating func enterValue(afterKeyEndingAt end: Int) throws(JSONParseError) {
        scanner.index = end + 1
        scanner.skipWhitespace()
        try expect(0x3A)  // :
        scanner.index += 1
        scanner.skipWhitespace()
    }

    /// Moves to the next element of the open array, which the caller must read next; false
    /// once the array closes.
    public mutating func nextElement() throws(JSONParseError) -> Bool { try next(closing: 0x5D) }

    /// Reads a string value.
    public mutating func string() throws(JSONParseError) -> String {
        try expect(0x22)
        return try scanner.parseString()
    }

    /// Reads a string value that is one of `names` (byte for byte, without escapes) as that
    /// name's index, making no string. Throws `mismatch` for any other string.
    public mutating func string(among names: Names) throws(JSONParseError) -> Int {
        try expect(0x22)
        let (name, end) = key(from: scanner.index + 1, among: names)
        guard let name else { throw mismatch() }
        scanner.index = end + 1
        return name
    }

    /// Reads any value whole, as `JSONParser.parse` builds it (an object's `canonicalText`
    /// refers to the reader's input).
    public mutating func value() throws(JSONParseError) -> JSONValue { try scanner.parseValue(depth: depth) }

    /// Checks the value at the cursor (after any whitespace) as `value()` reads it, without
    /// building it: its text, and its number of members or elements (0 for a scalar).
    public mutating func skip() throws(JSONParseError) -> (text: Range<Int>, count: Int) {
        scanner.skipWhitespace()
        let start = scanner.index
        let count = try scanner.skipValue(depth: depth)
        return (start..<scanner.index, count)
    }

    /// Reads a string value without escapes, making no string: the text between its quotes
    /// (valid UTF-8). Throws `mismatch` for any other value, and for a string with an escape.
    public mutating func plainString() throws(JSONParseError) -> Range<Int> {
        try expect(0x22)
        let start = scanner.index + 1
        let (stop, escaped) = try scanner.plainTextEnd(from: start)
        guard !escaped else { throw mismatch() }
        scanner.index = stop + 1
        return start..<stop
    }

    /// Where the cursor is in the input.
    public var offset: Int { scanner.index }

    /// The byte that starts the next value or token, after any whitespace; nil at the end.
    public mutating func peek() -> UInt8? {
        scanner.skipWhitespace()
        return scanner.index < scanner.endIndex ? scanner.bytes[scanner.index] : nil
    }

    /// Starts noting whether the text read from here on, after any whitespace, is canonical
    /// (see `JSONObject.canonicalText(in:)`): the position where it starts, for
    /// `canonicalText(from:)`.
    public mutating func startCanonicalText() -> Int {
        scanner.skipWhitespace()
        scanner.canonical = true
        return scanner.index
    }

    /// The text from `start` (`startCanonicalText()`) to the cursor, when all of it is canonical.
    public func canonicalText(from start: Int) -> Range<Int>? { scanner.canonical ? start..<scanner.index : nil }

    /// Checks that only whitespace follows.
    public mutating func end() throws(JSONParseError) {
        scanner.skipWhitespace()
        guard depth == 0, scanner.index == scanner.endIndex else { throw mismatch() }
    }

    /// An error at the cursor for a text that is not the shape the caller expects.
    public func mismatch() -> JSONParseError { JSONParseError(offset: scanner.index, reason: "not the expected shape") }

    /// The key from `start` to its closing quote (`end`), as an index in `names`: nil when it
    /// is none of them, has an escape or is not closed.
    private func key(from start: Int, among names: Names) -> (name: Int?, end: Int) {
        let text = scanner.bytes.span
        var end = start
        while end < scanner.endIndex, text[end] != 0x22, text[end] != 0x5C { end += 1 }
        guard end < scanner.endIndex, text[end] == 0x22 else { return (nil, end) }
        return (names.index(of: text.extracting(start..<end)), end)
    }

    private mutating func open(_ bracket: UInt8) throws(JSONParseError) {
        scanner.skipWhitespace()
        try expect(bracket)
        guard depth < Self.maxOpenContainers, depth < scanner.maxDepth else { throw mismatch() }
        scanner.index += 1
        depth += 1
        started &= ~(1 << UInt64(depth))
    }

    /// Past the separator before the open container's next item: false, the container closed,
    /// when `closing` comes instead.
    private mutating func next(closing: UInt8) throws(JSONParseError) -> Bool {
        scanner.skipWhitespace()
        guard depth > 0, scanner.index < scanner.endIndex else { throw mismatch() }
        if scanner.bytes[scanner.index] == closing {
            scanner.index += 1
            depth -= 1
            return false
        }
        if started & 1 << UInt64(depth) != 0 {
            try expect(0x2C)  // ,
            scanner.index += 1
            scanner.skipWhitespace()
        }
        started |= 1 << UInt64(depth)
        return true
    }

    private func expect(_ byte: UInt8) throws(JSONParseError) {
        guard scanner.index < scanner.endIndex, scanner.bytes[scanner.index] == byte else { throw mismatch() }
    }
}
