import Crypto
import LMDB

/// A deterministic digest of a view's content: SHA-256 over every table in order, every entry
/// in key order, each as `len(key) u32 BE ‖ key ‖ len(value) u32 BE ‖ value`, tables separated
/// by their index. Two views with the same entries have the same checksum, wherever they live.
public enum ViewChecksum {
    /// The checksum of `view`'s tables as `txn` sees them.
    static func stored(_ tables: [Database], in txn: Transaction) throws -> String {
        var hasher = SHA256()
        var framed: [UInt8] = []
        for (index, table) in tables.enumerated() {
            hasher.update(data: BigEndian.bytes(UInt64(index)))
            try txn.scanInPlace(table) { key, value in
                add(key, value, to: &hasher, framed: &framed)
                return true
            }
        }
        return Hex.encode(Array(hasher.finalize()))
    }

    /// The checksum of a view held elsewhere: `entries(index)` gives table `index`'s entries
    /// in key order.
    static func of(tableCount: Int, entries: (Int) -> PackedEntries) -> String {
        var hasher = SHA256()
        var framed: [UInt8] = []
        for index in 0..<tableCount {
            hasher.update(data: BigEndian.bytes(UInt64(index)))
            let table = entries(index)
            for entry in 0..<table.count {
                let (key, value) = (table.key(entry), table.value(entry))
                add(key.span, value.span, to: &hasher, framed: &framed)
            }
        }
        return Hex.encode(Array(hasher.finalize()))
    }

    /// Hashes one framed entry; `framed` is scratch space, reused from entry to entry.
    private static func add(_ key: Span<UInt8>, _ value: Span<UInt8>, to hasher: inout SHA256, framed: inout [UInt8]) {
        framed.removeAll(keepingCapacity: true)
        BigEndian.append(UInt32(key.count), to: &framed)
        framed.append(copying: key)
        BigEndian.append(UInt32(value.count), to: &framed)
        framed.append(copying: value)
        hasher.update(data: framed)
    }
}
