/// Strict RFC 8259 parsing from bytes straight to `JSONValue`.
///
/// Design: one recursive-descent pass over a `[UInt8]` by index: no tokenizer, no Foundation,
/// no intermediate buffers except for strings that contain escapes. Strings without escapes are
/// validated and decoded by the standard library in one call; integers are accumulated while
/// they are scanned; other numbers take Clinger's exact fast path when they can and the
/// standard library's correctly rounded conversion otherwise (`JSONParser+Number.swift`).
/// Recursion is bounded by `maxDepth`. Rejected: a separate tokenizer (a second pass and an
/// allocation per token) and Foundation's `JSONSerialization` (7 µs a line).
public enum JSONParser {
    /// Parses exactly one JSON value surrounded by optional whitespace.
    ///
    /// Guarantees: strings are valid UTF-8 with valid escapes (lone surrogates and raw control
    /// characters are refused); integer literals that fit `Int64` become `.int` (`-0` is
    /// `.int(0)`), every other number `.double` and a number whose `Double` is infinite is
    /// refused; object keys are unique (keys that Swift's `String ==` treats as equal count as
    /// duplicates, so lookup by key is never ambiguous) and keep document order; arrays and
    /// objects nest at most `maxDepth` deep. Never crashes on any input.
    /// - Parameter maxDepth: the deepest nesting of arrays and objects accepted; it also bounds
    ///   recursion, so it must be in `0...1_000` (a caller bug otherwise).
    /// - Throws: `JSONParseError` with the offset of the first offending byte.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = 64) throws(JSONParseError) -> JSONValue {
        precondition((0...1_000).contains(maxDepth), "maxDepth must be in 0...1000: it bounds recursion")
        var scanner = Scanner(bytes: bytes, maxDepth: maxDepth)
        return try scanner.parseDocument()
    }

    /// Parses `bytes[range]` where it lies, with the guarantees of `parse(_: [UInt8])`;
    /// offsets count from `range.lowerBound`. A replay parses each stored event's data so.
    public static func parse(_ bytes: [UInt8], in range: Range<Int>, maxDepth: Int = 64) throws(JSONParseError) -> JSONValue {
        precondition((0...1_000).contains(maxDepth), "maxDepth must be in 0...1000: it bounds recursion")
        precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count, "range must lie within bytes")
        var scanner = Scanner(bytes: bytes, range: range, maxDepth: maxDepth)
        do {
            return try scanner.parseDocument()
        } catch {
            throw JSONParseError(offset: error.offset - range.lowerBound, reason: error.reason)
        }
    }

    /// Parses any byte collection (an `ArraySlice`, `String.UTF8View`, NIO-copied bytes…).
    /// Same guarantees as `parse(_: [UInt8])`; offsets count from the collection's first byte.
    /// Copies the bytes into an array first (a few dozen nanoseconds for a request line).
    public static func parse(_ bytes: some Collection<UInt8>, maxDepth: Int = 64) throws(JSONParseError) -> JSONValue {
        try parse(Array(bytes), maxDepth: maxDepth)
    }

    /// Parses the UTF-8 of `string`. Same guarantees as `parse(_: [UInt8])`.
    public static func parse(_ string: String, maxDepth: Int = 64) throws(JSONParseError) -> JSONValue {
        try parse(Array(string.utf8), maxDepth: maxDepth)
    }
}

extension JSONParser {
    /// The parse state: the input and a cursor. Every method leaves `index` just past what it
    /// consumed, or throws.
    struct Scanner {
        let bytes: [UInt8]
        /// Where the input ends: `bytes.count`, or the end of the range parsed.
        let endIndex: Int
        let maxDepth: Int
        var index: Int
        /// Whether everything read since the innermost open object began is canonical text
        /// (see `JSONObject.canonicalText(in:)`): no whitespace, no escapes, no doubles, no `-0`.
        var canonical = true
        /// Short strings made before, to be handed out again (`JSONStringTable`); nil: none kept.
        var strings: JSONStringTable?

        init(bytes: [UInt8], range: Range<Int>? = nil, maxDepth: Int) {
            self.bytes = bytes
            index = range?.lowerBound ?? 0
            endIndex = range?.upperBound ?? bytes.count
            self.maxDepth = maxDepth
        }

        mutating func parseDocument() throws(JSONParseError) -> JSONValue {
            skipWhitespace()
            let value = try parseValue(depth: 0)
            skipWhitespace()
            guard index == endIndex else {
                throw JSONParseError(offset: index, reason: "trailing characters after value")
            }
            return value
        }

        /// Parses the value starting at `index` (no leading whitespace); `depth` counts the
        /// arrays and objects around it.
        mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
            guard index < endIndex else { throw unexpected(at: index) }
            switch bytes[index] {
            case 0x22: return .string(try parseString())  // "
            case 0x7B: return try parseObject(depth: depth + 1)  // {
            case 0x5B: return try parseArray(depth: depth + 1)  // [
            case 0x2D, 0x30...0x39:  // - 0-9
                let negative = bytes[index] == 0x2D
                let number = try parseNumber()
                if case .int(let int) = number, !(negative && int == 0) { return number }
                canonical = false  // a double, or -0, may be written back differently
                return number
            case 0x74:  // true
                index += 1
                try consume(0x72)
                try consume(0x75)
                try consume(0x65)
                return .bool(true)
            case 0x66:  // false
                index += 1
                try consume(0x61)
                try consume(0x6C)
                try consume(0x73)
                try consume(0x65)
                return .bool(false)
            case 0x6E:  // null
                index += 1
                try consume(0x75)
                try consume(0x6C)
                try consume(0x6C)
                return .null
            default:
                throw unexpected(at: index)
            }
        }

        mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
            guard depth <= maxDepth else { throw tooDeep() }
            if opensEmpty(closing: 0x5D) { return .array([]) }
            var elements: [JSONValue] = []
            elements.reserveCapacity(4)
            while true {
                elements.append(try parseValue(depth: depth))
                if try closes(0x5D) { return .array(elements) }
            }
        }

        mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
            guard depth <= maxDepth else { throw tooDeep() }
            let start = index
            let enclosing = canonical
            canonical = true
            if opensEmpty(closing: 0x7D) { return object([], from: start, enclosing: enclosing) }
            var members: [JSONMember] = []
            members.reserveCapacity(8)  // one allocation for most objects instead of four
            // Small objects check duplicates by scanning, unless every key so far and this one
            // are short and this one's bit (`parseKey`) is new; past 16 keys a set takes over.
            var keySet: Set<String> = []
            var shortKeyBits: UInt64 = 0
            var allKeysShort = true
            while true {
                guard index < endIndex, bytes[index] == 0x22 else { throw unexpected(at: index) }
                let keyOffset = index
                let (key, bit) = try parseKey()
                allKeysShort = allKeysShort && bit != 0
                if members.count < 16 {
                    if !allKeysShort || shortKeyBits & bit != 0, members.contains(where: { $0.key == key }) {
                        throw duplicate(key, at: keyOffset)
                    }
                    shortKeyBits |= bit
                } else {
                    if members.count == 16 { keySet = Set(members.map(\.key)) }
                    if !keySet.insert(key).inserted { throw duplicate(key, at: keyOffset) }
                }
                skipWhitespace()
                try consume(0x3A)  // :
                skipWhitespace()
                // A string value read here: most are, and `parseValue` costs a call around it.
                let isString = index < endIndex && bytes[index] == 0x22
                members.append(JSONMember(key, isString ? .string(try parseString()) : try parseValue(depth: depth)))
                if try closes(0x7D) { return object(members, from: start, enclosing: enclosing) }
            }
        }

        /// The object just closed at `index`, opened at `start`, noting where it lies when its
        /// text is canonical; the enclosing object's text is canonical only if it was so far
        /// (`enclosing`) and this one is.
        private mutating func object(_ members: [JSONMember], from start: Int, enclosing: Bool) -> JSONValue {
            var object = JSONObject(members)
            if canonical, index <= Int(UInt32.max) {
                object.canonicalStart = UInt32(start)
                object.canonicalEnd = UInt32(index)
            }
            canonical = canonical && enclosing
            return .object(object)
        }

        /// Moves past the bracket at `index` and any whitespace; true, and past `closing` too,
        /// when the container is empty. Shared by `parse…` and `skip…`.
        @inline(__always)
        mutating func opensEmpty(closing: UInt8) -> Bool {
            index += 1
            skipWhitespace()
            guard index < endIndex, bytes[index] == closing else { return false }
            index += 1
            return true
        }

        /// After an item of an open container: past the comma and any whitespace before the
        /// next item (false), or past `closing` (true); throws on anything else.
        @inline(__always)
        mutating func closes(_ closing: UInt8) throws(JSONParseError) -> Bool {
            skipWhitespace()
            guard index < endIndex else { throw unexpected(at: index) }
            switch bytes[index] {
            case 0x2C:  // ,
                index += 1
                skipWhitespace()
                return false
            case closing:
                index += 1
                return true
            default:
                throw unexpected(at: index)
            }
        }

        /// Skips the four RFC 8259 whitespace bytes: space, tab, LF, CR. Inlined: canonical
        /// input has none, and a call per member boundary was 3% of a request line's work.
        @inline(__always)
        mutating func skipWhitespace() {
            while index < endIndex {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D:
                    index += 1
                    canonical = false
                default: return
                }
            }
        }

        /// Consumes `byte` at `index` or throws.
        mutating func consume(_ byte: UInt8) throws(JSONParseError) {
            guard index < endIndex, bytes[index] == byte else { throw unexpected(at: index) }
            index += 1
        }

        /// "unexpected end of input" past the end, else names the byte at `offset`.
        func unexpected(at offset: Int) -> JSONParseError {
            guard offset < endIndex else { return JSONParseError(offset: offset, reason: "unexpected end of input") }
            let byte = bytes[offset]
            if (0x20..<0x7F).contains(byte) {
                let character = Character(Unicode.Scalar(byte))
                return JSONParseError(offset: offset, reason: "unexpected character '\(character)'")
            }
            return JSONParseError(offset: offset, reason: "unexpected byte \(Self.hex(byte))")
        }

        func tooDeep() -> JSONParseError {
            JSONParseError(offset: index, reason: "nesting deeper than \(maxDepth)")
        }

        func duplicate(_ key: String, at offset: Int) -> JSONParseError {
            var writer = JSONWriter()
            writer.writeString(key.count > 64 ? String(key.prefix(64)) + "…" : key)
            return JSONParseError(offset: offset, reason: "duplicate key \(writer.string)")
        }

        /// `0x1F` style, for messages.
        static func hex(_ byte: UInt8) -> String {
            let digits = String(byte, radix: 16, uppercase: true)
            return byte < 0x10 ? "0x0" + digits : "0x" + digits
        }
    }
}
