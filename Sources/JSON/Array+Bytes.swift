extension Array where Element == UInt8 {
    /// Appends `count` copies of `byte` as one fill (`append(contentsOf: repeatElement(…))`
    /// goes through the generic sequence path, a byte at a time).
    public mutating func append(repeating byte: UInt8, count: Int) {
        append(addingCapacity: count) { $0.append(repeating: byte, count: count) }
    }

    /// Appends `text`'s UTF-8 in one pass into room reserved once: `append(contentsOf:
    /// text.utf8)` takes a short string, held inline, a byte at a time through its iterator
    /// (~160 instructions for a 12-byte member name).
    public mutating func append(utf8 text: String) { append(span: text.utf8.span) }

    /// Appends `bytes` in one pass into room reserved once: `append(contentsOf:)` of a
    /// collection other than an array (a string's UTF-8, a NIO buffer's view) goes through its
    /// iterator or a generic copy, an element at a time with a check each.
    @inlinable
    public mutating func append(span bytes: Span<UInt8>) {
        append(addingCapacity: bytes.count) { out in
            for index in bytes.indices { out.append(bytes[index]) }
        }
    }
}

extension Span where Element == UInt8 {
    /// Whether the bytes at `range` are those of `other` at `otherRange`, compared eight at a
    /// time while eight remain.
    public func bytes(_ range: Range<Int>, equal other: Span<UInt8>, _ otherRange: Range<Int>) -> Bool {
        guard range.count == otherRange.count else { return false }
        var offset = 0
        while offset + 8 <= range.count {
            let (start, otherStart) = (range.lowerBound + offset, otherRange.lowerBound + offset)
            guard JSONParser.Scanner.word(self, at: start) == JSONParser.Scanner.word(other, at: otherStart) else { return false }
            offset += 8
        }
        for offset in offset..<range.count where self[range.lowerBound + offset] != other[otherRange.lowerBound + offset] { return false }
        return true
    }
}
