/// Who holds which event, until when. A value: the hub owns one per subscription and asks it
/// what expired, with the time passed in (tests pass their own).
public struct LeaseTable: Sendable, Equatable {
    public struct Lease: Sendable, Equatable {
        public var consumer: String
        public var deadline: Timestamp
        public var delivery: UInt32
    }

    public private(set) var leases: [UInt64: Lease] = [:]
    /// At or before every deadline in `leases` (a release leaves it as it was), so `expire`
    /// looks at the leases only once one may have expired, not on every fetch.
    private var earliestDeadline: Timestamp? = nil

    public init() {}

    public var count: Int { leases.count }
    public var consumers: Set<String> { Set(leases.values.map(\.consumer)) }

    /// Leases `seq` to `consumer` until `deadline`.
    public mutating func lease(_ seq: UInt64, to consumer: String, until deadline: Timestamp, delivery: UInt32) {
        leases[seq] = Lease(consumer: consumer, deadline: deadline, delivery: delivery)
        earliestDeadline = min(earliestDeadline ?? deadline, deadline)
    }

    /// Ends the lease on `seq` (acked or nacked); nil when it was not leased.
    @discardableResult
    public mutating func release(_ seq: UInt64) -> Lease? { leases.removeValue(forKey: seq) }

    /// Ends every lease whose deadline is at or before `now` and returns their seqs, in order.
    public mutating func expire(now: Timestamp) -> [UInt64] {
        guard let earliest = earliestDeadline, earliest <= now else { return [] }
        let expired = leases.filter { $0.value.deadline <= now }.keys.sorted()
        for seq in expired { leases[seq] = nil }
        earliestDeadline = nextDeadline
        return expired
    }

    /// The earliest deadline, to know when to look again.
    public var nextDeadline: Timestamp? { leases.values.map(\.deadline).min() }
}

/// Seqs a subscription has dispatched and not yet seen acked, in order; the smallest sets the
/// ack floor. Seqs arrive in increasing order (dispatch follows the log), so this is an array
/// with a moving start and lazily skipped removals: O(1) amortised per operation.
struct OutstandingSeqs: Sendable, Equatable {
    private var order: [UInt64] = []
    private var start = 0
    private(set) var members: Set<UInt64> = []

    var count: Int { members.count }
    func contains(_ seq: UInt64) -> Bool { members.contains(seq) }

    mutating func insert(_ seq: UInt64) {
        guard members.insert(seq).inserted else { return }
        if let last = order.last, seq < last {
            let index = order[start...].firstIndex { $0 > seq } ?? order.count
            order.insert(seq, at: index)
        } else {
            order.append(seq)
        }
    }

    mutating func remove(_ seq: UInt64) {
        members.remove(seq)
        while start < order.count, !members.contains(order[start]) { start += 1 }
        if start > 1024 && start * 2 > order.count {
            order.removeFirst(start)
            start = 0
        }
    }

    var minimum: UInt64? { start < order.count ? order[start] : nil }
}
