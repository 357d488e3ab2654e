import LMDB

/// The tables of one view, as a projector sees them: byte keys to byte values.
///
/// Two kinds stand behind it: `StoredViewTables` (LMDB databases of the live or rebuilding
/// slot, inside the writer's transaction) and `MemoryViewTables` (a replay held in memory,
/// for rebuilds and for checking a view against a fresh fold). The same projector code
/// drives both, so a rebuilt view cannot differ from the incremental one by construction.
public protocol ViewTables {
    func get(_ table: Int, _ key: [UInt8]) throws -> [UInt8]?
    func put(_ table: Int, _ key: [UInt8], _ value: [UInt8]) throws
    func delete(_ table: Int, _ key: [UInt8]) throws
}

/// A view's tables in LMDB, inside a write transaction. Writer thread only.
struct StoredViewTables: ViewTables {
    let txn: WriteTransaction
    let databases: [Database]

    func get(_ table: Int, _ key: [UInt8]) throws -> [UInt8]? { try txn.get(databases[table], key) }
    func put(_ table: Int, _ key: [UInt8], _ value: [UInt8]) throws { try txn.put(databases[table], key, value) }
    func delete(_ table: Int, _ key: [UInt8]) throws { try txn.delete(databases[table], key) }
}

/// A view's tables in memory, for a replay that is written out (or checksummed) at the end.
public final class MemoryViewTables: ViewTables {
    private(set) var tables: [[[UInt8]: [UInt8]]]

    public init(count: Int) { tables = Array(repeating: [:], count: count) }

    public func get(_ table: Int, _ key: [UInt8]) -> [UInt8]? { tables[table][key] }
    public func put(_ table: Int, _ key: [UInt8], _ value: [UInt8]) { tables[table][key] = value }
    public func delete(_ table: Int, _ key: [UInt8]) { tables[table][key] = nil }

    /// Table `table`'s entries in key order (LMDB's order: bytewise).
    func sortedEntries(_ table: Int) -> [(key: [UInt8], value: [UInt8])] {
        tables[table].sorted { $0.key.lexicographicallyPrecedes($1.key) }.map { ($0.key, $0.value) }
    }

    /// Entries across all tables.
    public var entryCount: Int { tables.reduce(0) { $0 + $1.count } }
}
