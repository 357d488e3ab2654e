import CLMDB

/// A position in a database, valid only inside `Transaction.withCursor`.
/// Each move returns the entry it lands on (copied), or nil past either end.
public final class Cursor {
    private let handle: OpaquePointer

    init(_ handle: OpaquePointer) { self.handle = handle }

    /// The first entry.
    public func first() throws(LMDBError) -> (key: [UInt8], value: [UInt8])? { try move(MDB_FIRST) }
    /// The last entry.
    public func last() throws(LMDBError) -> (key: [UInt8], value: [UInt8])? { try move(MDB_LAST) }
    /// The entry after the current one.
    public func next() throws(LMDBError) -> (key: [UInt8], value: [UInt8])? { try move(MDB_NEXT) }
    /// The entry before the current one.
    public func previous() throws(LMDBError) -> (key: [UInt8], value: [UInt8])? { try move(MDB_PREV) }

    /// The first entry whose key is at or after `key`.
    public func seek(atLeast key: [UInt8]) throws(LMDBError) -> (key: [UInt8], value: [UInt8])? {
        try move(MDB_SET_RANGE, key: key)
    }

    /// The last entry whose key is at or before `key`.
    public func seek(atMost key: [UInt8]) throws(LMDBError) -> (key: [UInt8], value: [UInt8])? {
        guard let entry = try seek(atLeast: key) else { return try last() }
        return entry.key == key ? entry : try previous()
    }

    /// Calls `body` with each entry from the first key at or after `start` (or the first),
    /// in key order, where LMDB holds it, until `body` returns false or the database ends.
    func walkInPlace(from start: [UInt8]?, _ body: (Span<UInt8>, Span<UInt8>) throws -> Bool) throws {
        var k = MDB_val()
        var v = MDB_val()
        var rc = get(start == nil ? MDB_FIRST : MDB_SET_RANGE, key: start, &k, &v)
        while rc == MDB_SUCCESS {
            let key = UnsafeBufferPointer(start: k.mv_data?.assumingMemoryBound(to: UInt8.self), count: k.mv_size)
            let value = UnsafeBufferPointer(start: v.mv_data?.assumingMemoryBound(to: UInt8.self), count: v.mv_size)
            guard try body(Span(_unsafeElements: key), Span(_unsafeElements: value)) else { return }
            rc = get(MDB_NEXT, key: nil, &k, &v)
        }
        if rc != MDB_NOTFOUND { try check(rc, "mdb_cursor_get") }
    }

    /// Deletes the entry the cursor is on (in a write transaction); `next()` then returns the
    /// entry that followed it.
    func deleteCurrent() throws(LMDBError) { try check(mdb_cursor_del(handle, 0), "mdb_cursor_del") }

    private func move(_ op: MDB_cursor_op, key: [UInt8]? = nil) throws(LMDBError) -> (key: [UInt8], value: [UInt8])? {
        var k = MDB_val()
        var v = MDB_val()
        let rc = get(op, key: key, &k, &v)
        if rc == MDB_NOTFOUND { return nil }
        try check(rc, "mdb_cursor_get")
        return (copy(k), copy(v))
    }

    /// `mdb_cursor_get` with `op`, from `key` when given; `k` and `v` then point at the entry
    /// it lands on, in LMDB's memory.
    private func get(_ op: MDB_cursor_op, key: [UInt8]?, _ k: inout MDB_val, _ v: inout MDB_val) -> Int32 {
        guard let key else { return mdb_cursor_get(handle, &k, &v, op) }
        return key.withUnsafeBytes { keyBytes in
            k = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
            return mdb_cursor_get(handle, &k, &v, op)
        }
    }
}
