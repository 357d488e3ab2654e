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
            let last = try EventRecord.decode(seq: seq, value)
            return LogState(headSeq: seq, headHash: RecordHash(last.hash) ?? .zero, lastTime: last.time)
        }
    }
}

/// Stream name → version of its last committed event, for streams seen since start.
/// Grows with the number of streams written (~100 bytes each). Writer thread only.
final class StreamHeadCache {
    var versions: [String: UInt64] = [:]
}
