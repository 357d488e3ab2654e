import Synchronization

/// The timestamps of a latency run by seq, written by the producer and the consumer (which
/// may run on different event loops, hence the `Mutex`; a few thousand entries a second).
final class LatencyBook: Sendable {
    struct Entry {
        var sent: UInt64?
        var acknowledged: UInt64?
        var delivered: UInt64?
    }

    private let entries = Mutex<[UInt64: Entry]>([:])

    func acknowledged(_ seq: UInt64, sentAt sent: UInt64, at time: UInt64) {
        entries.withLock { entries in
            entries[seq, default: Entry()].sent = sent
            entries[seq, default: Entry()].acknowledged = time
        }
    }

    func delivered(_ seq: UInt64, at time: UInt64) {
        entries.withLock { entries in
            if entries[seq]?.delivered == nil { entries[seq, default: Entry()].delivered = time }
        }
    }

    /// Every entry seen by both sides.
    var complete: [Entry] {
        entries.withLock { entries in
            entries.values.filter { $0.sent != nil && $0.acknowledged != nil && $0.delivered != nil }
        }
    }
}
