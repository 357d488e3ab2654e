import LMDB

/// One view folded in memory by a replay, read out at the end as sorted tables.
///
/// Three kinds: `TableFold` runs the view's projector over `MemoryViewTables` (the same code
/// as the writer's inline fold; emails-by-user), `MemoryUserFold` keeps each user as a
/// `UserView` folded in place and serializes it once at the end, and `MemorySegmentFold`
/// keeps users-by-segment as each user's segments plus one list of every join and leave, so an
/// event costs one lookup instead of the seven table reads and writes of the projector (a list
/// of joins and leaves per user cost ~25% more replay time: 100,000 small arrays grown one
/// element at a time, and walked again for the history table). The last two share their rules with the
/// inline fold (`UserView.fold`, `SegmentProjection.changes`), and the view check of verify
/// and the property tests compare a replay with the inline fold.
/// Once folding is done, `sortedEntries` may be called from several threads at once.
protocol ViewFold: AnyObject {
    func apply(_ decoded: DecodedEvent) throws
    /// Table `table`'s entries in key order (LMDB's order: bytewise).
    func sortedEntries(_ table: Int) -> PackedEntries
}

extension ViewKind {
    /// An empty in-memory fold of this view.
    func makeFold() -> any ViewFold {
        switch self {
        case .usersByID: MemoryUserFold()
        case .usersBySegment: MemorySegmentFold()
        case .emailsByUser: TableFold(kind: self)
        }
    }
}

/// users-by-id as `UserView` values by user id, each folded where it lies.
final class MemoryUserFold: ViewFold {
    /// Where each user is in `users`: the dictionary holds small entries, so looking a user up
    /// and growing the table move 24 bytes, not a whole `UserView`.
    private var positions: [String: Int] = [:]
    private var users: [UserView] = []

    func apply(_ decoded: DecodedEvent) {
        guard let userID = decoded.userID else { return }
        let position = positions[userID] ?? users.count
        if position == users.count {
            positions[userID] = position
            users.append(UserView(userID: userID, createdAt: decoded.time))
        }
        users[position].fold(decoded)
    }

    func sortedEntries(_ table: Int) -> PackedEntries {
        var entries = PackedEntries(reservingCapacity: table == 0 ? users.count : 0, byteCount: 0)
        if table == 0 { for user in users { entries.append(key: user.userID.utf8, value: user.jsonBytes) } }
        return entries.sorted()
    }
}

/// A view's projector over tables held in memory.
final class TableFold: ViewFold {
    let kind: ViewKind
    let tables: MemoryViewTables

    init(kind: ViewKind) {
        self.kind = kind
        tables = MemoryViewTables(count: kind.tables.count)
    }

    func apply(_ decoded: DecodedEvent) throws { try kind.apply([decoded], to: tables) }
    func sortedEntries(_ table: Int) -> PackedEntries { tables.sortedEntries(table) }
}

/// users-by-segment as each user's segments (with the seq each was joined at) and one list of
/// every join and leave, from which the tables of `SegmentProjection` are made.
final class MemorySegmentFold: ViewFold {
    /// By user id: the segments the user is in, sorted by name, as `user_segments` stores them.
    private var members: [String: [(name: String, joinedAt: UInt64)]] = [:]
    /// Every join and leave, in log order.
    private var history: [(segment: String, user: String, seq: UInt64, joined: Bool)] = []

    func apply(_ decoded: DecodedEvent) {
        guard SegmentProjection.canChange(decoded.type), let user = decoded.userID else { return }
        Self.fold(decoded, of: user, into: &members[user, default: []], history: &history)
    }

    private static func fold(
        _ decoded: DecodedEvent, of user: String, into segments: inout [(name: String, joinedAt: UInt64)],
        history: inout [(segment: String, user: String, seq: UInt64, joined: Bool)]
    ) {
        for change in SegmentProjection.changes(decoded, current: segments.map(\.name)) {
            if change.joined {
                segments.append((change.segment, decoded.seq))
                segments.sort { $0.name < $1.name }
            } else {
                segments.removeAll { $0.name == change.segment }
            }
            history.append((change.segment, user, decoded.seq, change.joined))
        }
    }

    func sortedEntries(_ table: Int) -> PackedEntries {
        var entries = PackedEntries()
        switch table {
        case SegmentProjection.members:
            for (user, segments) in members {
                for segment in segments {
                    entries.append(key: SegmentProjection.memberKey(segment.name, user), value: BigEndian.bytes(segment.joinedAt))
                }
            }
        case SegmentProjection.counts:
            var counts: [String: UInt64] = [:]
            for segments in members.values { for segment in segments { counts[segment.name, default: 0] += 1 } }
            for (segment, count) in counts { entries.append(key: segment.utf8, value: BigEndian.bytes(count)) }
        case SegmentProjection.history:
            for change in history {
                entries.append(
                    key: SegmentProjection.historyKey(change.segment, change.user, change.seq),
                    value: CollectionOfOne(change.joined ? 1 : 0))
            }
        case SegmentProjection.userSegments:
            for (user, segments) in members where !segments.isEmpty {
                entries.append(key: user.utf8, value: segments.map(\.name).joined(separator: "\u{0}").utf8)
            }
        default:
            break
        }
        return entries.sorted()
    }
}
