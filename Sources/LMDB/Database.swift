import CLMDB

/// A named database inside an environment. A plain handle: valid for the environment's
/// lifetime once the transaction that opened it has committed. Only the handle's number,
/// so passing it on costs nothing.
public struct Database: Sendable, Hashable {
    let dbi: MDB_dbi
}

/// Flags for `put`.
public struct PutFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Fail with `isKeyExists` rather than overwrite an existing key.
    public static let noOverwrite = PutFlags(rawValue: UInt32(MDB_NOOVERWRITE))
    /// The key sorts after every key in the database: LMDB appends without searching.
    /// A key out of order fails with `isKeyExists`.
    public static let append = PutFlags(rawValue: UInt32(MDB_APPEND))
}
