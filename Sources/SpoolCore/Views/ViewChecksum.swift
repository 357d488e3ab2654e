import LMDB

/// A deterministic digest of a view's content: SHA-256 over its tables' digests in order, each
/// as `index u64 BE ‖ digest`, where a table's digest is SHA-256 over its entries in key order,
/// each as `len(key) u32 BE ‖ key ‖ len(value) u32 BE ‖ value`. Two views with the same entries
/// have the same checksum, wherever they live. Tables are hashed apart so that a rebuild
/// hashes each as soon as it is sorted, on the thread that sorted it (hashing a view's tables
/// in one stream waited for its last table and ran on one core at the end).
public enum ViewChecksum {
    /// The checksum of `view`'s tables as `txn` sees them.
    static func stored(_ tables: [Database], in txn: Transaction) throws -> String {
        try combine(
            tables.map { table in
                var digest = TableDigest()
                try txn.scanInPlace(table) { key, value in
                    digest.add(key, value)
                    return true
                }
                return digest.finish()
            })
    }

    /// The checksum of a view held elsewhere: `entries(index)` gives table `index`'s entries
    /// in key order.
    static func of(tableCount: Int, entries: (Int) -> PackedEntries) -> String {
        combine((0..<tableCount).map { table(entries($0)) })
    }

    /// One table's digest, of `entries` in key order.
    static func table(_ entries: PackedEntries) -> [UInt8] {
        var digest = TableDigest()
        entries.forEachEntry { digest.add($0, $1) }
        return digest.finish()
    }

    /// A view's checksum from its tables' digests, in table order.
    static func combine(_ tables: [[UInt8]]) -> String {
        var hasher = SHA256Hasher()
        for (index, digest) in tables.enumerated() {
            hasher.update(BigEndian.bytes(UInt64(index)))
            hasher.update(digest)
        }
        return Hex.encode(hasher.finalize())
    }

    /// The framed entries of one table being hashed. Entries are framed into a buffer that is
    /// hashed when it fills: a hash call per entry cost more than the hashing of most entries.
    private struct TableDigest {
        private var hasher = SHA256Hasher()
        private var framed: [UInt8] = []
        private static let flushSize = 1 << 16

        init() { framed.reserveCapacity(Self.flushSize + 1024) }

        mutating func add(_ key: Span<UInt8>, _ value: Span<UInt8>) {
            BigEndian.append(UInt32(key.count), to: &framed)
            framed.append(copying: key)
            BigEndian.append(UInt32(value.count), to: &framed)
            framed.append(copying: value)
            if framed.count >= Self.flushSize { flush() }
        }

        private mutating func flush() {
            hasher.update(framed)
            framed.removeAll(keepingCapacity: true)
        }

        mutating func finish() -> [UInt8] {
            flush()
            return hasher.finalize()
        }
    }
}
