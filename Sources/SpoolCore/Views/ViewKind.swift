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

    /// Folds one event into the view's tables. Events that do not concern the view are ignored.
    func apply(_ event: DecodedEvent, to tables: some ViewTables) throws {
        switch self {
        case .usersByID: try UsersByIDProjection.apply(event, to: tables)
        case .usersBySegment: try SegmentProjection.apply(event, to: tables)
        case .emailsByUser: try EmailProjection.apply(event, to: tables)
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
    static func apply(_ event: DecodedEvent, to tables: some ViewTables) throws {
        guard let userID = event.userID else { return }
        let key = Array(userID.utf8)
        try tables.put(0, key, UserView.fold(try tables.get(0, key).flatMap(UserView.init(json:)), event).jsonBytes)
    }
}
