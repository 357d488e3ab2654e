import Synchronization

/// The users-by-id rows of the users the writer folded lately, as the last commit left them:
/// a commit folds such a user without reading and parsing its stored row (at one event per
/// append, parsing rows was ~5% of the writer's CPU).
///
/// Guarantees: the rows held are committed rows of the live slot. A transaction's folds join
/// only once it has committed (`commit`), so a transaction that fails, or runs again after a
/// map resize, never starts from its own folds. Everything goes when the live slot changes (a
/// rebuild) and when more than `capacity` users are held (then only the last commit's stay).
/// Writer thread only; the `Mutex` makes the type `Sendable`, not shared.
final class RecentUsers: Sendable {
    private struct State {
        var committed: [String: UserView] = [:]
        /// The rows of the transaction being written, until it commits.
        var pending: [String: UserView] = [:]
        /// The live slot `committed` belongs to.
        var slot = 0
    }

    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int = 10_000) { self.capacity = capacity }

    /// Folds `events` into users-by-id `tables` (the live slot `slot`), starting each user from
    /// its held row, else its stored one. A held row is moved out, not copied (a copy retained
    /// each of its fields), and comes back with the commit; should the transaction fail, the
    /// user is simply not held.
    func fold(_ events: [DecodedEvent], into tables: some ViewTables, slot: Int) throws {
        try state.withLock { state in
            if slot != state.slot { state = State(slot: slot) }
            state.pending = try UsersByIDProjection.apply(events, to: tables) { state.committed.removeValue(forKey: $0) }
        }
    }

    /// The transaction that ran the last `fold` has committed: its rows are the held ones now.
    func commit() {
        state.withLock { state in
            state.committed.merge(state.pending, keepingAtMost: capacity)
            state.pending = [:]
        }
    }

    /// Forgets every row (the live slot's rows were replaced).
    func clear() { state.withLock { $0 = State(slot: $0.slot) } }

    /// How many users are held (for tests).
    var count: Int { state.withLock { $0.committed.count } }
}
