import Foundation
import LMDB
import Synchronization

/// Folds a range of the log into views held in memory, reading in bounded transactions.
/// Shared by rebuild (which then writes the result out) and by the view check of verify
/// (which compares its checksum with the live view's).
///
/// Design: the users are split into `partitionCount` parts by a hash of their stream id, and
/// each part is folded by its own thread from its own read transaction: a user's events all
/// land in one part, in log order, and the parts' tables hold disjoint keys except where
/// `ViewKind.combine` adds them up (segment counts). emails-by-user is folded whole in part 0:
/// a status event may name an email of another user's stream. Reading the tables out merges
/// the parts' sorted entries. Rejected: one thread (the fold is CPU-bound and the writer is
/// idle while it runs), and sharing tables between threads behind a lock.
struct ViewReplay: Sendable {
    let store: Store
    let kinds: [ViewKind]
    /// One set of tables per part of the users.
    private let parts: [Part]
    /// The last seq folded.
    private(set) var through: UInt64 = 0
    static let chunkSize = 20_000
    static let partitionCount = min(4, max(1, ProcessInfo.processInfo.activeProcessorCount))

    /// `kinds` may name a view twice; it is folded once. The folds are sized for as many
    /// users as the live users-by-id holds and as many joins and leaves as the live
    /// users-by-segment's history (grown from empty, their tables rehashed every user about
    /// twice).
    init(views: ViewSet, kinds: [ViewKind]) throws {
        store = views.store
        let kinds = ViewKind.allCases.filter(kinds.contains)
        self.kinds = kinds
        let (users, changes) = try store.environment.read { txn in
            let count = { (kind: ViewKind, table: Int) in
                try views.liveTables(kind, in: txn).dropFirst(table).first.map { try txn.count($0) } ?? 0
            }
            return (try count(.usersByID, 0), try count(.usersBySegment, SegmentProjection.history))
        }
        let (perPart, changesPerPart) = (users / Self.partitionCount + 1, changes / Self.partitionCount + 1)
        parts = (0..<Self.partitionCount).map { _ in Part(kinds, users: perPart, changes: changesPerPart) }
    }

    /// Folds events `through + 1 … last`, one read transaction per chunk and part, calling
    /// `progress` after each chunk with the seq reached.
    mutating func advance(to last: UInt64, progress: (UInt64) -> Void = { _ in }) throws {
        let (parts, kinds, store) = (self.parts, self.kinds, self.store)
        while through < last {
            let from = through + 1
            let end = min(last, through + UInt64(Self.chunkSize))
            _ = try parallelMap(parts.count) { index in
                try store.environment.read { txn in
                    try parts[index].fold(kinds, part: (index, parts.count), from: from, to: end, in: txn, store: store)
                }
            }
            through = end
            progress(through)
        }
    }

    /// Folds events `from … to` as `txn` sees them, every part in turn.
    mutating func fold(from: UInt64, to: UInt64, in txn: Transaction) throws {
        for (index, part) in parts.enumerated() {
            try part.fold(kinds, part: (index, parts.count), from: from, to: to, in: txn, store: store)
        }
        through = max(through, to)
    }

    /// The folds of one part of the users. Used by one thread at a time: `advance` gives
    /// each part to one thread and waits for them all.
    private final class Part: @unchecked Sendable {
        /// One fold per view replayed, nil for the others. Held by type, not as a list of
        /// `any ViewFold`: a call through the list retained and released the fold for every
        /// event (1-2% of the replay's samples).
        private let users: MemoryUserFold?
        private let segments: MemorySegmentFold?
        private let emails: TableFold?
        /// The users of this part, shared by the user folds.
        private let positions: UserPositions

        /// Sized for about `users` users and `changes` segment joins and leaves.
        init(_ kinds: [ViewKind], users: Int, changes: Int) {
            positions = UserPositions(users: users)
            self.users = kinds.contains(.usersByID) ? MemoryUserFold(positions: positions, users: users) : nil
            segments = kinds.contains(.usersBySegment) ? MemorySegmentFold(positions: positions, users: users, changes: changes) : nil
            emails = kinds.contains(.emailsByUser) ? TableFold(kind: .emailsByUser) : nil
        }

        subscript(kind: ViewKind) -> (any ViewFold)? {
            switch kind {
            case .usersByID: users
            case .usersBySegment: segments
            case .emailsByUser: emails
            }
        }

        func fold(_ kinds: [ViewKind], part: (index: Int, count: Int), from: UInt64, to: UInt64, in txn: Transaction, store: Store) throws {
            // The user of the event being folded, looked up once for both user folds.
            var user: (seq: UInt64, position: Int?) = (0, nil)
            let position = { (decoded: DecodedEvent) -> Int? in
                if user.seq != decoded.seq { user = (decoded.seq, decoded.userID.map(self.positions.position(of:))) }
                return user.position
            }
            try ViewReplay.fold(kinds, from: from, to: to, in: txn, store: store, part: part) { kind, decoded in
                switch kind {
                case .usersByID: if let users, let position = position(decoded) { users.apply(decoded, at: position) }
                case .usersBySegment: if let segments, let position = position(decoded) { segments.apply(decoded, at: position) }
                case .emailsByUser: try emails?.apply(decoded)
                }
            }
        }
    }

    /// One table of one view, all parts merged, in key order.
    struct SortedTable: Sendable {
        let kind: ViewKind
        let table: Int
        let entries: PackedEntries
    }

    /// Every table of every view, all parts merged, each in key order: `[kind][table]`.
    func sortedTables() -> [ViewKind: [PackedEntries]] {
        let sorted = Mutex(
            Dictionary(uniqueKeysWithValues: kinds.map { ($0, [PackedEntries](repeating: PackedEntries(), count: $0.tables.count)) }))
        sortTables { table in sorted.withLock { $0[table.kind]?[table.table] = table.entries } }
        return sorted.withLock { $0 }
    }

    /// Sorts every part's tables on all cores, and merges each table's parts (copying each
    /// entry once, into its place) as soon as its last part is sorted, then calls `deliver`
    /// with it, from that thread. Returns when all are delivered. The largest tables, in
    /// bytes, go first: a rebuild writes each table as it comes, and the writer, one thread,
    /// is then busy while the rest are sorted; and the last table's merge and checksum, on
    /// one thread, are short. (By entries, users-by-id came after the segment tables, and its
    /// merge then ran alone at the end, the other core idle.)
    func sortTables(deliver: @Sendable (SortedTable) -> Void) {
        let parts = self.parts
        let tables = kinds.flatMap { kind in
            kind.tables.indices.map { table in (kind: kind, table: table, size: parts.reduce(0) { $0 + ($1[kind]?.byteCount(table) ?? 0) })
            }
        }
        .sorted { $0.size > $1.size }
        let runs = Mutex<[Int: [Int: SortedRun]]>([:])
        DispatchQueue.concurrentPerform(iterations: tables.count * parts.count) { job in
            let (index, part) = job.quotientAndRemainder(dividingBy: parts.count)
            let (kind, table, _) = tables[index]
            let entries = parts[part][kind]?.entries(table) ?? PackedEntries()
            let run = entries.sorted()
            let all: [SortedRun]? = runs.withLock { runs in
                runs[index, default: [:]][part] = run
                guard let done = runs[index], done.count == parts.count else { return nil }
                runs[index] = nil
                return (0..<parts.count).compactMap { done[$0] }
            }
            guard let all else { return }  // the table's last part merges it
            deliver(SortedTable(kind: kind, table: table, entries: PackedEntries.merged(all) { kind.combine(table, Array($0), Array($1)) }))
        }
    }

    /// How many entries table `table` of `kind` holds once merged, or a little more (keys
    /// that two parts both hold count twice).
    func entryCount(_ kind: ViewKind, table: Int) -> Int {
        parts.reduce(0) { $0 + ($1[kind]?.entryCount(table) ?? 0) }
    }

    /// Folds events `from … to` as `txn` sees them, calling `apply` for each view that folds
    /// each event. Events no view cares about are neither copied nor parsed. With `part` (index, count), only
    /// the events of that part of the users are folded (see the type).
    static func fold(
        _ kinds: [ViewKind], from: UInt64, to: UInt64, in txn: Transaction, store: Store, part: (index: Int, count: Int) = (0, 1),
        apply: (ViewKind, DecodedEvent) throws -> Void
    ) throws {
        guard from <= to else { return }
        // Part 0 also folds the views not split by user, from every part's events.
        let foldsEveryPart = part.index == 0 && kinds.contains { !$0.isPartitionedByUser }
        try txn.scanInPlace(store.events, from: BigEndian.bytes(from)) { key, record in
            guard let seq = BigEndian.uint64(key, at: 0), seq <= to else { return false }
            let (type, recordPart) = try StoredEvent.route(seq: seq, record, partCount: part.count) { foldsEveryPart || $0 == part.index }
            let mine = recordPart == part.index
            var decoded: DecodedEvent? = nil
            for kind in kinds where kind.folds(type) && (kind.isPartitionedByUser ? mine : part.index == 0) {
                if decoded == nil { decoded = try DecodedEvent(StoredEvent(seq: seq, Array(copying: record)), type: type) }
                if let decoded { try apply(kind, decoded) }
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
        var replay = try ViewReplay(views: self, kinds: kinds)
        try replay.advance(to: head) { progress($0, head) }
        return try store.environment.read { txn in
            let now = try EventLog(store: store).headSeq(in: txn)
            try replay.fold(from: replay.through + 1, to: now, in: txn)
            let fresh = replay.sortedTables()
            return try kinds.map { kind in
                ViewCheck(
                    view: kind, checkpoint: try checkpoint(kind, in: txn), head: now,
                    stored: try ViewChecksum.stored(liveTables(kind, in: txn), in: txn),
                    fresh: ViewChecksum.of(tableCount: kind.tables.count) { fresh[kind]?[$0] ?? PackedEntries() })
            }
        }
    }
}
