import LMDB

/// users-by-segment: who is in which segment, now and at any seq.
///
/// ```
/// 0 segment_members  segment ‖ 0x00 ‖ user               → seq joined (u64 BE)
/// 1 segment_counts   segment                             → member count (u64 BE)
/// 2 segment_history  segment ‖ 0x00 ‖ user ‖ 0x00 ‖ seq  → 1 joined | 0 left
/// 3 user_segments    user                                → segments joined by 0x00 (to leave all on delete)
/// ```
/// The history is keyed by (segment, user, seq) rather than (segment, seq): a page of
/// members as of any seq then reads users in id order, one short run of keys each, instead
/// of folding the segment's whole history. Segment names and user ids never hold 0x00.
enum SegmentProjection {
    static let members = 0, counts = 1, history = 2, userSegments = 3

    static func apply(_ decoded: DecodedEvent, to tables: some ViewTables) throws {
        guard canChange(decoded.type), let user = decoded.userID else { return }
        let seq = decoded.seq
        for change in changes(decoded, current: try segments(of: user, tables)) {
            if change.joined {
                try join(change.segment, user: user, seq: seq, tables)
            } else {
                try leave(change.segment, user: user, seq: seq, tables)
            }
        }
    }

    /// Whether an event of `type` can change its user's segments: the types `changes` reads.
    /// The others (profile updates, preferences) skip looking the user up.
    static func canChange(_ type: EventType?) -> Bool {
        switch type {
        case .userCreated, .userJoinedSegment, .userLeftSegment, .userDeleted: true
        default: false
        }
    }

    /// What `decoded` does to the segments of its user, who is in `current` now: each segment
    /// joined or left, at most once. Shared by the stored fold and the replay's (see
    /// `MemorySegmentFold`), so they cannot disagree on membership.
    static func changes(_ decoded: DecodedEvent, current: [String]) -> [(segment: String, joined: Bool)] {
        switch decoded.type {
        case .userCreated:  // a fresh start: exactly the segments it lists
            let listed = Set((decoded.data["segments"]?.arrayValue ?? []).compactMap(\.stringValue))
            return current.filter { !listed.contains($0) }.map { ($0, false) }
                + listed.sorted().filter { !current.contains($0) }.map { ($0, true) }
        case .userJoinedSegment:
            guard let segment = decoded.data["segment"]?.stringValue, !current.contains(segment) else { return [] }
            return [(segment, true)]
        case .userLeftSegment:
            guard let segment = decoded.data["segment"]?.stringValue, current.contains(segment) else { return [] }
            return [(segment, false)]
        case .userDeleted:
            return current.map { ($0, false) }
        default:
            return []
        }
    }

    /// `segment ‖ 0x00 ‖ user`, in one allocation (a replay makes hundreds of thousands).
    static func memberKey(_ segment: String, _ user: String) -> [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(segment.utf8.count + 1 + user.utf8.count)
        appendMemberKey(segment, user, to: &key)
        return key
    }

    /// `segment ‖ 0x00 ‖ user ‖ 0x00 ‖ seq (u64 BE)`, in one allocation.
    static func historyKey(_ segment: String, _ user: String, _ seq: UInt64) -> [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(segment.utf8.count + 1 + user.utf8.count + 9)
        appendHistoryKey(segment, user, seq, to: &key)
        return key
    }

    static func appendMemberKey(_ segment: String, _ user: String, to key: inout [UInt8]) {
        key += segment.utf8
        key.append(0)
        key += user.utf8
    }

    static func appendHistoryKey(_ segment: String, _ user: String, _ seq: UInt64, to key: inout [UInt8]) {
        appendMemberKey(segment, user, to: &key)
        key.append(0)
        BigEndian.append(seq, to: &key)
    }

    private static func join(_ segment: String, user: String, seq: UInt64, _ tables: some ViewTables) throws {
        let key = memberKey(segment, user)
        guard try tables.get(members, key) == nil else { return }
        try tables.put(members, key, BigEndian.bytes(seq))
        try setSegments(of: user, try segments(of: user, tables) + [segment], tables)
        try tables.put(history, historyKey(segment, user, seq), [1])
        try addToCount(segment, 1, tables)
    }

    private static func leave(_ segment: String, user: String, seq: UInt64, _ tables: some ViewTables) throws {
        let key = memberKey(segment, user)
        guard try tables.get(members, key) != nil else { return }
        try tables.delete(members, key)
        try setSegments(of: user, try segments(of: user, tables).filter { $0 != segment }, tables)
        try tables.put(history, historyKey(segment, user, seq), [0])
        try addToCount(segment, -1, tables)
    }

    private static func addToCount(_ segment: String, _ delta: Int64, _ tables: some ViewTables) throws {
        let key = Array(segment.utf8)
        let stored = Int64(clamping: try tables.get(counts, key).flatMap { BigEndian.uint64($0, at: 0) } ?? 0)  // clamped: damage
        let (sum, overflow) = stored.addingReportingOverflow(delta)
        let count = overflow ? Int64.max : sum
        if count > 0 { try tables.put(counts, key, BigEndian.bytes(UInt64(count))) } else { try tables.delete(counts, key) }
    }

    private static func segments(of user: String, _ tables: some ViewTables) throws -> [String] {
        guard let joined = try tables.get(userSegments, Array(user.utf8)) else { return [] }
        return joined.split(separator: 0, omittingEmptySubsequences: true).map { String(decoding: $0, as: UTF8.self) }
    }

    private static func setSegments(of user: String, _ segments: [String], _ tables: some ViewTables) throws {
        let key = Array(user.utf8)
        guard !segments.isEmpty else { return try tables.delete(userSegments, key) }
        try tables.put(userSegments, key, Array(segments.sorted().joined(separator: "\u{0}").utf8))
    }
}
