/// String scanning: with a `JSONStringTable`, short ASCII strings read as two words and taken
/// from the table; a fast path for strings without escapes (the common case for keys and
/// most values) that scans the plain text through a span, validates non-ASCII bytes with the
/// small validator below and then lets the standard library copy the range; and a slower path
/// that decodes escapes into a buffer.
/// Rejected: `String(validating:as:)`, whose generic, non-inlinable core looks up type
/// metadata on every call (a third of the parse time in a profile); copying the validated range
/// with `UTF8Span(unchecked:)` (5% fewer instructions per line, but an `@unsafe` API, and unsafe
/// code stays in `LMDB`).
extension JSONParser.Scanner {
    /// Parses the string whose opening quote is at `index`.
    /// Throws on a raw control character, an invalid escape, a lone surrogate, invalid UTF-8
    /// or a missing closing quote.
    mutating func parseString() throws(JSONParseError) -> String {
        let start = index + 1
        if strings != nil, let short = shortPlainText(from: start) { return shortString(short, from: start) }
        return try parseString(from: start)
    }

    /// Parses the member name whose opening quote is at `index`, as `parseString`, with a bit
    /// that tells a short name (`JSONStringTable`) from the object's other short names: two
    /// such names with different bits differ. 0 for any other name.
    mutating func parseKey() throws(JSONParseError) -> (key: String, bit: UInt64) {
        let start = index + 1
        guard strings != nil, let short = shortPlainText(from: start) else { return (try parseString(from: start), 0) }
        return (shortString(short, from: start), JSONStringTable.bit(low: short.low, high: short.high))
    }

    /// The short string `short` from `start`, from the table or made and kept there.
    private mutating func shortString(_ short: (count: Int, low: UInt64, high: UInt64), from start: Int) -> String {
        index = start + short.count + 1
        if let kept = strings?.string(low: short.low, high: short.high) { return kept }
        let string = decode(from: start, to: start + short.count)
        strings?.keep(string, low: short.low, high: short.high)
        return string
    }

    /// Parses the string from `start`, just past its opening quote, without the table.
    private mutating func parseString(from start: Int) throws(JSONParseError) -> String {
        let (stop, escaped) = try plainTextEnd(from: start)
        if escaped { return try parseEscapedString(start: start, firstEscape: stop) }
        index = stop + 1
        return decode(from: start, to: stop)
    }

    /// Skips the string whose opening quote is at `index`, checked as `parseString` checks it,
    /// and returns its text between the quotes. A string with an escape is decoded (and is
    /// not canonical text); any other makes no string.
    mutating func skipString() throws(JSONParseError) -> (text: Range<Int>, escaped: Bool) {
        let start = index + 1
        let (stop, escaped) = try plainTextEnd(from: start)
        guard escaped else {
            index = stop + 1
            return (start..<stop, false)
        }
        canonical = false
        _ = try parseEscapedString(start: start, firstEscape: stop)
        return (start..<index - 1, true)
    }

    /// Where the plain text from `start` stops: at the closing quote (its UTF-8 checked), or
    /// at a backslash (`escaped`). Throws on a control byte or the end of the input.
    func plainTextEnd(from start: Int) throws(JSONParseError) -> (stop: Int, escaped: Bool) {
        let (i, highBits) = scanPlainText(from: start)
        guard i < endIndex else { throw unexpected(at: i) }
        switch bytes[i] {
        case 0x22:  // closing "
            if highBits >= 0x80, let bad = firstInvalidUTF8(from: start, to: i) {
                throw JSONParseError(offset: bad, reason: "invalid UTF-8 in string")
            }
            return (i, false)
        case 0x5C: return (i, true)  // \
        default: throw controlCharacter(at: i)
        }
    }

    /// The offset of the first `"`, `\` or control byte from `start` on (`endIndex` when there
    /// is none), and the bits of the bytes before it OR-ed together (0x80 set: not all ASCII).
    /// Non-mutating, and read through a span whose count is a local: the array is not looked
    /// up again for every byte (7% of a request line's parse). Eight bytes at a time (the
    /// eight loads from a span of eight combine into one), the stop found in its word by its
    /// lowest bit (`stopBits`); byte by byte only in the input's last 7 bytes.
    private func scanPlainText(from start: Int) -> (stop: Int, highBits: UInt8) {
        let span = bytes.span
        let end = endIndex
        var i = start
        var wordBits: UInt64 = 0
        while i + 8 <= end {
            let word = Self.word(span, at: i)
            let stops = Self.stopBits(word)
            if stops != 0 {
                let before = stops.trailingZeroBitCount / 8
                wordBits |= word & ((1 << (8 * UInt64(before))) &- 1)
                return (i + before, wordBits & 0x8080_8080_8080_8080 == 0 ? 0 : 0x80)
            }
            wordBits |= word
            i += 8
        }
        var highBits: UInt8 = wordBits & 0x8080_8080_8080_8080 == 0 ? 0 : 0x80
        while i < end {
            let byte = span[i]
            if byte == 0x22 || byte == 0x5C || byte < 0x20 { break }
            highBits |= byte
            i += 1
        }
        return (i, highBits)
    }

    /// The string from `start` when it is short enough for `JSONStringTable` (at most 15
    /// ASCII bytes, no escape) and closed within the 16 bytes read as two words: its length and
    /// its bytes packed as the table keeps them. nil for any other string, and when the input
    /// ends within 16 bytes of `start` (the general path reads those).
    private func shortPlainText(from start: Int) -> (count: Int, low: UInt64, high: UInt64)? {
        guard start + 16 <= endIndex else { return nil }
        let span = bytes.span
        let (low, high) = (Self.word(span, at: start), Self.word(span, at: start + 8))
        let count: Int
        if case let stops = Self.stopBits(low), stops != 0 {
            count = stops.trailingZeroBitCount / 8
        } else if case let stops = Self.stopBits(high), stops != 0 {
            count = 8 + stops.trailingZeroBitCount / 8
        } else {
            return nil
        }
        guard span[start + count] == 0x22 else { return nil }  // an escape or a control byte
        let lowMask: UInt64 = count >= 8 ? ~0 : (1 << (8 * UInt64(count))) &- 1
        let highMask: UInt64 = count <= 8 ? 0 : (1 << (8 * UInt64(count - 8))) &- 1
        let (text, more) = (low & lowMask, high & highMask)
        guard (text | more) & 0x8080_8080_8080_8080 == 0 else { return nil }
        return (count, text, more | UInt64(count) << 56)
    }

    /// The eight bytes from `start`, little-endian (the eight loads combine into one).
    static func word(_ span: Span<UInt8>, at start: Int) -> UInt64 {
        let eight = span.extracting(start..<start + 8)
        var word: UInt64 = 0
        for k in 0..<8 { word |= UInt64(eight[k]) << (8 * k) }
        return word
    }

    /// The top bit of each of the 8 bytes of `word` that is `"`, `\` or below 0x20, exact up to
    /// and including the lowest set (the classic zero-byte test, `(v - 0x01…) & ~v & 0x80…`,
    /// can set bits above a match, never below one).
    static func stopBits(_ word: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let zeroInQuote = (quote &- ones) & ~quote
        let zeroInBackslash = (backslash &- ones) & ~backslash
        let control = (word &- ones &* 0x20) & ~word
        return (zeroInQuote | zeroInBackslash | control) & highs
    }

    /// The bytes in `start..<end` as a string; the caller has validated them. Non-mutating on
    /// purpose: slicing from a mutating method cost a retain and release of the input per
    /// string (15% of the parse time).
    private func decode(from start: Int, to end: Int) -> String {
        String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// The slow path from the first backslash on: decodes into a buffer, then validates.
    private mutating func parseEscapedString(start: Int, firstEscape: Int) throws(JSONParseError) -> String {
        canonical = false  // the writer may escape differently (`\u0041` is written `A`)
        var buffer: [UInt8] = []
        buffer.reserveCapacity(firstEscape - start + 32)
        buffer.append(contentsOf: bytes[start..<firstEscape])
        var i = firstEscape
        while i < endIndex {
            let byte = bytes[i]
            switch byte {
            case 0x22:  // closing "
                // Escapes decode to valid UTF-8 and are ASCII in the input, so validating
                // the raw input range checks exactly the bytes copied into the buffer.
                if let bad = firstInvalidUTF8(from: start, to: i) {
                    throw JSONParseError(offset: bad, reason: "invalid UTF-8 in string")
                }
                index = i + 1
                return String(decoding: buffer, as: UTF8.self)
            case 0x5C:  // \
                guard i + 1 < endIndex else { throw unexpected(at: i + 1) }
                switch bytes[i + 1] {
                case 0x22, 0x5C, 0x2F: buffer.append(bytes[i + 1])  // " \ /
                case 0x62: buffer.append(0x08)  // b
                case 0x66: buffer.append(0x0C)  // f
                case 0x6E: buffer.append(0x0A)  // n
                case 0x72: buffer.append(0x0D)  // r
                case 0x74: buffer.append(0x09)  // t
                case 0x75:  // u
                    let scalar = try unicodeEscape(at: i)
                    Self.appendUTF8(scalar, to: &buffer)
                    i += scalar >= 0x10000 ? 12 : 6
                    continue
                default:
                    throw invalidEscape(at: i)
                }
                i += 2
            case 0..<0x20:
                throw controlCharacter(at: i)
            default:
                // Copy the run up to the next quote, backslash or control byte in one go.
                var end = i + 1
                while end < endIndex, bytes[end] != 0x22, bytes[end] != 0x5C, bytes[end] >= 0x20 { end += 1 }
                buffer.append(contentsOf: bytes[i..<end])
                i = end
            }
        }
        throw unexpected(at: i)
    }

    /// Decodes `\uXXXX` at `offset` (the backslash), and its low half when it is a high
    /// surrogate, into a scalar value. The caller advances 6 bytes for a BMP scalar, 12 for a pair.
    private func unicodeEscape(at offset: Int) throws(JSONParseError) -> UInt32 {
        let unit = try hex4(at: offset + 2)
        switch unit {
        case 0xD800...0xDBFF:
            guard offset + 7 < endIndex, bytes[offset + 6] == 0x5C, bytes[offset + 7] == 0x75 else {
                throw JSONParseError(offset: offset, reason: "unpaired surrogate in \\u escape")
            }
            let low = try hex4(at: offset + 8)
            guard (0xDC00...0xDFFF).contains(low) else {
                throw JSONParseError(offset: offset, reason: "unpaired surrogate in \\u escape")
            }
            return 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
        case 0xDC00...0xDFFF:
            throw JSONParseError(offset: offset, reason: "unpaired surrogate in \\u escape")
        default:
            return unit
        }
    }

    /// Appends the UTF-8 form of `scalar`, a Unicode scalar value (never a surrogate).
    private static func appendUTF8(_ scalar: UInt32, to buffer: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            buffer.append(UInt8(scalar))
        case 0x80..<0x800:
            buffer.append(0xC0 | UInt8(scalar >> 6))
            buffer.append(0x80 | UInt8(scalar & 0x3F))
        case 0x800..<0x10000:
            buffer.append(0xE0 | UInt8(scalar >> 12))
            buffer.append(0x80 | UInt8(scalar >> 6 & 0x3F))
            buffer.append(0x80 | UInt8(scalar & 0x3F))
        default:
            buffer.append(0xF0 | UInt8(scalar >> 18))
            buffer.append(0x80 | UInt8(scalar >> 12 & 0x3F))
            buffer.append(0x80 | UInt8(scalar >> 6 & 0x3F))
            buffer.append(0x80 | UInt8(scalar & 0x3F))
        }
    }

    /// Four hex digits at `offset` as a number.
    private func hex4(at offset: Int) throws(JSONParseError) -> UInt32 {
        var value: UInt32 = 0
        for i in offset..<offset + 4 {
            guard i < endIndex else { throw unexpected(at: i) }
            let byte = bytes[i]
            let digit: UInt8
            switch byte {
            case 0x30...0x39: digit = byte - 0x30
            case 0x41...0x46: digit = byte - 0x41 + 10
            case 0x61...0x66: digit = byte - 0x61 + 10
            default: throw JSONParseError(offset: i, reason: "invalid \\u escape: expected a hex digit")
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// "invalid escape '\\q'" for a printable byte after the backslash at `offset`, else its hex.
    private func invalidEscape(at offset: Int) -> JSONParseError {
        let byte = bytes[offset + 1]
        guard (0x21..<0x7F).contains(byte) else {
            return JSONParseError(offset: offset, reason: "invalid escape: byte \(Self.hex(byte)) after '\\'")
        }
        return JSONParseError(offset: offset, reason: "invalid escape '\\\(Character(Unicode.Scalar(byte)))'")
    }

    private func controlCharacter(at offset: Int) -> JSONParseError {
        JSONParseError(offset: offset, reason: "unescaped control character \(Self.hex(bytes[offset])) in string")
    }

    /// The offset of the first byte in `start..<end` that does not begin or continue a valid
    /// UTF-8 sequence (overlong forms, surrogates and values past U+10FFFF are invalid).
    func firstInvalidUTF8(from start: Int, to end: Int) -> Int? {
        var i = start
        while i < end {
            let lead = bytes[i]
            let length: Int
            var (low, high): (UInt8, UInt8) = (0x80, 0xBF)  // bounds of the second byte
            switch lead {
            case 0x00...0x7F:
                i += 1
                continue
            case 0xC2...0xDF: length = 2
            case 0xE0: (length, low) = (3, 0xA0)
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: (length, high) = (3, 0x9F)
            case 0xF0: (length, low) = (4, 0x90)
            case 0xF1...0xF3: length = 4
            case 0xF4: (length, high) = (4, 0x8F)
            default: return i
            }
            for k in 1..<length {
                guard i + k < end else { return i + k }
                let byte = bytes[i + k]
                if k == 1 ? !(low...high).contains(byte) : !(0x80...0xBF).contains(byte) { return i + k }
            }
            i += length
        }
        return nil
    }
}
