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

    /// The entries' indexes in key order (LMDB's default: bytewise, a prefix first), for
    /// `merged`. Sorts each key's first 16 bytes held as two integers, so only keys whose
    /// first 16 bytes tie are compared in full. Equal keys keep no set order.
    public func sortedOrder() -> [Int] {
        bytes.withUnsafeBytes { raw in
            let key = { (index: Int) in UnsafeRawBufferPointer(rebasing: raw[bounds[2 * index]..<bounds[2 * index + 1]]) }
            var slots = (0..<count).map { index in
                let bytes = key(index)
                var high: UInt64 = 0
                var low: UInt64 = 0
                for offset in 0..<16 {
                    let byte = offset < bytes.count ? UInt64(bytes[offset]) : 0
                    if offset < 8 { high = high << 8 | byte } else { low = low << 8 | byte }
                }
                return SortSlot(high: high, low: low, index: index)
            }
            slots.sort { a, b in
                if a.high != b.high { return a.high < b.high }
                if a.low != b.low { return a.low < b.low }
                return ByteKey.compare(key(a.index), key(b.index)) < 0
            }
            return slots.map(\.index)
        }
    }

    /// Sorted runs, each entries with their `sortedOrder()`, as one packing in key order,
    /// copying each entry once; `combine` makes the one value of a key that two runs hold
    /// (earlier run first). Entries of one run with equal keys are all kept.
    public static func merged(
        _ runs: [(entries: PackedEntries, order: [Int])], combine: (ArraySlice<UInt8>, ArraySlice<UInt8>) -> [UInt8]
    ) -> PackedEntries {
        guard let first = runs.first else { return PackedEntries() }
        var merged = merge(first, runs.count > 1 ? runs[1] : (PackedEntries(), []), combine: combine)
        for run in runs.dropFirst(2) { merged = merge((merged, Array(0..<merged.count)), run, combine: combine) }
        return merged
    }

    /// Two sorted runs merged into a new packing.
    private static func merge(
        _ a: (entries: PackedEntries, order: [Int]), _ b: (entries: PackedEntries, order: [Int]),
        combine: (ArraySlice<UInt8>, ArraySlice<UInt8>) -> [UInt8]
    ) -> PackedEntries {
        let (left, right) = (a.entries, b.entries)
        var merged = PackedEntries(reservingCapacity: left.count + right.count, byteCount: left.bytes.count + right.bytes.count)
        left.bytes.withUnsafeBytes { leftBytes in
            right.bytes.withUnsafeBytes { rightBytes in
                var i = 0
                var j = 0
                while i < a.order.count, j < b.order.count {
                    let (x, y) = (a.order[i], b.order[j])
                    let order = ByteKey.compare(
                        UnsafeRawBufferPointer(rebasing: leftBytes[left.bounds[2 * x]..<left.bounds[2 * x + 1]]),
                        UnsafeRawBufferPointer(rebasing: rightBytes[right.bounds[2 * y]..<right.bounds[2 * y + 1]]))
                    if order < 0 {
                        merged.append(entry: x, of: leftBytes, bounds: left.bounds)
                        i += 1
                    } else if order > 0 {
                        merged.append(entry: y, of: rightBytes, bounds: right.bounds)
                        j += 1
                    } else {
                        merged.append(key: left.key(x), value: combine(left.value(x), right.value(y)))
                        i += 1
                        j += 1
                    }
                }
                for index in a.order[i...] { merged.append(entry: index, of: leftBytes, bounds: left.bounds) }
                for index in b.order[j...] { merged.append(entry: index, of: rightBytes, bounds: right.bounds) }
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

/// A key's first 16 bytes as two integers, and which entry it is (see `PackedEntries.sortedOrder`).
private struct SortSlot {
    var high: UInt64
    var low: UInt64
    var index: Int
}
