import JSON
import LMDB

/// One view folded in memory by a replay, read out at the end as tables (which `ViewReplay` sorts).
///
/// Three kinds: `TableFold` runs the view's projector over `MemoryViewTables` (the same code
/// as the writer's inline fold; emails-by-user), `MemoryUserFold` keeps each user as a
/// `UserView` folded in place and serializes it once at the end, and `MemorySegmentFold`
/// keeps users-by-segment as each user's segments plus the history table's entries, made as
/// each join and leave is folded, so an event costs one lookup instead of the seven table
/// reads and writes of the projector (a list of joins and leaves per user cost ~25% more
/// replay time: 100,000 small arrays grown one element at a time, and walked again for the
/// history table). The last two share their rules with the inline fold (`UserView.fold`,
/// `SegmentProjection.changes`), and the view check of verify and the property tests compare
/// a replay with the inline fold.
/// Once folding is done, `entries` may be called from several threads at once.
protocol ViewFold: AnyObject {
    /// Table `table`'s entries, in no set order.
    func entries(_ table: Int) -> PackedEntries
    /// How many entries `entries(table)` holds, without making them.
    func entryCount(_ table: Int) -> Int
    /// About how many bytes `entries(table)` holds, without making them.
    func byteCount(_ table: Int) -> Int
}

/// The users of one part of a replay, each at a position: the user folds keep their state in
/// arrays by position, so an event costs one lookup of its user however many views fold it
/// (a dictionary per view had cost each segment event two).
final class UserPositions {
    private var positions: [String: Int]
    /// The user at each position.
    private(set) var ids: [String] = []

    init(users: Int) {
        positions = Dictionary(minimumCapacity: users)
        ids.reserveCapacity(users)
    }

    /// `userID`'s position; a new user goes at the end.
    func position(of userID: String) -> Int {
        let position = Self.value(&positions[userID, default: ids.count])  // one hash: finds or adds
        if position == ids.count { ids.append(userID) }
        return position
    }

    /// Reads a dictionary's `default:` subscript as an inout access, which stores the default.
    private static func value(_ value: inout Int) -> Int { value }
}

/// users-by-id as `UserView` values by user position, each folded where it lies.
final class MemoryUserFold: ViewFold {
    private let positions: UserPositions
    /// `lastSeq` 0 for a user of the part this view has folded no event of.
    private var users: [UserView] = []
    private var count = 0

    init(positions: UserPositions, users: Int) {
        self.positions = positions
        self.users.reserveCapacity(users)
    }

    /// Folds `decoded` into the user at `position`.
    func apply(_ decoded: DecodedEvent, at position: Int) {
        if position >= users.count || users[position].lastSeq == 0 { start(at: position, time: decoded.time) }
        users[position].fold(decoded)
    }

    /// Starts the user at `position`, whose first event is at `time`. Users added before it
    /// (positions only the other user fold met) stay unfolded until their first event.
    private func start(at position: Int, time: Timestamp) {
        if position < users.count { users[position] = UserView(userID: positions.ids[position], createdAt: time) }
        while users.count <= position { users.append(UserView(userID: positions.ids[users.count], createdAt: time)) }
        count += 1
    }

    /// Each user's JSON is written straight into the packed buffer.
    func entries(_ table: Int) -> PackedEntries {
        guard table == 0 else { return PackedEntries() }
        var entries = PackedEntries(reservingCapacity: count, byteCount: byteCount(0))
        for user in users where user.lastSeq > 0 {
            entries.append(key: { $0 += user.userID.utf8 }, value: { bytes in JSONWriter.appending(to: &bytes) { user.write(to: &$0) } })
        }
        return entries
    }

    func entryCount(_ table: Int) -> Int { table == 0 ? count : 0 }
    /// A user's id and JSON take ~370–400 bytes in the benchmark's history.
    func byteCount(_ table: Int) -> Int { entryCount(table) * 400 }
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
    func entries(_ table: Int) -> PackedEntries { tables.entries(table) }
    func entryCount(_ table: Int) -> Int { tables.count(table) }
    /// An email's row is a few hundred bytes of JSON.
    func byteCount(_ table: Int) -> Int { entryCount(table) * 256 }
}

/// users-by-segment as each user's segments (with the seq each was joined at), from which the
/// tables of `SegmentProjection` are made, and the history table itself.
final class MemorySegmentFold: ViewFold {
    private let positions: UserPositions
    /// By user position: the segments the user is in.
    private var members: [Memberships] = []
    /// The history table: every join and leave, in log order. Made as they are folded, while
    /// both cores replay, rather than after, while the writer waits for the tables.
    private var history: PackedEntries
    /// Members by segment, and users in at least one, kept as the folds go: counting them at
    /// the end walked every user's segments while the other core waited.
    private var counts: [String: UInt64] = [:]
    private var usersInSegments = 0

    /// Sized for about `users` users and `changes` joins and leaves.
    init(positions: UserPositions, users: Int, changes: Int) {
        self.positions = positions
        members.reserveCapacity(users)
        history = PackedEntries(reservingCapacity: changes, byteCount: changes * 26)
    }

    /// A user's segments, sorted by name as `user_segments` stores them, each with the seq it
    /// was joined at. The names are their own array: `SegmentProjection.changes` reads them
    /// for every event that can change segments, without a copy being made.
    private struct Memberships {
        var names: [String] = []
        var joinedAt: [UInt64] = []

        mutating func join(_ name: String, at seq: UInt64) {
            let index = names.firstIndex { $0 > name } ?? names.count
            names.insert(name, at: index)
            joinedAt.insert(seq, at: index)
        }

        mutating func leave(_ name: String) {
            guard let index = names.firstIndex(of: name) else { return }
            names.remove(at: index)
            joinedAt.remove(at: index)
        }
    }

    /// Folds `decoded` into the user at `position`, if it can change segments.
    func apply(_ decoded: DecodedEvent, at position: Int) {
        guard SegmentProjection.canChange(decoded.type) else { return }
        while members.count <= position { members.append(Memberships()) }
        fold(decoded, of: positions.ids[position], into: &members[position])
    }

    private func fold(_ decoded: DecodedEvent, of user: String, into segments: inout Memberships) {
        let wasMember = !segments.names.isEmpty
        for change in SegmentProjection.changes(decoded, current: segments.names) {
            if change.joined {
                segments.join(change.segment, at: decoded.seq)
                counts[change.segment, default: 0] += 1
            } else {
                segments.leave(change.segment)
                counts[change.segment, default: 0] -= 1
            }
            history.append(
                key: { SegmentProjection.appendHistoryKey(change.segment, user, decoded.seq, to: &$0) },
                value: { $0.append(change.joined ? 1 : 0) })
        }
        usersInSegments += (segments.names.isEmpty ? 0 : 1) - (wasMember ? 1 : 0)
    }

    func entries(_ table: Int) -> PackedEntries {
        var entries = PackedEntries(reservingCapacity: entryCount(table), byteCount: byteCount(table))
        switch table {
        case SegmentProjection.members:
            for (position, segments) in members.enumerated() {
                let user = positions.ids[position]
                for (name, joinedAt) in zip(segments.names, segments.joinedAt) {
                    entries.append(
                        key: { SegmentProjection.appendMemberKey(name, user, to: &$0) },
                        value: { BigEndian.append(joinedAt, to: &$0) })
                }
            }
        case SegmentProjection.counts:
            for (segment, count) in counts where count > 0 { entries.append(key: segment.utf8, value: BigEndian.bytes(count)) }
        case SegmentProjection.history:
            return history
        case SegmentProjection.userSegments:
            for (position, segments) in members.enumerated() where !segments.names.isEmpty {
                entries.append(
                    key: { $0 += self.positions.ids[position].utf8 },
                    value: { bytes in
                        for (index, name) in segments.names.enumerated() {
                            if index > 0 { bytes.append(0) }
                            bytes += name.utf8
                        }
                    })
            }
        default:
            break
        }
        return entries
    }

    func entryCount(_ table: Int) -> Int {
        switch table {
        case SegmentProjection.members: Int(counts.values.reduce(0, +))
        case SegmentProjection.counts: counts.count
        case SegmentProjection.history: history.count
        case SegmentProjection.userSegments: usersInSegments
        default: 0
        }
    }

    /// Keys of a segment name and a user id, values of a few bytes.
    func byteCount(_ table: Int) -> Int { table == SegmentProjection.history ? history.byteCount : entryCount(table) * 24 }
}
