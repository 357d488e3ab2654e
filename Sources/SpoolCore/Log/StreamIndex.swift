import LMDB

/// The `streams` database: one entry per append, `stream ‖ 0x00 ‖ first version (u64 BE)` →
/// `first seq (u64 BE)`, then `event count (u64 BE)` when the append wrote more than one.
///
/// An append's events take consecutive versions of its stream and consecutive seqs of the log,
/// so one entry (a run) locates all of them: version v of the run is seq
/// `first seq + (v − first version)`. A stream's runs are adjacent and in version order, so its
/// head is the end of its last run. Data format 1 wrote a run per event (8-byte values), which
/// reads the same way.
enum StreamIndex {
    /// The events of one append: versions `firstVersion ..< firstVersion + count` of a stream
    /// are seqs `firstSeq ..< firstSeq + count`.
    struct Run {
        var firstVersion: UInt64
        var firstSeq: UInt64
        var count: UInt64

        var lastVersion: UInt64 { firstVersion + count - 1 }

        /// The seq of `version`, nil when the run does not hold it.
        func seq(ofVersion version: UInt64) -> UInt64? {
            version >= firstVersion && version <= lastVersion ? firstSeq + (version - firstVersion) : nil
        }
    }

    static func key(_ stream: String, version: UInt64) -> [UInt8] { NameKey.key(stream, version) }

    /// The value of a run of `count` events from `firstSeq`.
    static func value(firstSeq: UInt64, count: Int) -> [UInt8] {
        var value = BigEndian.bytes(firstSeq)
        if count > 1 { BigEndian.append(UInt64(count), to: &value) }
        return value
    }

    /// The run an entry of `stream` holds; nil when the entry belongs to another stream or
    /// is malformed.
    static func run(stream prefix: [UInt8], key: [UInt8], value: [UInt8]) -> Run? {
        guard key.count == prefix.count + 8, key.starts(with: prefix), let version = BigEndian.uint64(key, at: prefix.count),
            let seq = BigEndian.uint64(value, at: 0), version > 0
        else { return nil }
        if value.count == 8 { return Run(firstVersion: version, firstSeq: seq, count: 1) }
        guard value.count == 16, let count = BigEndian.uint64(value, at: 8), count > 1,
            !version.addingReportingOverflow(count - 1).overflow, !seq.addingReportingOverflow(count - 1).overflow
        else { return nil }
        return Run(firstVersion: version, firstSeq: seq, count: count)
    }

    /// The key prefix of every entry of `stream`.
    static func prefix(_ stream: String) -> [UInt8] { Array(stream.utf8) + [0] }

    /// The run of `stream` that holds `version`, nil when none does.
    static func run(of stream: String, holding version: UInt64, in txn: Transaction, store: Store) throws -> Run? {
        let prefix = prefix(stream)
        guard let entry = try txn.withCursor(store.streams, { try $0.seek(atMost: prefix + BigEndian.bytes(version)) }),
            let run = run(stream: prefix, key: entry.key, value: entry.value), run.seq(ofVersion: version) != nil
        else { return nil }
        return run
    }

    /// The version of `stream`'s last event, 0 when it has none.
    static func lastVersion(of stream: String, in txn: Transaction, store: Store) throws -> UInt64 {
        let prefix = prefix(stream)
        let entry = try txn.withCursor(store.streams) { try $0.seek(atMost: prefix + BigEndian.bytes(.max)) }
        return entry.flatMap { run(stream: prefix, key: $0.key, value: $0.value)?.lastVersion } ?? 0
    }
}
