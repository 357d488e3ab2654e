import CLMDB

/// An error returned by liblmdb: its code, the call that failed and LMDB's own text.
///
/// Built only by `check(_:_:)`, so every failing call is reported the same way.
public struct LMDBError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The LMDB return code: one of the `MDB_*` codes (negative) or an errno value.
    public let code: Int32
    /// The C function that failed, such as `"mdb_put"`.
    public let call: String
    /// The text `mdb_strerror` gives for `code`.
    public let message: String

    public var description: String { "\(call): \(message) (\(code))" }

    /// The map (the file's reserved size) is full; `Environment.write` grows it and retries.
    public var isMapFull: Bool { code == MDB_MAP_FULL }
    /// The device has no space left (`ENOSPC`, or `EDQUOT` for a quota): nothing more can be
    /// written until space is freed.
    public var isDiskFull: Bool { code == 28 || code == 122 }
    /// The key was not found.
    public var isNotFound: Bool { code == MDB_NOTFOUND }
    /// A put with `.noOverwrite` or `.append` met an existing or out-of-order key.
    public var isKeyExists: Bool { code == MDB_KEYEXIST }
    /// Another process grew the map; the environment adopts the new size and retries.
    var isMapResized: Bool { code == MDB_MAP_RESIZED }
}

/// Turns an LMDB return code into success or a thrown `LMDBError` naming `call`.
@inline(__always)
func check(_ rc: Int32, _ call: String) throws(LMDBError) {
    guard rc != MDB_SUCCESS else { return }
    throw LMDBError(code: rc, call: call, message: String(cString: mdb_strerror(rc)))
}
