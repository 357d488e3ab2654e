import LMDB

/// The writer's view of the log's end: the next seq, the chain head and the last time.
/// Loaded once at start from the last record, then carried from commit to commit.
struct LogState: Sendable {
    var headSeq: UInt64
    /// The last record's hash.
    var headHash: RecordHash
    var lastTime: Timestamp

    static func load(from store: Store) throws -> LogState {
        try store.environment.read { txn in
            guard let (key, value) = try txn.withCursor(store.events, { try $0.last() }) else {
                return LogState(headSeq: 0, headHash: .zero, lastTime: Timestamp(milliseconds: 0))
            }
            let seq = BigEndian.uint64(key, at: 0) ?? 0
            guard seq < .max else { throw EventRecord.Corrupt(seq: seq, reason: "the log's last seq leaves no room for another") }
            let last = try EventRecord.decode(seq: seq, value)
            return LogState(headSeq: seq, headHash: RecordHash(last.hash) ?? .zero, lastTime: last.time)
        }
    }
}

/// Stream name → version of its last committed event, for the streams written or checked
/// lately, so an append does not look its stream's head up in `streams`.
///
/// Guarantees: every version held is committed. At most `capacity` streams are held (~100
/// bytes each): a commit that would pass it leaves only its own streams, and a head read from
/// the store joins only while there is room, so a log of millions of streams costs a bounded
/// amount of memory, not one entry per stream ever written. Writer thread only.
final class StreamHeadCache {
    private(set) var versions: [String: UInt64] = [:]
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Notes the committed head of `stream`, read from the store, when there is room.
    func noteStored(_ stream: String, head: UInt64) {
        if versions.count < capacity { versions[stream] = head }
    }

    /// The batch that moved `heads` (each stream once) has committed. When the cache could then
    /// hold more than `capacity` streams, it keeps only these.
    func commit(_ heads: some Collection<(stream: String, version: UInt64)>) {
        if versions.count + heads.count > capacity { versions = [:] }
        for (stream, version) in heads { versions[stream] = version }
    }
}
