import Foundation

/// Big-endian integer encoding for keys: LMDB compares keys as bytes, so big-endian integers
/// sort in numeric order and keys that grow arrive in order (cheap `MDB_APPEND` puts).
/// Inlinable, so every module that reads records gets copies specialized for its collection
/// (unspecialized, each byte read went through generic dispatch).
public enum BigEndian {
    /// The 8 bytes of `value`, most significant first.
    @inlinable
    public static func bytes(_ value: UInt64) -> [UInt8] {
        // A literal: `Array(repeating:count:)` looked the array's type up at run time, each call.
        var out: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0]
        write(value, to: &out, at: 0)
        return out
    }

    /// Appends the 8 big-endian bytes of `value` to `buffer`.
    @inlinable
    public static func append(_ value: UInt64, to buffer: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { buffer.append(contentsOf: $0) }  // one append, not eight
    }

    /// Appends the 4 big-endian bytes of `value` to `buffer`.
    @inlinable
    public static func append(_ value: UInt32, to buffer: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { buffer.append(contentsOf: $0) }
    }

    /// Writes the big-endian bytes of `value` over `buffer[offset...]`, which must hold them
    /// (traps otherwise, as a subscript would). One store, not one per byte.
    @inlinable
    public static func write<T: FixedWidthInteger>(_ value: T, to buffer: inout [UInt8], at offset: Int) {
        precondition(offset >= 0 && offset <= buffer.count - T.bitWidth / 8, "BigEndian.write out of bounds")
        buffer.withUnsafeMutableBytes { $0.storeBytes(of: value.bigEndian, toByteOffset: offset, as: T.self) }
    }

    /// The big-endian UInt64 at `offset`, or nil when fewer than 8 bytes remain.
    @inlinable
    public static func uint64<C: Collection<UInt8>>(_ bytes: C, at offset: Int) -> UInt64? where C.Index == Int {
        integer(at: offset, in: bytes.startIndex..<bytes.endIndex) { bytes[$0] }
    }

    /// The big-endian UInt64 at `offset` of bytes lent by a scan, or nil when fewer than 8
    /// bytes remain.
    @inlinable
    public static func uint64(_ bytes: Span<UInt8>, at offset: Int) -> UInt64? {
        integer(at: offset, in: 0..<bytes.count) { bytes[$0] }
    }

    /// The big-endian UInt32 at `offset`, or nil when fewer than 4 bytes remain.
    @inlinable
    public static func uint32<C: Collection<UInt8>>(_ bytes: C, at offset: Int) -> UInt32? where C.Index == Int {
        integer(at: offset, in: bytes.startIndex..<bytes.endIndex) { bytes[$0] }
    }

    /// The big-endian UInt32 at `offset` of bytes lent by a scan, or nil when fewer than 4
    /// bytes remain.
    @inlinable
    public static func uint32(_ bytes: Span<UInt8>, at offset: Int) -> UInt32? {
        integer(at: offset, in: 0..<bytes.count) { bytes[$0] }
    }

    /// The big-endian integer whose bytes start at `offset`, reading byte `i` as `byte(i)`;
    /// nil when it does not fit in `indices`.
    @inlinable
    static func integer<T: FixedWidthInteger>(at offset: Int, in indices: Range<Int>, _ byte: (Int) -> UInt8) -> T? {
        let size = T.bitWidth / 8
        guard offset >= indices.lowerBound, offset + size <= indices.upperBound else { return nil }
        var value: T = 0
        for i in offset..<offset + size { value = value << 8 | T(byte(i)) }
        return value
    }
}
