import JSON
import LMDB

/// Answers questions of the views, now or as of any point in the past.
///
/// "Now" reads the live slot. "As of" never replays the whole log: a user folds only its own
/// stream up to the seq, segment membership reads the (segment, user, seq) history, emails
/// read the (user, seq) range. Every call is one read transaction on the caller's thread.
public struct ViewQueries: Sendable {
    let store: Store
    let views: ViewSet

    /// The user, now or as of `asOf`. Throws `not_found` (the same for an unknown user and a
    /// user that did not exist yet).
    public func user(_ userID: String, asOf: AsOf? = nil) throws -> UserView {
        try store.environment.read { txn in
            let notFound = SpoolError.notFound("no user \(userID)\(asOf == nil ? "" : " at that point")")
            guard let asOf else {
                let stored = try txn.get(views.liveTables(.usersByID, in: txn)[0], Array(userID.utf8))
                guard let user = stored.flatMap(UserView.init(json:)) else { throw notFound }
                return user
            }
            let seq = try resolve(asOf, in: txn)
            var user: UserView? = nil
            try EventLog.forEachEvent(of: "user-\(userID)", fromVersion: 1, through: seq, in: txn, store: store) { stored in
                user = try UserView.fold(user, DecodedEvent(stored.decoded()))
                return true
            }
            guard let user else { throw notFound }
            return user
        }
    }

    /// A page of `segment`'s members in user-id order, after `after`; `next` is the last id of
    /// the page when more follow.
    public func segmentMembers(_ segment: String, asOf: AsOf? = nil, after: String? = nil, limit: Int) throws -> (
        users: [String], next: String?
    ) {
        try store.environment.read { txn in
            let tables = try views.liveTables(.usersBySegment, in: txn)
            let prefix = Array(segment.utf8) + [0]
            let start = prefix + Array((after ?? "").utf8) + (after == nil ? [] : [1])
            var users: [String] = []
            var more = false
            if let asOf {
                let seq = try resolve(asOf, in: txn)
                var current: (user: String, joined: Bool)? = nil
                func flush() -> Bool {
                    if let (user, joined) = current, joined {
                        if users.count == limit {
                            more = true
                            return false
                        }
                        users.append(user)
                    }
                    return true
                }
                try txn.scan(tables[SegmentProjection.history], from: start) { key, value in
                    guard key.starts(with: prefix), key.count >= prefix.count + 9 else { return false }
                    let user = String(decoding: key[prefix.count..<key.count - 9], as: UTF8.self)
                    if user != current?.user {
                        guard flush() else { return false }
                        current = (user, false)
                    }
                    if let entrySeq = BigEndian.uint64(key, at: key.count - 8), entrySeq <= seq { current?.joined = value == [1] }
                    return true
                }
                if !more { _ = flush() }
            } else {
                try txn.scan(tables[SegmentProjection.members], from: start) { key, _ in
                    guard key.starts(with: prefix) else { return false }
                    if users.count == limit {
                        more = true
                        return false
                    }
                    users.append(String(decoding: key[prefix.count...], as: UTF8.self))
                    return true
                }
            }
            return (users, more ? users.last : nil)
        }
    }

    /// Up to `limit` segments with members, by name, each after the name `after`, with their
    /// member counts; `next` is the `after` of the next page, nil at the end. As of a point,
    /// they are counted from the history, whose keys run segment by segment and within one
    /// user by user, oldest first: a scan from `after` that holds one user's state at a time.
    public func segments(asOf: AsOf? = nil, after: String? = nil, limit: Int = .max) throws -> (
        segments: [(name: String, count: UInt64)], next: String?
    ) {
        try store.environment.read { txn in
            let tables = try views.liveTables(.usersBySegment, in: txn)
            var result: [(name: String, count: UInt64)] = []
            // One more than asked, to know whether a page follows.
            func page() -> (segments: [(name: String, count: UInt64)], next: String?) {
                result.count > limit ? (Array(result.prefix(limit)), result[limit - 1].name) : (result, nil)
            }
            let afterKey = after.map { Array($0.utf8) }
            guard let asOf else {
                try txn.scan(tables[SegmentProjection.counts], from: afterKey.map { $0 + [0] }) { key, value in
                    result.append((String(decoding: key, as: UTF8.self), BigEndian.uint64(value, at: 0) ?? 0))
                    return result.count <= limit
                }
                return page()
            }
            let seq = try resolve(asOf, in: txn)
            var segment: ArraySlice<UInt8> = []
            var user: ArraySlice<UInt8> = []
            var count: UInt64 = 0
            var joined = false
            func endUser() {
                if joined { count += 1 }
                joined = false
            }
            func endSegment() {
                endUser()
                if count > 0 { result.append((String(decoding: segment, as: UTF8.self), count)) }
                count = 0
            }
            // Segment names never hold bytes below 0x2D, so `after` ‖ 0x01 is past all of its keys.
            try txn.scan(tables[SegmentProjection.history], from: afterKey.map { $0 + [1] }) { key, value in
                // A key too short to hold a user is no history key: skipped.
                guard key.count > 9, let separator = key.firstIndex(of: 0), separator < key.count - 9 else { return true }
                let keySegment = key[..<separator]
                let keyUser = key[(separator + 1)..<(key.count - 9)]
                if keySegment != segment {
                    if !segment.isEmpty { endSegment() }
                    if result.count > limit { return false }
                    segment = keySegment
                    user = keyUser
                } else if keyUser != user {
                    endUser()
                    user = keyUser
                }
                if let entrySeq = BigEndian.uint64(key, at: key.count - 8), entrySeq <= seq { joined = value == [1] }
                return true
            }
            if !segment.isEmpty && result.count <= limit { endSegment() }
            return page()
        }
    }

    /// Up to `limit` of the user's emails generated after seq `after`, in the order they were
    /// generated, with status as of `asOf`, the page ending early once their rows reach
    /// `maxBytes` (it holds at least one); `next` is the `after` of the next page, nil at the end.
    public func emails(
        _ userID: String, asOf: AsOf? = nil, after: UInt64 = 0, limit: Int = .max, maxBytes: Int = .max
    ) throws -> (emails: [JSONValue], next: UInt64?) {
        try store.environment.read { txn in
            let table = try views.liveTables(.emailsByUser, in: txn)[EmailProjection.emails]
            let seq = try asOf.map { try resolve($0, in: txn) } ?? .max
            let prefix = Array(userID.utf8) + [0]
            guard after < .max else { return ([], nil) }
            var emails: [JSONValue] = []
            var bytes = 0
            var next: UInt64? = nil
            var scanned = after
            try txn.scan(table, from: prefix + BigEndian.bytes(after + 1)) { key, value in
                guard key.starts(with: prefix), let emailSeq = BigEndian.uint64(key, at: prefix.count), emailSeq <= seq else {
                    return false
                }
                guard emails.count < limit, bytes < maxBytes else {
                    next = scanned
                    return false
                }
                if let email = EmailRecord.render(value, asOf: seq) {
                    emails.append(email)
                    bytes += value.count
                }
                scanned = emailSeq
                return true
            }
            return (emails, next)
        }
    }

    /// A page of a user's audit trail: the events of `user-<id>` and `email-<id>` in seq order.
    public struct AuditPage: Sendable {
        public var events: [RecordedEvent]
        /// The `after` of the next page; nil when this page ends the trail.
        public var next: UInt64?
    }

    /// Up to `limit` events of `user-<id>` and `email-<id>` after seq `after`, in seq order,
    /// optionally within a time range (times never go backwards, so the range is a range of
    /// seqs), the page ending early once either stream's records reach `maxBytes`.
    public func audit(
        _ userID: String, since: Timestamp? = nil, until: Timestamp? = nil, asOf: AsOf? = nil, after: UInt64 = 0,
        limit: Int = .max, maxBytes: Int = .max
    ) throws -> AuditPage {
        try store.environment.read { txn in
            var through = try asOf.map { try resolve($0, in: txn) } ?? .max
            if let until { through = min(through, try EventLog.lastSeq(atOrBefore: until, in: txn, store: store)) }
            var after = after
            if let since, since.milliseconds > .min {
                let before = Timestamp(milliseconds: since.milliseconds - 1)
                after = max(after, try EventLog.lastSeq(atOrBefore: before, in: txn, store: store))
            }
            var events: [RecordedEvent] = []
            // The page may not pass an event a stream still holds but did not return.
            var end = through
            for stream in ["user-\(userID)", "email-\(userID)"] {
                let first = try StreamIndex.firstVersion(of: stream, after: after, in: txn, store: store)
                let read = try EventLog.readStream(
                    stream, fromVersion: first, through: through, limit: limit, maxBytes: maxBytes, in: txn, store: store)
                let nextVersion = (read.last?.version ?? first - 1) + 1
                let nextSeq = try StreamIndex.run(of: stream, holding: nextVersion, in: txn, store: store)?.seq(ofVersion: nextVersion)
                if let nextSeq, nextSeq <= through { end = min(end, nextSeq - 1) }
                events += read
            }
            events.sort { $0.seq < $1.seq }
            let page = events.prefix { $0.seq <= end }.prefix(limit)
            let complete = page.count == events.count && end == through
            return AuditPage(events: Array(page), next: complete ? nil : page.last?.seq ?? end)
        }
    }

    /// The seq `asOf` stands for.
    func resolve(_ asOf: AsOf, in txn: Transaction) throws -> UInt64 {
        switch asOf {
        case .seq(let seq): seq
        case .time(let time): try EventLog.lastSeq(atOrBefore: time, in: txn, store: store)
        }
    }
}
