import LMDB

/// Keys of the `streams` database: `stream ‖ 0x00 ‖ version (u64 BE)` → seq (u64 BE).
/// A stream's entries are adjacent and in version order, so its head is the last key of its range.
enum StreamIndex {
    static func key(_ stream: String, version: UInt64) -> [UInt8] { NameKey.key(stream, version) }

    /// The version of `stream`'s last event, 0 when it has none.
    static func lastVersion(of stream: String, in txn: Transaction, store: Store) throws -> UInt64 {
        let prefix = Array(stream.utf8) + [0]
        let entry = try txn.withCursor(store.streams) { try $0.seek(atMost: prefix + BigEndian.bytes(.max)) }
        guard let (key, _) = entry, key.count == prefix.count + 8, key.starts(with: prefix) else { return 0 }
        return BigEndian.uint64(key, at: prefix.count) ?? 0
    }
}
