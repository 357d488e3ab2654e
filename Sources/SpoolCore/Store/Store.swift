import Foundation
import LMDB

/// A data directory: one LMDB environment and its named databases.
///
/// ```
/// events      seq u64 BE                      → EventRecord bytes
/// streams     stream ‖ 0x00 ‖ version u64 BE  → seq u64 BE [‖ count u64 BE [‖ seq gaps]] (StreamIndex)
/// streams_recent                              the same, for the runs not yet moved to `streams`
/// event_ids   client event id (16 bytes)      → seq u64 BE
/// checkpoints projector or reactor name       → last applied seq u64 BE
/// meta        key                             → value ("format" → 5)
/// ```
/// A writable store holds the directory's lock (`spool.lock`) for its whole life, so two
/// writers can never share a directory; a read-only store may open one a server is writing.
public final class Store: Sendable {
    public let environment: Environment
    public let directory: String
    public let events: Database
    public let streams: Database
    /// The newest runs of the stream index (`StreamIndex`); nil only in a directory of format 1
    /// or 2 opened read-only, which has none.
    public let recentStreams: Database?
    public let eventIDs: Database
    public let checkpoints: Database
    public let meta: Database
    private let lock: DataDirectoryLock?

    /// The on-disk format this build reads and writes. Format 2 lets one `streams` entry
    /// index a whole append (format 1 wrote an entry per event); format 3 keeps the newest
    /// entries in `streams_recent`; format 4 writes records of `EventRecord` format 2; format 5
    /// lets one `streams` entry index a commit's appends to a stream, their seqs listed; format
    /// 6 writes records of `EventRecord` format 3 (without the previous record's hash). Older
    /// formats read the same, so a writable open upgrades them in place, and a build that
    /// knows only an older format refuses the result.
    public static let formatVersion: UInt64 = 6

    public struct Options: Sendable {
        /// Open without writing (a second process beside a running server).
        public var readOnly = false
        /// The initial LMDB map size; it doubles whenever it fills.
        public var mapSize = 1 << 30
        public init() {}
    }

    /// Opens the store in `directory`, creating the directory and databases when writable.
    /// Throws `SpoolError` when another process holds a writable directory, when the
    /// directory holds a newer format, or when LMDB cannot open it.
    public init(directory: String, options: Options = Options()) throws {
        self.directory = directory
        if !options.readOnly {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            lock = try DataDirectoryLock(directory: directory)
        } else {
            guard FileManager.default.fileExists(atPath: directory + "/data.mdb") else {
                throw SpoolError.notFound("no Spool data in \(directory)")
            }
            lock = nil
        }
        var envOptions = Environment.Options()
        envOptions.mapSize = options.mapSize
        envOptions.readOnly = options.readOnly
        environment = try Environment(path: directory, options: envOptions)
        let create = !options.readOnly
        events = try environment.openDatabase("events", create: create)
        streams = try environment.openDatabase("streams", create: create)
        recentStreams = try Self.openRecentStreams(environment, create: create)
        eventIDs = try environment.openDatabase("event_ids", create: create)
        checkpoints = try environment.openDatabase("checkpoints", create: create)
        meta = try environment.openDatabase("meta", create: create)
        try checkFormat(writable: create)
    }

    /// `streams_recent`, created when writable; nil when a read-only open finds none (formats
    /// 1 and 2).
    private static func openRecentStreams(_ environment: Environment, create: Bool) throws -> Database? {
        do {
            return try environment.openDatabase("streams_recent", create: create)
        } catch let error as LMDBError where error.isNotFound && !create {
            return nil
        }
    }

    private func checkFormat(writable: Bool) throws {
        let key = Array("format".utf8)
        let stored = try environment.read { try $0.get(meta, key) }.flatMap { BigEndian.uint64($0, at: 0) }
        switch stored {
        case nil where writable:
            try environment.write { try $0.put(meta, key, BigEndian.bytes(Self.formatVersion)) }
        case let version? where (1..<Self.formatVersion).contains(version):
            if writable { try environment.write { try $0.put(meta, key, BigEndian.bytes(Self.formatVersion)) } }
        case let version? where version != Self.formatVersion:
            throw SpoolError(.internal, "\(directory) holds data format \(version); this build reads format \(Self.formatVersion)")
        default:
            break
        }
    }

    /// Whether a writer (a running server, an offline tool) holds `directory` now.
    public static func isInUse(directory: String) -> Bool { DataDirectoryLock.isHeld(directory: directory) }
}
