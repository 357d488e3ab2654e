import JSON
import LMDB

/// The materialized views Spool keeps, each a set of LMDB tables folded from the log.
///
/// Every table exists twice, as `<table>.0` and `<table>.1`: the live slot serves reads and
/// takes inline updates while a rebuild fills the other; the switch is one write of the
/// view's slot number in `meta`, so readers move over atomically.
public enum ViewKind: String, CaseIterable, Sendable {
    /// user id → the user's current profile (`UserView`).
    case usersByID = "users-by-id"
    /// segment → members, with counts and a membership history for as-of queries.
    case usersBySegment = "users-by-segment"
    /// (user id, seq) → email with its delivery status.
    case emailsByUser = "emails-by-user"

    /// The base names of the view's tables, indexed by the projector's table numbers.
    public var tables: [String] {
        switch self {
        case .usersByID: ["users"]
        case .usersBySegment: ["segment_members", "segment_counts", "segment_history", "user_segments"]
        case .emailsByUser: ["emails", "email_ids"]
        }
    }

    /// Folds `events`, in order, into the view's tables. Events that do not concern the view
    /// are ignored.
    func apply(_ events: [DecodedEvent], to tables: some ViewTables) throws {
        switch self {
        case .usersByID: try UsersByIDProjection.apply(events, to: tables)
        case .usersBySegment: for event in events { try SegmentProjection.apply(event, to: tables) }
        case .emailsByUser: for event in events { try EmailProjection.apply(event, to: tables) }
        }
    }

    /// Whether the view cares about events of `type` (others are skipped without parsing).
    func folds(_ type: EventType?) -> Bool {
        guard let type else { return false }
        return self == .emailsByUser ? type.isEmailEvent : type.isUserEvent
    }

    /// Whether each user's rows depend only on the events of that user's own streams, so a
    /// replay can fold the users in parts (see `ViewReplay`). emails-by-user is not: a status
    /// event names its email by id, whoever's stream it is on.
    var isPartitionedByUser: Bool { self != .emailsByUser }

    /// One value of `key` in table `table` from two parts of a replay that both hold it: the
    /// sum for segment counts, the later part's otherwise (other keys are never in two parts).
    func combine(_ table: Int, _ first: [UInt8], _ second: [UInt8]) -> [UInt8] {
        guard self == .usersBySegment, table == SegmentProjection.counts else { return second }
        return BigEndian.bytes((BigEndian.uint64(first, at: 0) ?? 0) &+ (BigEndian.uint64(second, at: 0) ?? 0))
    }

    /// The `meta` key holding the view's live slot (0 or 1).
    var slotKey: [UInt8] { Array("view.\(rawValue).slot".utf8) }
    /// The `checkpoints` key: the last seq folded into the live slot.
    var checkpointKey: [UInt8] { Array(rawValue.utf8) }
}

/// users-by-id: one table, user id → `UserView` JSON.
enum UsersByIDProjection {
    /// Users as folds left them, found by id, each marked with the last fold that changed it.
    struct Rows {
        private(set) var users: [UserView] = []
        private var folds: [Int] = []
        private var positions: [String: Int] = [:]

        var count: Int { users.count }

        /// The position of `userID`'s row, read from `tables` (or started at `time`) when not held.
        fileprivate mutating func position(of userID: String, in tables: some ViewTables, startingAt time: Timestamp) throws -> Int {
            if let position = positions[userID] { return position }
            let user = try tables.get(0, Array(userID.utf8)).flatMap(UserView.init(json:)) ?? UserView(userID: userID, createdAt: time)
            users.append(user)
            folds.append(0)
            positions[userID] = users.count - 1
            return users.count - 1
        }

        /// Folds `event` into the row at `position` for fold `fold`; true when the fold had not
        /// changed that row before.
        fileprivate mutating func fold(_ event: DecodedEvent, at position: Int, fold: Int) -> Bool {
            users[position].fold(event)
            defer { folds[position] = fold }
            return folds[position] != fold
        }

        /// Room for `count` users, so that a replay's batch does not grow the table step by step.
        mutating func reserveCapacity(_ count: Int) {
            users.reserveCapacity(count)
            folds.reserveCapacity(count)
            positions.reserveCapacity(count)
        }

        /// Keeps only the rows that fold `fold` changed.
        mutating func keep(fold: Int) {
            var kept = Rows()
            for position in users.indices where folds[position] == fold {
                kept.positions[users[position].userID] = kept.users.count
                kept.users.append(users[position])
                kept.folds.append(fold)
            }
            self = kept
        }
    }

    /// Each user that `events` touch is read once, folded in place and written once: a batch
    /// of a commit often holds several events of one user, and reading and writing the row's
    /// JSON costs more than the fold. A user starts from its row in `rows` when it is held
    /// there (`RecentUsers` keeps them from commit to commit), else from the stored row; the
    /// rows this fold (number `fold`) changes are marked with it.
    static func apply(_ events: [DecodedEvent], to tables: some ViewTables, rows: inout Rows, fold: Int) throws {
        var changed: [Int] = []
        for event in events {
            guard let userID = event.userID else { continue }
            let position = try rows.position(of: userID, in: tables, startingAt: event.time)
            if rows.fold(event, at: position, fold: fold) { changed.append(position) }
        }
        guard tables.copiesValues else {
            for position in changed { try tables.put(0, Array(rows.users[position].userID.utf8), rows.users[position].jsonBytes) }
            return
        }
        // Through one buffer for keys and one for rows (LMDB copies them out): a row's own array
        // grew once and was freed after the put, ~4% of the writer's instructions.
        var (key, row): ([UInt8], JSONWriter) = ([], JSONWriter(reserveCapacity: 512))
        for position in changed {
            key.removeAll(keepingCapacity: true)
            key += rows.users[position].userID.utf8
            rows.users[position].write(to: &row)
            try tables.put(0, key, row.bytes)
            row.reset()
        }
    }

    /// `apply` with no rows held: each user starts from its stored row.
    static func apply(_ events: [DecodedEvent], to tables: some ViewTables) throws {
        var rows = Rows()
        rows.reserveCapacity(min(events.count, 1024))  // growing step by step cost more than filling
        try apply(events, to: tables, rows: &rows, fold: 1)
    }
}
