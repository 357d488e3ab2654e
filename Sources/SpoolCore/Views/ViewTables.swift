import LMDB

/// The tables of one view, as a projector sees them: byte keys to byte values.
///
/// Two kinds stand behind it: `StoredViewTables` (LMDB databases of the live or rebuilding
/// slot, inside the writer's transaction) and `MemoryViewTables` (a replay held in memory,
/// for rebuilds and for checking a view against a fresh fold; see `ViewFold`). The same
/// projector code drives both, except users-by-segment, which a replay keeps per user and
/// which shares only the membership rules (`SegmentProjection.changes`).
public protocol ViewTables {
    func get(_ table: Int, _ key: [UInt8]) throws -> [UInt8]?
    func put(_ table: Int, _ key: [UInt8], _ value: [UInt8]) throws
    func delete(_ table: Int, _ key: [UInt8]) throws
    /// Whether `put` copies the value's bytes out (LMDB) instead of keeping the array: a caller
    /// putting many values may then write them all through one buffer.
    var copiesValues: Bool { get }
}

/// A view's tables in LMDB, inside a write transaction. Writer thread only.
struct StoredViewTables: ViewTables {
    let txn: WriteTransaction
    let databases: [Database]

    func get(_ table: Int, _ key: [UInt8]) throws -> [UInt8]? { try txn.get(databases[table], key) }
    func put(_ table: Int, _ key: [UInt8], _ value: [UInt8]) throws { try txn.put(databases[table], key, value) }
    func delete(_ table: Int, _ key: [UInt8]) throws { try txn.delete(databases[table], key) }
    var copiesValues: Bool { true }
}

/// A view's tables in memory, for a replay that is written out (or checksummed) at the end.
public final class MemoryViewTables: ViewTables {
    private var tables: [[ByteKey: [UInt8]]]

    public init(count: Int) { tables = Array(repeating: [:], count: count) }

    public func get(_ table: Int, _ key: [UInt8]) -> [UInt8]? { tables[table][ByteKey(key)] }
    public func put(_ table: Int, _ key: [UInt8], _ value: [UInt8]) { tables[table][ByteKey(key)] = value }
    public func delete(_ table: Int, _ key: [UInt8]) { tables[table][ByteKey(key)] = nil }
    public var copiesValues: Bool { false }

    func count(_ table: Int) -> Int { tables[table].count }

    /// Table `table`'s entries, in no set order. Several tables may be read at once from
    /// different threads.
    func entries(_ table: Int) -> PackedEntries {
        var entries = PackedEntries()
        for (key, value) in tables[table] { entries.append(key: key.bytes, value: value) }
        return entries
    }
}
