import Synchronization

/// The users-by-id rows of the users the writer folded lately: a commit folds such a user
/// without reading and parsing its stored row (at one event per append, parsing rows was ~5%
/// of the writer's CPU). Rows are folded where they are held, and the rows a commit changed
/// are written from there.
///
/// Guarantees: a fold starts only from committed rows of the live slot. A fold's changes are
/// kept when its transaction commits (`commit`); a fold that no commit followed (its
/// transaction failed, or runs again after a map resize) leaves rows that are not, so the next
/// fold starts over from the stored rows. Everything goes when the live slot changes (a
/// rebuild) and when more than `capacity` users are held (then only the last commit's stay).
/// Writer thread only; the `Mutex` makes the type `Sendable`, not shared.
/// Rejected: the rows moved out of a committed dictionary into the transaction's and merged
/// back after the commit (three more hashes of a user id per user and commit, and the copies).
final class RecentUsers: Sendable {
    private struct State {
        var rows = UsersByIDProjection.Rows()
        /// The number of the last fold.
        var fold = 0
        /// The last fold's transaction has not committed: the rows it changed are not committed.
        var uncommitted = false
        /// The live slot the rows belong to.
        var slot = 0
    }

    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int = 10_000) { self.capacity = capacity }

    /// Folds `events` into users-by-id `tables` (the live slot `slot`), each user from its held
    /// row, else its stored one.
    func fold(_ events: [DecodedEvent], into tables: some ViewTables, slot: Int) throws {
        try state.withLock { state in
            if slot != state.slot || state.uncommitted { state = State(slot: slot) }
            state.uncommitted = true
            state.fold += 1
            try UsersByIDProjection.apply(events, to: tables, rows: &state.rows, fold: state.fold)
        }
    }

    /// The transaction that ran the last `fold` has committed: its rows are committed rows.
    func commit() {
        state.withLock { state in
            state.uncommitted = false
            if state.rows.count > capacity { state.rows.keep(fold: state.fold) }
        }
    }

    /// Forgets every row (the live slot's rows were replaced).
    func clear() { state.withLock { $0 = State(slot: $0.slot) } }

    /// How many users are held (for tests).
    var count: Int { state.withLock { $0.rows.count } }
}
