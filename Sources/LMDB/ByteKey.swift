import Foundation

/// A key as LMDB orders it by default: its bytes compared as by `memcmp`, a shorter key
/// first when one is a prefix of the other.
///
/// For tables held in memory in LMDB's order (a view replay keeps hundreds of thousands):
/// hashing and comparing go over the bytes in one call each, where `[UInt8]` hashes and
/// compares element by element.
public struct ByteKey: Hashable, Comparable, Sendable {
    public let bytes: [UInt8]

    @inlinable
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    public static func == (lhs: ByteKey, rhs: ByteKey) -> Bool { compare(lhs.bytes, rhs.bytes) == 0 }

    public static func < (lhs: ByteKey, rhs: ByteKey) -> Bool { compare(lhs.bytes, rhs.bytes) < 0 }

    /// `entries` in key order. Sorts the keys' first 16 bytes held inline, so a comparison
    /// rarely reads a key's own storage (which lies all over the heap); only keys whose first
    /// 16 bytes tie are compared in full.
    public static func sortedByKey(_ entries: [(key: [UInt8], value: [UInt8])]) -> [(key: [UInt8], value: [UInt8])] {
        var slots = entries.indices.map { index in
            let key = entries[index].key
            var high: UInt64 = 0
            var low: UInt64 = 0
            for offset in 0..<16 {
                let byte = offset < key.count ? UInt64(key[offset]) : 0
                if offset < 8 { high = high << 8 | byte } else { low = low << 8 | byte }
            }
            return SortSlot(high: high, low: low, index: index)
        }
        slots.sort { a, b in
            if a.high != b.high { return a.high < b.high }
            if a.low != b.low { return a.low < b.low }
            return compare(entries[a.index].key, entries[b.index].key) < 0
        }
        return slots.map { entries[$0.index] }
    }

    /// Negative, zero or positive as `a` sorts before, with or after `b`.
    public static func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                let common = min(x.count, y.count)
                if common > 0, let left = x.baseAddress, let right = y.baseAddress {
                    let order = memcmp(left, right, common)
                    if order != 0 { return Int(order) }
                }
                return x.count - y.count
            }
        }
    }
}

/// A key's first 16 bytes as two integers, and where the key is (see `ByteKey.sortedByKey`).
private struct SortSlot {
    var high: UInt64
    var low: UInt64
    var index: Int
}
