import Crypto
import LMDB

/// A deterministic digest of a view's content: SHA-256 over every table in order, every entry
/// in key order, each as `len(key) u32 BE ‖ key ‖ len(value) u32 BE ‖ value`, tables separated
/// by their index. Two views with the same entries have the same checksum, wherever they live.
public enum ViewChecksum {
    /// The checksum of `view`'s tables as `txn` sees them.
    static func stored(_ tables: [Database], in txn: Transaction) throws -> String {
        var digest = Digest()
        for (index, table) in tables.enumerated() {
            digest.startTable(index)
            try txn.scanInPlace(table) { key, value in
                digest.add(key, value)
                return true
            }
        }
        return digest.finish()
    }

    /// The checksum of a view held elsewhere: `entries(index)` gives table `index`'s entries
    /// in key order.
    static func of(tableCount: Int, entries: (Int) -> PackedEntries) -> String {
        var digest = Digest()
        for index in 0..<tableCount {
            digest.startTable(index)
            entries(index).forEachEntry { digest.add($0, $1) }
        }
        return digest.finish()
    }

    /// The framed stream being hashed. Entries are framed into a buffer that is hashed when
    /// it fills: a hash call per entry cost more than the hashing of most entries.
    private struct Digest {
        private var hasher = SHA256()
        private var framed: [UInt8] = []
        private static let flushSize = 1 << 16

        init() { framed.reserveCapacity(Self.flushSize + 1024) }

        mutating func startTable(_ index: Int) { BigEndian.append(UInt64(index), to: &framed) }

        mutating func add(_ key: Span<UInt8>, _ value: Span<UInt8>) {
            BigEndian.append(UInt32(key.count), to: &framed)
            framed.append(copying: key)
            BigEndian.append(UInt32(value.count), to: &framed)
            framed.append(copying: value)
            if framed.count >= Self.flushSize { flush() }
        }

        private mutating func flush() {
            hasher.update(data: framed)
            framed.removeAll(keepingCapacity: true)
        }

        mutating func finish() -> String {
            flush()
            return Hex.encode(Array(hasher.finalize()))
        }
    }
}
