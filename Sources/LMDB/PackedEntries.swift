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

    public func key(_ index: Int) -> ArraySlice<UInt8> { bytes[bounds[2 * index]..<bounds[2 * index + 1]] }
    public func value(_ index: Int) -> ArraySlice<UInt8> { bytes[bounds[2 * index + 1]..<bounds[2 * index + 2]] }

    /// The entries in key order (LMDB's default: bytewise, a prefix first). Sorts each key's
    /// first 16 bytes held as two integers, so only keys whose first 16 bytes tie are
    /// compared in full. Keys are expected to be distinct; equal keys keep no set order.
    public func sorted() -> PackedEntries {
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
            var sorted = PackedEntries(reservingCapacity: count, byteCount: bytes.count)
            for slot in slots { sorted.append(entry: slot.index, of: raw, bounds: bounds) }
            return sorted
        }
    }

    /// `a` and `b`, each in key order, as one in key order; `combine` makes the one value of
    /// a key found in both.
    public static func merged(
        _ a: PackedEntries, _ b: PackedEntries, combine: (ArraySlice<UInt8>, ArraySlice<UInt8>) -> [UInt8]
    ) -> PackedEntries {
        var merged = PackedEntries(reservingCapacity: a.count + b.count, byteCount: a.bytes.count + b.bytes.count)
        a.bytes.withUnsafeBytes { left in
            b.bytes.withUnsafeBytes { right in
                var i = 0
                var j = 0
                while i < a.count, j < b.count {
                    let order = ByteKey.compare(
                        UnsafeRawBufferPointer(rebasing: left[a.bounds[2 * i]..<a.bounds[2 * i + 1]]),
                        UnsafeRawBufferPointer(rebasing: right[b.bounds[2 * j]..<b.bounds[2 * j + 1]]))
                    if order < 0 {
                        merged.append(entry: i, of: left, bounds: a.bounds)
                        i += 1
                    } else if order > 0 {
                        merged.append(entry: j, of: right, bounds: b.bounds)
                        j += 1
                    } else {
                        merged.append(key: a.key(i), value: combine(a.value(i), b.value(j)))
                        i += 1
                        j += 1
                    }
                }
                for index in i..<a.count { merged.append(entry: index, of: left, bounds: a.bounds) }
                for index in j..<b.count { merged.append(entry: index, of: right, bounds: b.bounds) }
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

/// A key's first 16 bytes as two integers, and which entry it is (see `PackedEntries.sorted`).
private struct SortSlot {
    var high: UInt64
    var low: UInt64
    var index: Int
}
