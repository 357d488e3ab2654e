import LMDB

/// Folds a range of the log into views held in memory, reading in bounded transactions.
/// Shared by rebuild (which then writes the result out) and by the view check of verify
/// (which compares its checksum with the live view's).
struct ViewReplay {
    let store: Store
    let kinds: [ViewKind]
    private(set) var tables: [ViewKind: MemoryViewTables]
    /// The last seq folded.
    private(set) var through: UInt64 = 0
    static let chunkSize = 20_000

    init(store: Store, kinds: [ViewKind]) {
        self.store = store
        self.kinds = kinds
        tables = Dictionary(uniqueKeysWithValues: kinds.map { ($0, MemoryViewTables(count: $0.tables.count)) })
    }

    /// Folds events `through + 1 … last`, one read transaction per chunk, calling `progress`
    /// after each chunk with the seq reached.
    mutating func advance(to last: UInt64, progress: (UInt64) -> Void = { _ in }) throws {
        while through < last {
            let end = min(last, through + UInt64(Self.chunkSize))
            try store.environment.read { txn in try fold(from: through + 1, to: end, in: txn) }
            through = end
            progress(through)
        }
    }

    /// Folds events `from … to` as `txn` sees them.
    mutating func fold(from: UInt64, to: UInt64, in txn: Transaction) throws {
        let tables = self.tables
        try Self.fold(kinds, from: from, to: to, in: txn, store: store) { tables[$0] }
        through = max(through, to)
    }

    /// Folds events `from … to` as `txn` sees them into the tables `destination` gives for
    /// each view (nil skips the view). Events no view cares about are not parsed.
    static func fold(
        _ kinds: [ViewKind], from: UInt64, to: UInt64, in txn: Transaction, store: Store, into destination: (ViewKind) -> (any ViewTables)?
    ) throws {
        guard from <= to else { return }
        try txn.scan(store.events, from: BigEndian.bytes(from)) { key, value in
            guard let seq = BigEndian.uint64(key, at: 0), seq <= to else { return false }
            let event = try EventRecord.decode(seq: seq, value)
            let folding = kinds.filter { $0.folds(event.type) }
            guard !folding.isEmpty else { return true }
            let decoded = try DecodedEvent(event)
            for kind in folding {
                if let tables = destination(kind) { try kind.apply(decoded, to: tables) }
            }
            return true
        }
    }
}

extension ViewSet {
    /// Compares each live view with a fresh fold of the log. Reads only; returns one entry
    /// per view with both checksums.
    public func check(_ kinds: [ViewKind], progress: (UInt64, UInt64) -> Void = { _, _ in }) throws -> [ViewCheck] {
        let head = try EventLog(store: store).head().seq
        var replay = ViewReplay(store: store, kinds: kinds)
        try replay.advance(to: head) { progress($0, head) }
        return try store.environment.read { txn in
            let now = try EventLog(store: store).headSeq(in: txn)
            try replay.fold(from: replay.through + 1, to: now, in: txn)
            return try kinds.map { kind in
                ViewCheck(
                    view: kind, checkpoint: try checkpoint(kind, in: txn), head: now,
                    stored: try ViewChecksum.stored(liveTables(kind, in: txn), in: txn),
                    fresh: replay.tables[kind].map { ViewChecksum.memory($0, count: kind.tables.count) } ?? "")
            }
        }
    }
}
