import CLMDB

/// A transaction handed to the closure of `Environment.read`. Valid only inside that closure.
/// Every value it returns is a copy, safe to keep after the transaction ends.
public class Transaction {
    let handle: OpaquePointer

    init(_ handle: OpaquePointer) { self.handle = handle }

    func openDatabase(_ name: String, flags: UInt32) throws(LMDBError) -> Database {
        var dbi: MDB_dbi = 0
        try check(mdb_dbi_open(handle, name, flags, &dbi), "mdb_dbi_open")
        return Database(dbi: dbi)
    }

    /// The value stored under `key`, or nil when there is none.
    public func get(_ db: Database, _ key: [UInt8]) throws(LMDBError) -> [UInt8]? {
        var value = MDB_val()
        let rc = key.withUnsafeBytes { keyBytes in
            var k = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
            return mdb_get(handle, db.dbi, &k, &value)
        }
        if rc == MDB_NOTFOUND { return nil }
        try check(rc, "mdb_get")
        return copy(value)
    }

    /// The number of entries in `db`.
    public func count(_ db: Database) throws(LMDBError) -> Int {
        var stat = MDB_stat()
        try check(mdb_stat(handle, db.dbi, &stat), "mdb_stat")
        return stat.ms_entries
    }

    /// Runs `body` with a cursor over `db`; the cursor is closed when `body` returns.
    public func withCursor<T>(_ db: Database, _ body: (Cursor) throws -> T) throws -> T {
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(handle, db.dbi, &cursor), "mdb_cursor_open")
        guard let cursor else { throw LMDBError(code: MDB_BAD_TXN, call: "mdb_cursor_open", message: "no cursor") }
        defer { mdb_cursor_close(cursor) }
        return try body(Cursor(cursor))
    }

    /// Calls `body` for each entry with a key at or after `start` (from the first key when
    /// nil), in key order, until `body` returns false or the database ends.
    public func scan(_ db: Database, from start: [UInt8]? = nil, _ body: ([UInt8], [UInt8]) throws -> Bool) throws {
        try withCursor(db) { cursor in
            var entry = try start.map { try cursor.seek(atLeast: $0) } ?? cursor.first()
            while let (key, value) = entry, try body(key, value) {
                entry = try cursor.next()
            }
        }
    }

    /// Like `scan`, without copying: `body` gets each key and value where LMDB holds them,
    /// valid only during the call (a `Span` cannot outlive it). For scans that read a few
    /// bytes of most entries and keep few (copy with `Array(copying:)`).
    public func scanInPlace(_ db: Database, from start: [UInt8]? = nil, _ body: (Span<UInt8>, Span<UInt8>) throws -> Bool) throws {
        try withCursor(db) { cursor in try cursor.walkInPlace(from: start, body) }
    }

    /// Like `scan`, in reverse key order, from the last key at or before `start` (or the last key).
    public func scanBackward(_ db: Database, from start: [UInt8]? = nil, _ body: ([UInt8], [UInt8]) throws -> Bool) throws {
        try withCursor(db) { cursor in
            var entry = try start.map { try cursor.seek(atMost: $0) } ?? cursor.last()
            while let (key, value) = entry, try body(key, value) {
                entry = try cursor.previous()
            }
        }
    }
}

/// A transaction handed to the closure of `Environment.write`: reads see its own writes.
///
/// Puts go through one cursor per database, kept while the transaction runs: a cursor left
/// where the last put went finds the next key from there when it lies on the same page, and
/// with `.append` (at the last key) needs no search at all, where `mdb_put` searches the tree
/// from its root every time (the writer puts a record per event, and rows and index entries by
/// the hundred per commit). LMDB frees a write transaction's cursors when it ends, so
/// `Environment.write` closes them before (`closeCursors`).
public final class WriteTransaction: Transaction {
    private var cursors: [(dbi: MDB_dbi, cursor: OpaquePointer)] = []
    private var ended = false

    /// Stores `value` under `key`. Throws `isKeyExists` when `flags` forbid the write
    /// (`.noOverwrite` on an existing key, `.append` on a key out of order), `isMapFull`
    /// (handled by `Environment.write`), or another `LMDBError`.
    public func put(_ db: Database, _ key: [UInt8], _ value: [UInt8], flags: PutFlags = []) throws(LMDBError) {
        let cursor = try cursor(db)
        try check(key.withUnsafeBytes { put(cursor, $0, value, flags: flags) }, "mdb_cursor_put")
    }

    /// `put` under the 8 big-endian bytes of `key` (a seq), without building them as an array.
    public func put(_ db: Database, key: UInt64, _ value: [UInt8], flags: PutFlags = []) throws(LMDBError) {
        let cursor = try cursor(db)
        try check(withUnsafeBytes(of: key.bigEndian) { put(cursor, $0, value, flags: flags) }, "mdb_cursor_put")
    }

    /// `mdb_cursor_put` of `key` and `value`; returns its code.
    private func put(_ cursor: OpaquePointer, _ key: UnsafeRawBufferPointer, _ value: [UInt8], flags: PutFlags) -> Int32 {
        value.withUnsafeBytes { valueBytes in
            var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
            var v = MDB_val(mv_size: valueBytes.count, mv_data: UnsafeMutableRawPointer(mutating: valueBytes.baseAddress))
            return mdb_cursor_put(cursor, &k, &v, flags.rawValue)
        }
    }

    /// Stores `entries` `range`, in order, reading each key and value where it lies; stops at
    /// the first failure, as `put` would throw it (with `.append`, a key out of order).
    public func put(_ db: Database, _ entries: PackedEntries, _ range: Range<Int>, flags: PutFlags = []) throws(LMDBError) {
        let cursor = try cursor(db)
        let rc = entries.bytes.withUnsafeBytes { raw in
            let base = UnsafeMutableRawPointer(mutating: raw.baseAddress)
            for index in range {
                let (start, split, end) = (entries.bounds[2 * index], entries.bounds[2 * index + 1], entries.bounds[2 * index + 2])
                var k = MDB_val(mv_size: split - start, mv_data: base?.advanced(by: start))
                var v = MDB_val(mv_size: end - split, mv_data: base?.advanced(by: split))
                let rc = mdb_cursor_put(cursor, &k, &v, flags.rawValue)
                if rc != MDB_SUCCESS { return rc }
            }
            return MDB_SUCCESS
        }
        try check(rc, "mdb_cursor_put")
    }

    /// The cursor puts to `db` go through, opened on the first.
    private func cursor(_ db: Database) throws(LMDBError) -> OpaquePointer {
        if let kept = cursors.first(where: { $0.dbi == db.dbi }) { return kept.cursor }
        guard !ended else { throw LMDBError(code: MDB_BAD_TXN, call: "mdb_cursor_open", message: "the transaction has ended") }
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(handle, db.dbi, &cursor), "mdb_cursor_open")
        guard let cursor else { throw LMDBError(code: MDB_BAD_TXN, call: "mdb_cursor_open", message: "no cursor") }
        cursors.append((db.dbi, cursor))
        return cursor
    }

    /// Closes the kept cursors; the transaction takes no more puts.
    func closeCursors() {
        for kept in cursors { mdb_cursor_close(kept.cursor) }
        cursors = []
        ended = true
    }

    /// Removes `key`; returns false when it was not there.
    @discardableResult
    public func delete(_ db: Database, _ key: [UInt8]) throws(LMDBError) -> Bool {
        let rc = key.withUnsafeBytes { keyBytes in
            var k = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
            return mdb_del(handle, db.dbi, &k, nil)
        }
        if rc == MDB_NOTFOUND { return false }
        try check(rc, "mdb_del")
        return true
    }

    /// Like `scan`, deleting each entry once `body` has returned for it (the last one, for
    /// which it returned false, too), through one cursor: no search from the root per entry,
    /// as `delete` makes. `body` must not write `db`.
    public func scanDeleting(_ db: Database, from start: [UInt8]? = nil, _ body: ([UInt8], [UInt8]) throws -> Bool) throws {
        try withCursor(db) { cursor in
            var entry = try start.map { try cursor.seek(atLeast: $0) } ?? cursor.first()
            while let (key, value) = entry {
                let more = try body(key, value)
                try cursor.deleteCurrent()
                guard more else { return }
                entry = try cursor.next()
            }
        }
    }

    /// Removes every entry of `db`, keeping the database.
    public func clear(_ db: Database) throws(LMDBError) { try check(mdb_drop(handle, db.dbi, 0), "mdb_drop") }

    /// Deletes `db` from the environment; its handle must not be used after this commits.
    public func drop(_ db: Database) throws(LMDBError) { try check(mdb_drop(handle, db.dbi, 1), "mdb_drop") }

    /// Opens the named database inside this transaction, creating it if missing.
    public func openDatabase(_ name: String) throws(LMDBError) -> Database {
        try openDatabase(name, flags: UInt32(MDB_CREATE))
    }
}

extension Array where Element == UInt8 {
    /// The bytes of `span`, copied: kept after the scan that lent them.
    public init(copying span: Span<UInt8>) { self = span.withUnsafeBufferPointer { Array($0) } }

    /// Appends the bytes of `span`.
    public mutating func append(copying span: Span<UInt8>) { span.withUnsafeBufferPointer { append(contentsOf: $0) } }
}

/// Copies the bytes LMDB points at; they die with the transaction.
@inline(__always)
func copy(_ value: MDB_val) -> [UInt8] {
    guard value.mv_size > 0, let data = value.mv_data else { return [] }
    return Array(UnsafeRawBufferPointer(start: data, count: value.mv_size))
}
