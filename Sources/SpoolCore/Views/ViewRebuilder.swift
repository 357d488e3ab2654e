import Dispatch
import LMDB
import Synchronization

/// Rebuilds views by replaying the log into their spare slot, online.
///
/// 1. Replay seqs 1…H (H = the head when it starts) into memory, in bounded read
///    transactions, while the live slot keeps serving and taking inline updates.
/// 2. Clear the spare slot and write the folded tables into it in key order (`MDB_APPEND`,
///    no page splits), in writer transactions of bounded size, each table as soon as it is
///    sorted, while the others are sorted on the other cores.
/// 3. Catch the spare slot up with events appended meanwhile, a bounded chunk per writer
///    transaction; the transaction that reaches the head also switches the live slot and
///    clears the old one. Readers see either the old or the new view, never a mix.
/// Rejected: replaying straight into LMDB (a random-key put per event; ~10× slower), and
/// dropping databases (a reader could hold a handle being closed).
/// The fold is held in memory: about the size of the views themselves. The checksums returned
/// are of the tables in memory, each table hashed as soon as it is sorted, when nothing was
/// caught up (they are then what went live), else read back from LMDB.
public struct ViewRebuilder: Sendable {
    let store: Store
    let views: ViewSet
    let writer: Writer

    /// Where a rebuild is.
    public struct Progress: Sendable, Equatable {
        public enum Phase: String, Sendable {
            case replaying, writing
            case catchingUp = "catching_up"
            case done
        }
        public var phase: Phase
        public var done: UInt64
        public var total: UInt64
    }

    /// Rebuilds `kinds` and returns each view's checksum right after the switch.
    /// Throws `SpoolError` or an LMDB failure; on failure the live views are untouched.
    public func rebuild(_ kinds: [ViewKind], progress: @escaping @Sendable (Progress) -> Void = { _ in }) async throws -> [ViewKind: String]
    {
        let head = try EventLog(store: store).head().seq
        var replay = try ViewReplay(views: views, kinds: kinds)
        let kinds = replay.kinds  // each view once
        try replay.advance(to: head) { progress(Progress(phase: .replaying, done: $0, total: head)) }

        try await writer.submit { context in
            for kind in kinds {
                for table in views.tables(kind, slot: 1 - (try views.liveSlot(kind, in: context.txn))) { try context.txn.clear(table) }
            }
        }
        let total = kinds.reduce(0) { sum, kind in kind.tables.indices.reduce(sum) { $0 + replay.entryCount(kind, table: $1) } }
        let checksumsOfWritten = try await write(sortedBy: consume replay, kinds, total: UInt64(total), progress: progress)

        var through = head
        while true {
            let from = through
            let (reached, switched, committed) = try await writer.submit(weight: ViewReplay.chunkSize) { context in
                try catchUp(kinds, from: from, in: context)
            }
            through = reached
            progress(Progress(phase: switched ? .done : .catchingUp, done: reached, total: committed))
            if switched { break }
        }
        if through == head { return checksumsOfWritten }  // the spare slots went live as written
        // One thread and read transaction per view: each checksum is of its view right after
        // the switch (or after the inline updates that followed it).
        let checksums = try parallelMap(kinds.count) { index in
            try store.environment.read { txn in try ViewChecksum.stored(views.liveTables(kinds[index], in: txn), in: txn) }
        }
        return Dictionary(uniqueKeysWithValues: zip(kinds, checksums))
    }

    /// Writes the tables of `replay` into the spare slots, in writer transactions of bounded
    /// size, each table queued to the writer by the thread that sorted it, as soon as it is
    /// sorted (no task in between: with every core sorting, a task waits for a thread while
    /// the writer idles). Returns each view's checksum, made from its tables' digests, each
    /// hashed in memory as soon as the table is sorted. The fold is freed in the background.
    private func write(
        sortedBy replay: consuming ViewReplay, _ kinds: [ViewKind], total: UInt64, progress: @escaping @Sendable (Progress) -> Void
    ) async throws -> [ViewKind: String] {
        let handoff = Handoff(replay)
        let state = Mutex(WriteState())
        let (views, writer) = (self.views, self.writer)
        let pending = DispatchGroup()
        await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                // The only owner of the fold from here on: it is freed on this thread when
                // sorted, while the writer writes (~1M heap objects, ~0.08 s).
                let folded = handoff.take()
                folded?.sortTables { sorted in
                    let (kind, table, entries) = (sorted.kind, sorted.table, sorted.entries)
                    for start in stride(from: 0, to: entries.count, by: 50_000) {
                        let chunk = start..<min(entries.count, start + 50_000)
                        pending.enter()
                        writer.submit(weight: chunk.count / 10) { context in
                            let database = views.tables(kind, slot: 1 - (try views.liveSlot(kind, in: context.txn)))[table]
                            try context.txn.put(database, entries, chunk, flags: .append)
                        } completion: { result in
                            let written = state.withLock { $0.record(result.map { chunk.count }) }
                            progress(Progress(phase: .writing, done: written, total: max(total, written)))
                            pending.leave()
                        }
                    }
                    let digest = ViewChecksum.table(entries)
                    state.withLock { $0.add(digest, table: table, of: kind) }
                }
                pending.notify(queue: .global()) { finished.resume() }
            }
        }
        let (written, failure, checksums) = state.withLock { ($0.written, $0.failure, $0.checksums) }
        if let failure { throw failure }
        progress(Progress(phase: .writing, done: written, total: written))
        return checksums
    }

    /// Holds a value until one thread takes it, so that thread's release is the last.
    private final class Handoff<Value: Sendable>: Sendable {
        private let value: Mutex<Value?>
        init(_ value: consuming Value) { self.value = Mutex(value) }
        func take() -> Value? { value.withLock { $0.take() } }
    }

    /// What `write` has done so far, shared by the sorting threads and the writer's callbacks.
    private struct WriteState {
        var written: UInt64 = 0
        var failure: (any Error)?
        /// Each view's tables' digests, until it has them all.
        var digests: [ViewKind: [Int: [UInt8]]] = [:]
        var checksums: [ViewKind: String] = [:]

        /// Counts a chunk written, or keeps the first failure; returns the entries written.
        mutating func record(_ result: Result<Int, any Error>) -> UInt64 {
            switch result {
            case .success(let count): written += UInt64(count)
            case .failure(let error): failure = failure ?? error
            }
            return written
        }

        /// Keeps the digest of `kind`'s table `table`; with the view's last, makes its checksum.
        mutating func add(_ digest: [UInt8], table: Int, of kind: ViewKind) {
            digests[kind, default: [:]][table] = digest
            guard let all = digests[kind], all.count == kind.tables.count else { return }
            digests[kind] = nil
            checksums[kind] = ViewChecksum.combine(kind.tables.indices.map { all[$0] ?? [] })
        }
    }

    /// Writer thread only. Folds up to one chunk of events after `from` into the spare slots;
    /// when that reaches the committed head, makes the spare slots live and clears the old.
    private func catchUp(_ kinds: [ViewKind], from: UInt64, in context: WriteContext) throws -> (UInt64, Bool, UInt64) {
        // Events appended earlier in this batch are folded by the inline projector after
        // this item, into whichever slot is live by then.
        let committed = context.headSeq - UInt64(context.appendedCount)
        let end = min(committed, from + UInt64(ViewReplay.chunkSize))
        let spare = try Dictionary(uniqueKeysWithValues: kinds.map { ($0, 1 - (try views.liveSlot($0, in: context.txn))) })
        try ViewReplay.fold(kinds, from: from + 1, to: end, in: context.txn, store: store) { kind, decoded in
            try kind.apply([decoded], to: StoredViewTables(txn: context.txn, databases: views.tables(kind, slot: spare[kind] ?? 0)))
        }
        guard end == committed else { return (end, false, committed) }
        for kind in kinds {
            let newSlot = spare[kind] ?? 0
            try context.txn.put(store.meta, kind.slotKey, [UInt8(newSlot)])
            try context.txn.put(store.checkpoints, kind.checkpointKey, BigEndian.bytes(committed))
            for table in views.tables(kind, slot: 1 - newSlot) { try context.txn.clear(table) }
        }
        if kinds.contains(.usersByID) { views.recentUsers.clear() }
        return (end, true, committed)
    }
}

/// One view compared with a fresh fold of the log.
public struct ViewCheck: Sendable, Equatable {
    public var view: ViewKind
    public var checkpoint: UInt64
    public var head: UInt64
    public var stored: String
    public var fresh: String
    public var matches: Bool { stored == fresh && checkpoint == head }
}
