import CLMDB
import Foundation

/// An LMDB environment: one directory holding `data.mdb` and `lock.mdb`.
///
/// Design: transactions are closure-scoped and synchronous (`read { }`, `write { }`), so one
/// can never leak or outlive its environment, and bytes read are copied out before the closure
/// returns. The environment is opened with `MDB_NOTLS`, so a read transaction may run on any
/// thread. A write that hits `MDB_MAP_FULL` grows the map (doubling it) and runs the closure
/// again, so callers never see a full map; a full disk is reported as `LMDBError.isDiskFull`.
/// LMDB serialises write transactions itself; Spool still runs them all on one writer thread.
public final class Environment: @unchecked Sendable {
    // Safe to share: LMDB environments are thread-safe; read transactions are tied to their
    // `MDB_txn` rather than a thread (`MDB_NOTLS`), and resizing is guarded by `gate`.
    let handle: OpaquePointer
    private let gate = TransactionGate()
    /// The directory the environment lives in.
    public let path: String
    /// True when opened with `readOnly`: `write` fails with `EACCES`.
    public let isReadOnly: Bool

    /// Settings fixed when the environment is opened.
    public struct Options: Sendable {
        /// The initial map size in bytes (the file grows sparsely up to it; the map doubles when full).
        public var mapSize = 256 << 20
        /// The most named databases the environment may hold.
        public var maxDatabases: UInt32 = 64
        /// The most read transactions open at once across all processes.
        public var maxReaders: UInt32 = 512
        /// Open without write access (other processes may write meanwhile).
        public var readOnly = false
        public init() {}
    }

    /// Opens (and, unless read-only, creates) the environment in directory `path`.
    /// Throws `LMDBError` when the directory is missing or unreadable, or is not an LMDB environment.
    public init(path: String, options: Options = Options()) throws(LMDBError) {
        var env: OpaquePointer?
        try check(mdb_env_create(&env), "mdb_env_create")
        guard let env else { throw LMDBError(code: ENOMEM, call: "mdb_env_create", message: "no environment") }
        do {
            try check(mdb_env_set_mapsize(env, options.mapSize), "mdb_env_set_mapsize")
            try check(mdb_env_set_maxdbs(env, options.maxDatabases), "mdb_env_set_maxdbs")
            try check(mdb_env_set_maxreaders(env, options.maxReaders), "mdb_env_set_maxreaders")
            var flags = UInt32(MDB_NOTLS)
            if options.readOnly { flags |= UInt32(MDB_RDONLY) }
            try check(mdb_env_open(env, path, flags, 0o644), "mdb_env_open")
        } catch {
            mdb_env_close(env)
            throw error
        }
        self.handle = env
        self.path = path
        self.isReadOnly = options.readOnly
    }

    deinit { mdb_env_close(handle) }

    /// Runs `body` in a read transaction: a consistent snapshot, never blocked by the writer.
    /// Values handed out are copies and stay valid after return. Never call `write` inside it.
    public func read<T>(_ body: (Transaction) throws -> T) throws -> T {
        while true {
            do {
                return try run(flags: UInt32(MDB_RDONLY)) { try body(Transaction($0)) }
            } catch let error as LMDBError where error.isMapResized {
                try adoptGrownMap()
            }
        }
    }

    /// Runs `body` in a write transaction and commits it when `body` returns (durably, with
    /// the default sync flags); aborts it, writing nothing, when `body` throws.
    /// When the map fills, the transaction is aborted, the map doubled, and `body` run again
    /// from the start: `body` must change no state outside the transaction.
    /// Throws what `body` throws, or `LMDBError` (e.g. `isDiskFull`) from LMDB.
    public func write<T>(_ body: (WriteTransaction) throws -> T) throws -> T {
        while true {
            do {
                return try run(flags: 0) { handle in
                    let txn = WriteTransaction(handle)
                    defer { txn.closeCursors() }
                    return try body(txn)
                }
            } catch let error as LMDBError where error.isMapFull {
                try grow()
            } catch let error as LMDBError where error.isMapResized {
                try adoptGrownMap()
            }
        }
    }

    /// Begins a transaction, runs `body`, commits on return and aborts on throw.
    /// (Committing a read-only transaction keeps the database handles it opened.)
    private func run<T>(flags: UInt32, _ body: (OpaquePointer) throws -> T) throws -> T {
        gate.enter()
        defer { gate.leave() }
        let txn = try begin(flags: flags)
        let result: T
        do {
            result = try body(txn)
        } catch {
            mdb_txn_abort(txn)
            throw error
        }
        try check(mdb_txn_commit(txn), "mdb_txn_commit")  // frees the transaction even on failure
        return result
    }

    private func begin(flags: UInt32) throws(LMDBError) -> OpaquePointer {
        var txn: OpaquePointer?
        try check(mdb_txn_begin(handle, nil, flags, &txn), "mdb_txn_begin")
        guard let txn else { throw LMDBError(code: ENOMEM, call: "mdb_txn_begin", message: "no transaction") }
        return txn
    }

    /// Doubles the map size once no transaction of this process is open.
    private func grow() throws {
        let current = info.mapSize
        try gate.exclusively {
            // Another thread may have grown it while this one waited.
            if info.mapSize == current {
                try check(mdb_env_set_mapsize(handle, current * 2), "mdb_env_set_mapsize")
            }
        }
    }

    /// Adopts the size another process grew the map to (`MDB_MAP_RESIZED`).
    private func adoptGrownMap() throws {
        try gate.exclusively { try check(mdb_env_set_mapsize(handle, 0), "mdb_env_set_mapsize") }
    }

    /// Opens the named database, creating it when `create` is set and the environment is
    /// writable. Call once at start-up; the handle is valid for the environment's life.
    /// Throws `LMDBError` with `isNotFound` when it does not exist and is not created.
    public func openDatabase(_ name: String, create: Bool = true) throws -> Database {
        if create && !isReadOnly {
            return try write { try $0.openDatabase(name, flags: UInt32(MDB_CREATE)) }
        }
        return try read { try $0.openDatabase(name, flags: 0) }
    }

    /// Flushes buffers to disk. Commits are already durable; this is for shutdown.
    public func sync() throws(LMDBError) { try check(mdb_env_sync(handle, 1), "mdb_env_sync") }

    /// Sizes of the environment.
    public struct Info: Sendable {
        /// The current map size in bytes.
        public var mapSize: Int
        /// Bytes of the map in use (pages up to the last one written).
        public var usedBytes: Int
        /// The page size in bytes.
        public var pageSize: Int
    }

    /// The map size and how much of it is used.
    public var info: Info {
        var envInfo = MDB_envinfo()
        var stat = MDB_stat()
        mdb_env_info(handle, &envInfo)
        mdb_env_stat(handle, &stat)
        let pageSize = Int(stat.ms_psize)
        return Info(mapSize: envInfo.me_mapsize, usedBytes: (envInfo.me_last_pgno + 1) * pageSize, pageSize: pageSize)
    }
}
