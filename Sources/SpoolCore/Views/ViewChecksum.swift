import Crypto
import LMDB

/// A deterministic digest of a view's content: SHA-256 over every table in order, every entry
/// in key order, each as `len(key) u32 BE ‖ key ‖ len(value) u32 BE ‖ value`, tables separated
/// by their index. Two views with the same entries have the same checksum, wherever they live.
public enum ViewChecksum {
    /// The checksum of `view`'s tables as `txn` sees them.
    static func stored(_ tables: [Database], in txn: Transaction) throws -> String {
        var hasher = SHA256()
        for (index, table) in tables.enumerated() {
            hasher.update(data: BigEndian.bytes(UInt64(index)))
            try txn.scan(table) { key, value in
                add(key, value, to: &hasher)
                return true
            }
        }
        return Hex.encode(Array(hasher.finalize()))
    }

    /// The checksum of a view folded in memory.
    static func memory(_ tables: MemoryViewTables, count: Int) -> String {
        var hasher = SHA256()
        for index in 0..<count {
            hasher.update(data: BigEndian.bytes(UInt64(index)))
            for (key, value) in tables.sortedEntries(index) { add(key, value, to: &hasher) }
        }
        return Hex.encode(Array(hasher.finalize()))
    }

    private static func add(_ key: [UInt8], _ value: [UInt8], to hasher: inout SHA256) {
        var framed: [UInt8] = []
        framed.reserveCapacity(key.count + value.count + 8)
        BigEndian.append(UInt32(key.count), to: &framed)
        framed += key
        BigEndian.append(UInt32(value.count), to: &framed)
        framed += value
        hasher.update(data: framed)
    }
}
