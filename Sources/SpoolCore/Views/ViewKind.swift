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
    /// Each user that `events` touch is read once, folded in place and written once: a batch
    /// of a commit often holds several events of one user, and reading and writing the row's
    /// JSON costs more than the fold. A user starts from `known(userID)` when it has the row
    /// (`RecentUsers`), else from the stored row. Returns the users as written.
    @discardableResult
    static func apply(
        _ events: [DecodedEvent], to tables: some ViewTables, known: (String) -> UserView? = { _ in nil }
    ) throws -> [String: UserView] {
        var users: [String: UserView] = [:]
        users.reserveCapacity(min(events.count, 1024))  // growing step by step cost more than filling
        for event in events {
            guard let userID = event.userID else { continue }
            // One lookup for a user already in this batch, folded where it lies.
            if let index = users.index(forKey: userID) {
                users.values[index].fold(event)
                continue
            }
            var user =
                try known(userID) ?? tables.get(0, Array(userID.utf8)).flatMap(UserView.init(json:))
                ?? UserView(userID: userID, createdAt: event.time)
            user.fold(event)
            users[userID] = user
        }
        for (userID, user) in users { try tables.put(0, Array(userID.utf8), user.jsonBytes) }
        return users
    }
}
