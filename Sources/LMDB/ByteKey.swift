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

    /// Negative, zero or positive as `a` sorts before, with or after `b`.
    public static func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        a.withUnsafeBytes { x in b.withUnsafeBytes { y in compare(x, y) } }
    }

    /// `compare` of bytes where they lie.
    static func compare(_ x: UnsafeRawBufferPointer, _ y: UnsafeRawBufferPointer) -> Int {
        let common = min(x.count, y.count)
        if common > 0, let left = x.baseAddress, let right = y.baseAddress {
            let order = memcmp(left, right, common)
            if order != 0 { return Int(order) }
        }
        return x.count - y.count
    }
}
