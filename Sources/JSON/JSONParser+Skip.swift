/// Values checked without being built: `skipValue` throws exactly where `parseValue` throws,
/// with the same error, and otherwise only moves past the value (and clears `canonical` as
/// `parseValue` would). A string with an escape is still decoded to be checked; nothing else
/// allocates, but for an object of more than 16 keys (its keys then go in a set, as the
/// parser's do).
extension JSONParser.Scanner {
    /// Skips the value at `index` (no leading whitespace), `depth` containers around it.
    /// Returns its number of members or elements (0 for a scalar).
    mutating func skipValue(depth: Int) throws(JSONParseError) -> Int {
        guard index < endIndex else { throw unexpected(at: index) }
        switch bytes[index] {
        case 0x22:
            _ = try skipString()
            return 0
        case 0x7B: return try skipObject(depth: depth + 1)
        case 0x5B: return try skipArray(depth: depth + 1)
        default:
            _ = try parseValue(depth: depth)  // a scalar: nothing to allocate
            return 0
        }
    }

    private mutating func skipArray(depth: Int) throws(JSONParseError) -> Int {
        guard depth <= maxDepth else { throw tooDeep() }
        if opensEmpty(closing: 0x5D) { return 0 }
        var count = 0
        while true {
            _ = try skipValue(depth: depth)
            count += 1
            if try closes(0x5D) { return count }
        }
    }

    private mutating func skipObject(depth: Int) throws(JSONParseError) -> Int {
        guard depth <= maxDepth else { throw tooDeep() }
        let start = index
        if opensEmpty(closing: 0x7D) { return 0 }
        var keys = JSONKeySet()
        while true {
            guard index < endIndex, bytes[index] == 0x22 else { throw unexpected(at: index) }
            let keyOffset = index
            let (key, escaped) = try skipString()
            if escaped {
                // Its bytes do not tell the key from another: the parser checks the object.
                index = start
                let object = try parseObject(depth: depth)
                canonical = false
                return object.objectValue?.count ?? 0
            }
            guard keys.insert(key, in: bytes) else { throw duplicate(String(decoding: bytes[key], as: UTF8.self), at: keyOffset) }
            skipWhitespace()
            try consume(0x3A)  // :
            skipWhitespace()
            _ = try skipValue(depth: depth)
            if try closes(0x7D) { return keys.count }
        }
    }
}

/// The keys of an object read without being built, as ranges of the input, to refuse one given
/// twice: the first 16 compared one by one, held inline; past them, all of them in a set.
public struct JSONKeySet {
    private var first = InlineArray<16, Range<Int>>(repeating: 0..<0)
    private var more: Set<ArraySlice<UInt8>> = []
    private(set) var count = 0

    public init() {}

    /// Notes `key`, an unescaped key's text in `bytes`: false, and nothing noted, when the set
    /// has it already.
    mutating func insert(_ key: Range<Int>, in bytes: [UInt8]) -> Bool {
        guard count < 16 else {
            if count == 16 { for position in 0..<16 { more.insert(bytes[first[position]]) } }
            count += 1
            return more.insert(bytes[key]).inserted
        }
        let span = bytes.span
        for position in 0..<count where span.bytes(first[position], equal: span, key) { return false }
        first[count] = key
        count += 1
        return true
    }
}
