/// JSON text known to be valid and written the way `JSONWriter` writes it (no whitespace,
/// escapes only where JSON needs them): a record's data, a row's attributes. Read where it
/// lies, member by member, without building values.
///
/// Guarantees: on such text every answer is exact. On any other text the answers are
/// meaningless but safe: nothing is read outside `range` and nothing traps. Whoever makes one
/// vouches for the text (`init(written:in:)`).
/// Rejected: a tape of offsets built beside every text (one more allocation per event, for
/// texts that are small and read once; `JSONObjectText` keeps one for the text it patches).
public struct JSONText: Sendable {
    public let bytes: [UInt8]
    public let range: Range<Int>

    /// The value written at `range` of `bytes`.
    public init(written bytes: [UInt8], in range: Range<Int>) {
        self.bytes = bytes
        self.range = range.clamped(to: bytes.indices)
    }

    /// One member of an object: its key's text between the quotes (escapes as written) and its
    /// value's text, both as ranges of `bytes`.
    public struct Member: Sendable {
        public let key: Range<Int>
        public let value: Range<Int>

        /// The same member in a text whose bytes lie `shift` further on.
        func shifted(by shift: Int) -> Member {
            Member(key: key.lowerBound + shift..<key.upperBound + shift, value: value.lowerBound + shift..<value.upperBound + shift)
        }
    }

    /// The object's members in order; none when the text is not an object.
    public var members: Members { Members(text: self) }

    /// The array's elements in order, as ranges of `bytes`; none when the text is not an array.
    public var elements: Elements { Elements(text: self) }

    /// The value at `value`, a member's or element's range, as text of its own.
    public func text(of value: Range<Int>) -> JSONText { JSONText(written: bytes, in: value) }

    /// The index of `key`, a member's key, among `names` (byte for byte, as written).
    public func index(of key: Range<Int>, among names: JSONReader.Names) -> Int? {
        names.index(of: bytes.span.extracting(key))
    }

    /// The byte that starts `value`: `"` a string, `{` an object, `[` an array, `n` null,
    /// `t`/`f` a boolean, otherwise a number.
    public func kind(of value: Range<Int>) -> UInt8 { value.isEmpty ? 0 : bytes[value.lowerBound] }

    /// The string at `value`, or nil when it is not a string. Decoded through the parser only
    /// when it holds an escape.
    public func string(_ value: Range<Int>) -> String? {
        guard kind(of: value) == 0x22, value.count >= 2 else { return nil }
        let content = value.lowerBound + 1..<value.upperBound - 1
        let span = bytes.span
        for index in content where span[index] == 0x5C {
            return (try? JSONParser.parse(bytes, in: value))?.stringValue
        }
        return String(decoding: bytes[content], as: UTF8.self)
    }

    /// The members of an object, in order. `next()` reads each whole; `nextKey()` stops at a
    /// member's value, for a caller that reads the value itself and then says where it ended
    /// (`resume(after:)`), or lets `skipValue()` find it.
    public struct Members: Sequence, IteratorProtocol {
        private let text: JSONText
        /// Once the members are all read, just past the object.
        public private(set) var position: Int

        fileprivate init(text: JSONText) {
            self.text = text
            position = text.kind(of: text.range) == 0x7B ? text.range.lowerBound + 1 : text.range.upperBound
        }

        public mutating func next() -> Member? {
            guard let key = nextKey() else { return nil }
            return Member(key: key, value: skipValue())
        }

        /// The next member's key; the iterator is then at its value.
        public mutating func nextKey() -> Range<Int>? {
            let end = text.range.upperBound
            let bytes = text.bytes
            let span = bytes.span
            guard position < end, span[position] == 0x22 else {
                // An empty object's }: past any other object's, the last value's end moved on.
                if position == text.range.lowerBound + 1, position < end, span[position] == 0x7D { position += 1 }
                return nil
            }
            let keyEnd = JSONText.stringEnd(span, from: position + 1, to: end)
            let key = position + 1..<Swift.max(position + 1, keyEnd - 1)
            position = Swift.min(keyEnd + 1, end)  // past the colon
            return key
        }

        /// The value the iterator is at, which it moves past.
        public mutating func skipValue() -> Range<Int> {
            let bytes = text.bytes
            let valueEnd = JSONText.valueEnd(bytes.span, from: position, to: text.range.upperBound)
            defer { resume(after: valueEnd) }
            return position..<valueEnd
        }

        /// Moves past the value the iterator is at, which ends at `valueEnd`.
        public mutating func resume(after valueEnd: Int) {
            position = Swift.min(valueEnd + 1, text.range.upperBound)  // past the comma, or the closing brace
        }
    }

    /// The elements of an array, in order, as ranges of `bytes`.
    public struct Elements: Sequence, IteratorProtocol {
        private let text: JSONText
        private var index: Int

        fileprivate init(text: JSONText) {
            self.text = text
            index = text.kind(of: text.range) == 0x5B ? text.range.lowerBound + 1 : text.range.upperBound
        }

        public mutating func next() -> Range<Int>? {
            let end = text.range.upperBound
            let bytes = text.bytes
            let span = bytes.span
            guard index < end, span[index] != 0x5D else { return nil }
            let valueEnd = JSONText.valueEnd(span, from: index, to: end)
            defer { index = Swift.min(valueEnd + 1, end) }
            return index..<valueEnd
        }
    }

    /// The end of the value that starts at `start` in `span`, which ends at `end`.
    private static func valueEnd(_ span: Span<UInt8>, from start: Int, to end: Int) -> Int {
        guard start < end else { return end }
        switch span[start] {
        case 0x22: return stringEnd(span, from: start + 1, to: end)
        case 0x7B, 0x5B:
            var depth = 0
            var index = start
            while index < end {
                switch span[index] {
                case 0x22:
                    index = stringEnd(span, from: index + 1, to: end)
                    continue
                case 0x7B, 0x5B: depth += 1
                case 0x7D, 0x5D:
                    depth -= 1
                    if depth == 0 { return index + 1 }
                default: break
                }
                index += 1
            }
            return end
        default:
            var index = start
            while index < end, span[index] != 0x2C, span[index] != 0x7D, span[index] != 0x5D { index += 1 }
            return index
        }
    }

    /// Just past the closing quote of the string whose text starts at `start`: eight bytes at a
    /// time up to the next quote or backslash (`JSONParser.Scanner.stopBits`).
    private static func stringEnd(_ span: Span<UInt8>, from start: Int, to end: Int) -> Int {
        var index = start
        while index < end {
            if index + 8 <= end {
                let stops = JSONParser.Scanner.stopBits(JSONParser.Scanner.word(span, at: index))
                if stops == 0 {
                    index += 8
                    continue
                }
                index += stops.trailingZeroBitCount / 8
            }
            switch span[index] {
            case 0x22: return index + 1
            case 0x5C: index += 2
            default: index += 1
            }
        }
        return end
    }
}
