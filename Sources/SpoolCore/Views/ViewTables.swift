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
    /// users-by-id only: the user stored under `key` in table 0; nil when there is none.
    func user(_ key: [UInt8]) throws -> UserView?
    /// users-by-id only: stores `user` under `key` in table 0.
    func putUser(_ key: [UInt8], _ user: UserView) throws
}

extension ViewTables {
    /// The user's row as stored: its `U` JSON.
    public func user(_ key: [UInt8]) throws -> UserView? { try get(0, key).flatMap(UserView.init(json:)) }
    public func putUser(_ key: [UInt8], _ user: UserView) throws { try put(0, key, user.jsonBytes) }
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
///
/// users-by-id rows are kept as `UserView` values while the replay folds and turned into their
/// JSON once, when the tables are read out: a user with a hundred events is serialized once,
/// not parsed and serialized a hundred times (that was two thirds of a rebuild's fold).
public final class MemoryViewTables: ViewTables {
    private var tables: [[ByteKey: [UInt8]]]
    /// users-by-id rows not yet written into table 0.
    private var users: [ByteKey: UserView] = [:]

    public init(count: Int) { tables = Array(repeating: [:], count: count) }

    public func get(_ table: Int, _ key: [UInt8]) -> [UInt8]? {
        let key = ByteKey(key)
        if table == 0, let user = users[key] { return user.jsonBytes }
        return tables[table][key]
    }

    public func put(_ table: Int, _ key: [UInt8], _ value: [UInt8]) {
        let key = ByteKey(key)
        if table == 0 { users[key] = nil }
        tables[table][key] = value
    }

    public func delete(_ table: Int, _ key: [UInt8]) {
        let key = ByteKey(key)
        if table == 0 { users[key] = nil }
        tables[table][key] = nil
    }

    public func user(_ key: [UInt8]) -> UserView? {
        let key = ByteKey(key)
        if let user = users[key] { return user }
        return tables[0].isEmpty ? nil : tables[0][key].flatMap(UserView.init(json:))
    }

    public func putUser(_ key: [UInt8], _ user: UserView) {
        let key = ByteKey(key)
        users[key] = user
        if !tables[0].isEmpty { tables[0][key] = nil }
    }

    /// Table `table`'s entries in key order (LMDB's order: bytewise). Several tables may be
    /// read at once from different threads after `prepareForReading`, with no change between.
    func sortedEntries(_ table: Int) -> [(key: [UInt8], value: [UInt8])] {
        prepareForReading()
        return ByteKey.sortedByKey(tables[table].map { ($0.key.bytes, $0.value) })
    }

    /// Serializes the users held as values into table 0.
    func prepareForReading() {
        guard !users.isEmpty, !tables.isEmpty else { return }
        for (key, user) in users { tables[0][key] = user.jsonBytes }
        users = [:]
    }
}
