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
    func apply(_ decoded: DecodedEvent) throws
    /// Table `table`'s entries, in no set order.
    func entries(_ table: Int) -> PackedEntries
    /// How many entries `entries(table)` holds, without making them.
    func entryCount(_ table: Int) -> Int
    /// About how many bytes `entries(table)` holds, without making them.
    func byteCount(_ table: Int) -> Int
}

/// users-by-id as `UserView` values by user id, each folded where it lies.
final class MemoryUserFold: ViewFold {
    /// Where each user is in `users`: the dictionary holds small entries, so looking a user up
    /// and growing the table move 24 bytes, not a whole `UserView`.
    private var positions: [String: Int]
    private var users: [UserView] = []

    init(users: Int) {
        positions = Dictionary(minimumCapacity: users)
        self.users.reserveCapacity(users)
    }

    func apply(_ decoded: DecodedEvent) {
        guard let userID = decoded.userID else { return }
        let position = Self.value(&positions[userID, default: users.count])  // one hash: finds or adds
        if position == users.count { users.append(UserView(userID: userID, createdAt: decoded.time)) }
        users[position].fold(decoded)
    }

    /// Each user's JSON is written straight into the packed buffer.
    func entries(_ table: Int) -> PackedEntries {
        guard table == 0 else { return PackedEntries() }
        var entries = PackedEntries(reservingCapacity: users.count, byteCount: byteCount(0))
        for user in users {
            entries.append(key: { $0 += user.userID.utf8 }, value: { bytes in JSONWriter.appending(to: &bytes) { user.write(to: &$0) } })
        }
        return entries
    }

    func entryCount(_ table: Int) -> Int { table == 0 ? users.count : 0 }
    /// A user's id and JSON take ~370–400 bytes in the benchmark's history.
    func byteCount(_ table: Int) -> Int { entryCount(table) * 400 }

    /// Reads a dictionary's `default:` subscript as an inout access, which stores the default.
    private static func value(_ value: inout Int) -> Int { value }
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
    /// By user id: the segments the user is in.
    private var members: [String: Memberships]
    /// The history table: every join and leave, in log order. Made as they are folded, while
    /// both cores replay, rather than after, while the writer waits for the tables.
    private var history: PackedEntries
    /// Members by segment, and users in at least one, kept as the folds go: counting them at
    /// the end walked every user's segments while the other core waited.
    private var counts: [String: UInt64] = [:]
    private var usersInSegments = 0

    /// Sized for about `users` users and `changes` joins and leaves.
    init(users: Int, changes: Int) {
        members = Dictionary(minimumCapacity: users)
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

    func apply(_ decoded: DecodedEvent) {
        guard SegmentProjection.canChange(decoded.type), let user = decoded.userID else { return }
        fold(decoded, of: user, into: &members[user, default: Memberships()])
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
            for (user, segments) in members {
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
            for (user, segments) in members where !segments.names.isEmpty {
                entries.append(
                    key: { $0 += user.utf8 },
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
