import Foundation
import LMDB

/// The read side of the log. Every call runs in its own LMDB read transaction on the calling
/// thread and never waits for the writer; it sees the log as of its last commit.
public struct EventLog: Sendable {
    public let store: Store

    public init(store: Store) { self.store = store }

    /// The last seq and its hash; seq 0 and 32 zero bytes for an empty log.
    public func head() throws -> (seq: UInt64, hash: [UInt8]) {
        try store.environment.read { txn in
            guard let (key, value) = try txn.withCursor(store.events, { try $0.last() }),
                let seq = BigEndian.uint64(key, at: 0)
            else { return (0, EventRecord.zeroHash) }
            return (seq, try EventRecord.decode(seq: seq, value).hash)
        }
    }

    /// The last seq as `txn` sees it.
    func headSeq(in txn: Transaction) throws -> UInt64 {
        try txn.withCursor(store.events) { try $0.last() }.flatMap { BigEndian.uint64($0.key, at: 0) } ?? 0
    }

    /// The event at `seq`, or nil when there is none.
    public func event(at seq: UInt64) throws -> RecordedEvent? {
        try store.environment.read { txn in try Self.event(at: seq, in: txn, store: store) }
    }

    static func event(at seq: UInt64, in txn: Transaction, store: Store) throws -> RecordedEvent? {
        try stored(at: seq, in: txn, store: store)?.decoded()
    }

    static func stored(at seq: UInt64, in txn: Transaction, store: Store) throws -> StoredEvent? {
        try txn.get(store.events, BigEndian.bytes(seq)).map { try StoredEvent(seq: seq, $0) }
    }

    /// A page of a forward scan of the whole log.
    public struct Page: Sendable {
        public var events: [RecordedEvent]
        /// Where the next page starts; nil when the scan reached the head.
        public var nextSeq: UInt64?
    }

    /// Up to `limit` events matching `filter`, from `fromSeq` on, in seq order, ending once
    /// their records reach `maxBytes` (at least one event). At most `scanLimit` records are
    /// examined, so a rare filter cannot hold a read transaction for long; `nextSeq` says where
    /// to continue.
    public func read(
        from fromSeq: UInt64, limit: Int, filter: EventFilter = .all, scanLimit: Int = 100_000, maxBytes: Int = .max
    ) throws -> Page {
        try store.environment.read { txn in
            var events: [RecordedEvent] = []
            var scanned = 0
            var bytes = 0
            var next: UInt64? = nil
            try txn.scanInPlace(store.events, from: BigEndian.bytes(max(fromSeq, 1))) { key, value in
                let seq = BigEndian.uint64(key, at: 0) ?? 0
                guard events.count < limit, scanned < scanLimit, bytes < maxBytes else {
                    next = seq
                    return false
                }
                scanned += 1
                if try StoredEvent.matches(filter, seq: seq, value) {
                    events.append(try StoredEvent(seq: seq, Array(copying: value)).decoded())
                    bytes += value.count
                }
                return true
            }
            return Page(events: events, nextSeq: next)
        }
    }

    /// Up to `limit` events of `stream`, from version `fromVersion` on, in version order,
    /// ending once their records reach `maxBytes` (at least one event).
    public func readStream(_ stream: String, fromVersion: UInt64 = 1, limit: Int = .max, maxBytes: Int = .max) throws
        -> [RecordedEvent]
    {
        try store.environment.read { txn in
            try Self.readStream(stream, fromVersion: fromVersion, limit: limit, maxBytes: maxBytes, in: txn, store: store)
        }
    }

    static func readStream(
        _ stream: String, fromVersion: UInt64, through lastSeq: UInt64 = .max, limit: Int, maxBytes: Int = .max, in txn: Transaction,
        store: Store
    ) throws -> [RecordedEvent] {
        var events: [RecordedEvent] = []
        var bytes = 0
        guard limit > 0, maxBytes > 0 else { return events }
        try forEachEvent(of: stream, fromVersion: fromVersion, through: lastSeq, in: txn, store: store) { stored in
            events.append(stored.decoded())
            bytes += stored.byteCount
            return events.count < limit && bytes < maxBytes
        }
        return events
    }

    /// Calls `body` with the events of `stream` from version `fromVersion` on, up to seq
    /// `lastSeq`, in version order, until it returns false: a fold over a long stream holds one
    /// event at a time. Throws `Corrupt` when the index points at a missing event.
    static func forEachEvent(
        of stream: String, fromVersion: UInt64, through lastSeq: UInt64 = .max, in txn: Transaction, store: Store,
        _ body: (StoredEvent) throws -> Bool
    ) throws {
        var version = max(fromVersion, 1)
        var going = true
        try StreamIndex.forEachRun(of: stream, from: version, in: txn, store: store) { run in
            version = max(version, run.firstVersion)
            while going, let seq = run.seq(ofVersion: version), seq <= lastSeq {
                guard let stored = try stored(at: seq, in: txn, store: store) else {
                    throw EventRecord.Corrupt(seq: seq, reason: "stream \(stream) points at a missing event")
                }
                going = try body(stored)
                version += 1
            }
            return going && version > run.lastVersion
        }
    }

    /// The version of `stream`'s last event, 0 when the stream does not exist.
    public func streamVersion(_ stream: String) throws -> UInt64 {
        try store.environment.read { try StreamIndex.lastVersion(of: stream, in: $0, store: store) }
    }

    /// The last seq whose time is at or before `time`; 0 when the log starts after it.
    /// A binary search over `events` (times never go backwards): O(log n) point reads.
    public func lastSeq(atOrBefore time: Timestamp) throws -> UInt64 {
        try store.environment.read { txn in try Self.lastSeq(atOrBefore: time, in: txn, store: store) }
    }

    static func lastSeq(atOrBefore time: Timestamp, in txn: Transaction, store: Store) throws -> UInt64 {
        guard let (key, _) = try txn.withCursor(store.events, { try $0.last() }), var high = BigEndian.uint64(key, at: 0) else {
            return 0
        }
        var low: UInt64 = 0  // invariant: time(low) <= time (seq 0 stands for "before the log")
        while low < high {
            let middle = low + (high - low) / 2 + (high - low) % 2  // rounded up; `high - low + 1` could overflow
            guard let record = try txn.get(store.events, BigEndian.bytes(middle)), let recordTime = EventRecord.time(record) else {
                throw EventRecord.Corrupt(seq: middle, reason: "missing while searching by time")
            }
            if recordTime <= time { low = middle } else { high = middle - 1 }
        }
        return low
    }
}
