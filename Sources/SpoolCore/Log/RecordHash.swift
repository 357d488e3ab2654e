import LMDB

/// A record's SHA-256 as four words held by value, so the writer hands each record's hash
/// on to the next without touching a reference count.
struct RecordHash: Equatable, Sendable {
    private let words: SIMD4<UInt64>

    /// The previous hash of the first record: 32 zero bytes.
    static let zero = RecordHash(words: .zero)

    /// The hash whose bytes are the four words, each written big-endian.
    init(words: SIMD4<UInt64>) { self.words = words }

    /// The SHA-256 of `bytes[range]` (a range, not a slice: a slice counts a reference to the array).
    init(digestOf bytes: [UInt8], in range: Range<Int>) {
        var hasher = SHA256Hasher()
        hasher.update(bytes, in: range)
        self.init(words: hasher.finalizeWords())
    }

    /// The hash whose bytes are `bytes`; nil unless there are 32 of them.
    init?<C: Collection<UInt8>>(_ bytes: C) where C.Index == Int {
        guard bytes.count == EventRecord.hashSize,
            let a = BigEndian.uint64(bytes, at: bytes.startIndex), let b = BigEndian.uint64(bytes, at: bytes.startIndex + 8),
            let c = BigEndian.uint64(bytes, at: bytes.startIndex + 16), let d = BigEndian.uint64(bytes, at: bytes.startIndex + 24)
        else { return nil }
        words = SIMD4(a, b, c, d)
    }

    /// Writes the 32 bytes over `buffer[offset...]`, which must hold them.
    func write(to buffer: inout [UInt8], at offset: Int) {
        for index in 0..<4 { BigEndian.write(words[index], to: &buffer, at: offset + 8 * index) }
    }

    var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: EventRecord.hashSize)
        write(to: &out, at: 0)
        return out
    }
}
