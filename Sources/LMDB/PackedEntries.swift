/// Key-value entries packed one after another in one buffer: `key₀ value₀ key₁ value₁ …`.
///
/// For the tables a view replay builds, hundreds of thousands of entries: sorting, merging,
/// writing out (`WriteTransaction.put(_:_:_:flags:)`) and freeing them cost a few
/// allocations, where an array per key and per value costs two each, and as many frees.
public struct PackedEntries: Sendable {
    @usableFromInline var bytes: [UInt8] = []
    /// Entry `i`'s key is `bytes[bounds[2i] ..< bounds[2i + 1]]`; its value runs on to
    /// `bounds[2i + 2]`.
    @usableFromInline var bounds: [Int] = [0]

    public init() {}

    /// Room for `count` entries of `byteCount` bytes in all, without growing.
    public init(reservingCapacity count: Int, byteCount: Int) {
        bytes.reserveCapacity(byteCount)
        bounds.reserveCapacity(2 * count + 1)
    }

    public var count: Int { bounds.count / 2 }
    /// The keys' and values' bytes, all together.
    public var byteCount: Int { bytes.count }
    public var isEmpty: Bool { bounds.count == 1 }

    @inlinable
    public mutating func append(key: some Sequence<UInt8>, value: some Sequence<UInt8>) {
        bytes.append(contentsOf: key)
        bounds.append(bytes.count)
        bytes.append(contentsOf: value)
        bounds.append(bytes.count)
    }

    /// Appends an entry that `writeKey` and then `writeValue` append to the buffer, so a key
    /// made of parts, or a value written by a serializer, is not first built apart.
    @inlinable
    public mutating func append(key writeKey: (inout [UInt8]) -> Void, value writeValue: (inout [UInt8]) -> Void) {
        writeKey(&bytes)
        bounds.append(bytes.count)
        writeValue(&bytes)
        bounds.append(bytes.count)
    }

    public func key(_ index: Int) -> ArraySlice<UInt8> { bytes[bounds[2 * index]..<bounds[2 * index + 1]] }
    public func value(_ index: Int) -> ArraySlice<UInt8> { bytes[bounds[2 * index + 1]..<bounds[2 * index + 2]] }

    /// Calls `body` with each entry's key and value where they lie, in packing order.
    public func forEachEntry(_ body: (_ key: Span<UInt8>, _ value: Span<UInt8>) throws -> Void) rethrows {
        let all = bytes.span
        for index in 0..<count {
            let (start, split, end) = (bounds[2 * index], bounds[2 * index + 1], bounds[2 * index + 2])
            try body(all.extracting(start..<split), all.extracting(split..<end))
        }
    }

    /// The entries in key order (LMDB's default: bytewise, a prefix first), for `merged`.
    /// Sorts each key's first 16 bytes held as two integers, so only keys whose first 16
    /// bytes tie are compared in full. Equal keys keep no set order.
    public func sorted() -> SortedRun {
        var slots = bytes.withUnsafeBytes { raw in (0..<count).map { SortSlot(raw, bounds, entry: $0) } }
        bytes.withUnsafeBytes { raw in slots.sort { $0.compare($1, raw, bounds, raw, bounds) < 0 } }
        return SortedRun(entries: self, slots: slots)
    }

    /// Sorted runs as one packing in key order, copying each entry once; `combine` makes the
    /// one value of a key that two runs hold (earlier run first). Entries of one run with
    /// equal keys are all kept.
    public static func merged(_ runs: [SortedRun], combine: (ArraySlice<UInt8>, ArraySlice<UInt8>) -> [UInt8]) -> PackedEntries {
        guard let first = runs.first else { return PackedEntries() }
        var merged = merge(first, runs.count > 1 ? runs[1] : PackedEntries().sorted(), combine: combine)
        for run in runs.dropFirst(2) { merged = merge(merged.inOrder(), run, combine: combine) }
        return merged
    }

    /// Entries already in key order, as a run.
    private func inOrder() -> SortedRun {
        SortedRun(entries: self, slots: bytes.withUnsafeBytes { raw in (0..<count).map { SortSlot(raw, bounds, entry: $0) } })
    }

    /// Two sorted runs merged into a new packing. The runs' slots are read in order, and a
    /// key's bytes only when its prefix ties or it is copied.
    private static func merge(_ a: SortedRun, _ b: SortedRun, combine: (ArraySlice<UInt8>, ArraySlice<UInt8>) -> [UInt8]) -> PackedEntries {
        let (left, right) = (a.entries, b.entries)
        var merged = PackedEntries(reservingCapacity: left.count + right.count, byteCount: left.bytes.count + right.bytes.count)
        left.bytes.withUnsafeBytes { leftBytes in
            right.bytes.withUnsafeBytes { rightBytes in
                var i = 0
                var j = 0
                while i < a.slots.count, j < b.slots.count {
                    let (x, y) = (a.slots[i], b.slots[j])
                    let order = x.compare(y, leftBytes, left.bounds, rightBytes, right.bounds)
                    if order < 0 {
                        merged.append(entry: x.index, of: leftBytes, bounds: left.bounds)
                        i += 1
                    } else if order > 0 {
                        merged.append(entry: y.index, of: rightBytes, bounds: right.bounds)
                        j += 1
                    } else {
                        merged.append(key: left.key(x.index), value: combine(left.value(x.index), right.value(y.index)))
                        i += 1
                        j += 1
                    }
                }
                for slot in a.slots[i...] { merged.append(entry: slot.index, of: leftBytes, bounds: left.bounds) }
                for slot in b.slots[j...] { merged.append(entry: slot.index, of: rightBytes, bounds: right.bounds) }
            }
        }
        return merged
    }

    /// Copies entry `index` of another packing (its buffer and bounds) onto the end.
    private mutating func append(entry index: Int, of raw: UnsafeRawBufferPointer, bounds source: [Int]) {
        let start = source[2 * index]
        let split = source[2 * index + 1]
        let end = source[2 * index + 2]
        bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[start..<end]))
        bounds.append(bytes.count - (end - split))
        bounds.append(bytes.count)
    }
}

/// Packed entries and their order by key (`PackedEntries.sorted()`).
public struct SortedRun: Sendable {
    public let entries: PackedEntries
    fileprivate let slots: [SortSlot]
}

/// A key's first 16 bytes as two integers, and which entry it is (see `PackedEntries.sorted`).
private struct SortSlot: Sendable {
    var high: UInt64 = 0
    var low: UInt64 = 0
    var index: Int

    init(_ raw: UnsafeRawBufferPointer, _ bounds: [Int], entry: Int) {
        index = entry
        let key = Self.key(entry, raw, bounds)
        for offset in 0..<16 {
            let byte = offset < key.count ? UInt64(key[offset]) : 0
            if offset < 8 { high = high << 8 | byte } else { low = low << 8 | byte }
        }
    }

    /// This slot's key (in `raw`, `bounds`) against `other`'s (in `otherRaw`, `otherBounds`):
    /// negative, zero or positive, as `ByteKey.compare`.
    func compare(
        _ other: SortSlot, _ raw: UnsafeRawBufferPointer, _ bounds: [Int], _ otherRaw: UnsafeRawBufferPointer, _ otherBounds: [Int]
    ) -> Int {
        if high != other.high { return high < other.high ? -1 : 1 }
        if low != other.low { return low < other.low ? -1 : 1 }
        return ByteKey.compare(Self.key(index, raw, bounds), Self.key(other.index, otherRaw, otherBounds))
    }

    private static func key(_ entry: Int, _ raw: UnsafeRawBufferPointer, _ bounds: [Int]) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: raw[bounds[2 * entry]..<bounds[2 * entry + 1]])
    }
}
