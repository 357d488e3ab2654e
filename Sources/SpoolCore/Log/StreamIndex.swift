import LMDB

/// The stream index: one entry per run of a stream's events, `stream ‖ 0x00 ‖ first version
/// (u64 BE)` → where the run's events are in the log (`Run` says how).
///
/// A run is the events of one stream that one commit appended: consecutive versions of the
/// stream, at seqs that grow with the version. Those of one append are consecutive seqs too,
/// so one entry locates any number of them in 16 bytes; a commit that also appended to other
/// streams between them lists the gaps (data format 5). Why an entry per commit, not per
/// append: at one event per append over 256 streams a commit of ~780 appends put ~780 entries,
/// and moving them on (below) cost as much again; one per stream (~256) took the writer from
/// 4.2–5.8 to 3.1–3.7 µs per event (BENCHMARKS.md). Data formats 1–4 wrote an entry per event
/// or per append, which read the same.
///
/// Two tables hold the runs (data format 3). The writer puts each new run into the small
/// `streams_recent` and, once it holds enough (`Writer`'s `recentRuns`), moves a part of them
/// into `streams` in the same transaction (`moveRecentRunsIfFull`), so every snapshot sees each
/// run in exactly one of the two, and a stream's runs in `streams` all come before its runs in
/// `streams_recent`.
/// Why: once a stream's history fills a page, its newest entry sits on a page of its own, so a
/// commit that touched 256 streams rewrote 256 pages of `streams` (~2 KB written per event at
/// one event per append); the small table packs the same runs into a few dozen pages, and a
/// move rewrites each stream's last page once for all its runs since the last move.
enum StreamIndex {
    static func key(_ stream: String, version: UInt64) -> [UInt8] { NameKey.key(stream, version) }

    /// The run an entry of `stream` holds; nil when the entry belongs to another stream or
    /// is malformed.
    static func run(stream prefix: [UInt8], key: [UInt8], value: [UInt8]) -> Run? {
        guard key.count == prefix.count + 8, key.starts(with: prefix), let version = BigEndian.uint64(key, at: prefix.count)
        else { return nil }
        return Run(firstVersion: version, value: value)
    }

    /// The key prefix of every entry of `stream`.
    static func prefix(_ stream: String) -> [UInt8] { Array(stream.utf8) + [0] }

    /// The tables a stream's runs go through, oldest runs first: `streams`, then
    /// `streams_recent` (absent from a directory of format 1 or 2 opened read-only).
    private static func tables(_ store: Store) -> [Database] {
        store.recentStreams.map { [store.streams, $0] } ?? [store.streams]
    }

    /// The last run of the stream with key prefix `prefix` in `table` that starts at or before
    /// `version`; nil when there is none.
    private static func lastRun(in table: Database, prefix: [UInt8], startingAtMost version: UInt64, txn: Transaction) throws
        -> Run?
    {
        guard let entry = try txn.withCursor(table, { try $0.seek(atMost: prefix + BigEndian.bytes(version)) }) else { return nil }
        return run(stream: prefix, key: entry.key, value: entry.value)
    }

    /// The run of `stream` that holds `version`, nil when none does.
    static func run(of stream: String, holding version: UInt64, in txn: Transaction, store: Store) throws -> Run? {
        let prefix = prefix(stream)
        for table in tables(store).reversed() {
            if let run = try lastRun(in: table, prefix: prefix, startingAtMost: version, txn: txn), run.seq(ofVersion: version) != nil {
                return run
            }
        }
        return nil
    }

    /// The version of `stream`'s last event, 0 when it has none.
    static func lastVersion(of stream: String, in txn: Transaction, store: Store) throws -> UInt64 {
        let prefix = prefix(stream)
        for table in tables(store).reversed() {
            if let run = try lastRun(in: table, prefix: prefix, startingAtMost: .max, txn: txn) { return run.lastVersion }
        }
        return 0
    }

    /// The first version of `stream` whose event comes after seq `seq` (seqs grow with
    /// versions, so a binary search over versions finds it); the version after the stream's
    /// last when none does. Throws `Corrupt` when a version below the stream's last is missing.
    static func firstVersion(of stream: String, after seq: UInt64, in txn: Transaction, store: Store) throws -> UInt64 {
        var low: UInt64 = 1
        var high = try lastVersion(of: stream, in: txn, store: store) &+ 1
        while low < high {
            let middle = low + (high - low) / 2
            guard let middleSeq = try run(of: stream, holding: middle, in: txn, store: store)?.seq(ofVersion: middle) else {
                throw EventRecord.Corrupt(seq: 0, reason: "stream \(stream) has no version \(middle) in the index")
            }
            if middleSeq > seq { high = middle } else { low = middle + 1 }
        }
        return low
    }

    /// Calls `body` with the runs of `stream` in version order, from the run that holds
    /// `version` (or the first after it), until `body` returns false. Stops at a malformed entry.
    static func forEachRun(
        of stream: String, from version: UInt64, in txn: Transaction, store: Store, _ body: (Run) throws -> Bool
    ) throws {
        let prefix = prefix(stream)
        var going = true
        for table in tables(store) where going {
            let holding = try lastRun(in: table, prefix: prefix, startingAtMost: version, txn: txn)
            let start = holding.flatMap { $0.seq(ofVersion: version) != nil ? $0.firstVersion : nil } ?? version
            try txn.scan(table, from: prefix + BigEndian.bytes(start)) { key, value in
                guard let run = run(stream: prefix, key: key, value: value) else { return false }  // the next stream's
                going = try body(run)
                return going
            }
        }
    }

    /// Puts the entry of `stream` that `run` built.
    static func put(_ stream: String, _ run: Run.Builder, in txn: WriteTransaction, store: Store) throws {
        var key: [UInt8] = []
        var value: [UInt8] = []
        try put(stream, run, in: txn, store: store, key: &key, value: &value)
    }

    /// `put`, its key and value written into `key` and `value` (emptied first): buffers that a
    /// caller putting many entries keeps from one to the next (LMDB copies them out).
    static func put(
        _ stream: String, _ run: Run.Builder, in txn: WriteTransaction, store: Store, key: inout [UInt8], value: inout [UInt8]
    ) throws {
        key.removeAll(keepingCapacity: true)
        NameKey.append(stream, run.firstVersion, to: &key)
        value.removeAll(keepingCapacity: true)
        run.appendValue(to: &value)
        try txn.put(store.recentStreams ?? store.streams, key, value)
    }

    /// Once `streams_recent` holds `limit` runs, moves some of them into `streams`: in key
    /// order from the first run of the stream `sweep` names (from the start when empty),
    /// wrapping at the end, until `limit - max(limit / 4, 1)` are left. Returns the prefix of
    /// the stream the move ended in, where the next move starts (`sweep` when nothing moved).
    /// The writer calls it once per batch, before committing.
    ///
    /// Guarantees: a stream's runs leave `streams_recent` oldest first (a move starts at a
    /// stream's first run there, and its new runs sort after every run it had), so its runs
    /// in `streams` still come before those in `streams_recent` whatever `sweep` names. Why a
    /// part and not all: moving all 4,096 runs at once rewrote up to ~2,000 pages of `streams`
    /// in one commit (100,000 random users), raising the p99 of every append in it; a quarter
    /// of the key range rewrites about a quarter of them, and the sweep spreads the rest over
    /// the next commits.
    static func moveRecentRunsIfFull(in txn: WriteTransaction, store: Store, limit: Int, sweep: [UInt8]) throws -> [UInt8] {
        guard let recent = store.recentStreams else { return sweep }
        let count = try txn.count(recent)
        guard count >= limit else { return sweep }
        var left = count - (limit - max(limit / 4, 1))
        var lastMoved: [UInt8]? = nil
        for start in [sweep.isEmpty ? nil : sweep, nil] where left > 0 {  // from the sweep to the end, then from the start
            try txn.scanDeleting(recent, from: start) { key, value in
                try txn.put(store.streams, key, value)  // another table: the scan's cursor stays put
                lastMoved = key
                left -= 1
                return left > 0
            }
        }
        return lastMoved.map { Array($0.dropLast(8)) } ?? sweep  // the key without its version
    }
}
