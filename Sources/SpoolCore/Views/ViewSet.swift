import LMDB

/// The views' databases, both slots of each, and the inline projector that keeps the live
/// slots current. Handles are opened once at start and stay open: a rebuild clears and
/// refills the spare slot rather than dropping databases, so a reader can never hold a
/// handle that was closed under it.
public final class ViewSet: Projector {
    let store: Store
    /// view → slot (0, 1) → its tables, in `ViewKind.tables` order.
    private let databases: [ViewKind: [[Database]]]
    /// users-by-id rows the writer folded lately, as committed.
    let recentUsers = RecentUsers()

    init(store: Store) throws {
        self.store = store
        var databases: [ViewKind: [[Database]]] = [:]
        for view in ViewKind.allCases {
            databases[view] = try (0...1).map { slot in
                try view.tables.map { try store.environment.openDatabase("\($0).\(slot)", create: !store.environment.isReadOnly) }
            }
        }
        self.databases = databases
    }

    /// The tables of `view` in `slot`.
    func tables(_ view: ViewKind, slot: Int) -> [Database] { databases[view]?[slot] ?? [] }

    /// The live slot of `view` as `txn` sees it.
    func liveSlot(_ view: ViewKind, in txn: Transaction) throws -> Int {
        try txn.get(store.meta, view.slotKey) == [1] ? 1 : 0
    }

    /// The live tables of `view` as `txn` sees them.
    func liveTables(_ view: ViewKind, in txn: Transaction) throws -> [Database] {
        tables(view, slot: try liveSlot(view, in: txn))
    }

    /// The last seq folded into `view`'s live slot.
    func checkpoint(_ view: ViewKind, in txn: Transaction) throws -> UInt64 {
        try txn.get(store.checkpoints, view.checkpointKey).flatMap { BigEndian.uint64($0, at: 0) } ?? 0
    }

    /// Writer thread only.
    public func apply(_ events: [DecodedEvent], in context: WriteContext) throws {
        guard let last = events.last else { return }
        for view in ViewKind.allCases {
            let slot = try liveSlot(view, in: context.txn)
            let tables = StoredViewTables(txn: context.txn, databases: tables(view, slot: slot))
            // The events themselves when the view folds them all (a batch of user events):
            // a filtered copy counted a reference of every event up and down.
            let concerned = events.allSatisfy { view.folds($0.type) } ? events : events.filter { view.folds($0.type) }
            if view == .usersByID {
                try recentUsers.fold(concerned, into: tables, slot: slot)
            } else {
                try view.apply(concerned, to: tables)
            }
            try context.txn.put(store.checkpoints, view.checkpointKey, BigEndian.bytes(last.seq))
        }
    }

    /// Writer thread only.
    public func didCommit() { recentUsers.commit() }
}
