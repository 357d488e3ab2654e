import LMDB

extension SubscriptionHub {
    /// What `sub_info`, `sub_list` and `stats` report of a subscription.
    public struct Info: Sendable {
        public var config: SubscriptionConfig
        /// Every matching seq at or below it is acked (or purged).
        public var ackFloor: UInt64
        /// Dispatch has looked at every seq up to here.
        public var position: UInt64
        /// Matching events not yet acked (dead letters included).
        public var lag: UInt64
        /// False when the log after the position was too long to count in full; `lag` is then a floor.
        public var lagExact: Bool
        public var inFlight: Int
        public var waitingRedelivery: Int
        public var deadLetters: Int
        /// Consumers holding leases or waiting in a fetch.
        public var consumers: Int
    }

    /// Every subscription, by name.
    public func list() throws -> [Info] {
        states.withLock { $0.keys.sorted() }.compactMap { try? info($0) }
    }

    /// The subscription's position, lag and queues. Throws `not_found`.
    public func info(_ name: String) throws -> Info {
        let snapshot = states.withLock { states in
            states[name].map { state in
                (state, Set(state.leases.consumers).union(waitingConsumers(name)).count)
            }
        }
        guard let (state, consumers) = snapshot else { throw SpoolError.notFound("no subscription \(name)") }
        let earlier = lagCounts.withLock { $0[name] }
        let count = try store.environment.read { txn in
            try countMatching(after: state.cursor, filter: state.config.filter, continuing: earlier, txn: txn)
        }
        lagCounts.withLock { $0[name] = count }
        let (ahead, exact) = (count.count, count.exact)
        let pendingAboveCursor = UInt64(state.acked.filter { $0 > state.cursor }.count)
        return Info(
            config: state.config, ackFloor: state.floor, position: state.cursor,
            lag: UInt64(state.outstandingCount) + ahead - min(ahead, pendingAboveCursor), lagExact: exact,
            inFlight: state.inFlight, waitingRedelivery: state.ready.count, deadLetters: state.dead.count, consumers: consumers)
    }

    private func waitingConsumers(_ name: String) -> Set<String> {
        waiting.withLock { Set(($0[name] ?? [:]).filter { $0.value > 0 }.keys) }
    }

    /// Matching events after `cursor`: exact for an unfiltered subscription; otherwise counted
    /// by scanning at most a million events, continuing `earlier` when it counted with the same
    /// filter (the log only grows, so that count still holds): after the same cursor it scans
    /// only the events appended since; after an earlier cursor, also the events the consumers
    /// passed since, whose matches it takes off. A call's cost so follows what was appended and
    /// consumed since the last one, not the lag, and a count past the limit becomes exact over
    /// the following calls.
    private func countMatching(
        after cursor: UInt64, filter: EventFilter, continuing earlier: MatchCount?, txn: Transaction
    ) throws -> MatchCount {
        let head = try EventLog(store: store).headSeq(in: txn)
        guard !filter.isAll else { return MatchCount(filter: filter, cursor: cursor, through: head, count: head - min(head, cursor)) }
        var budget = 1_000_000
        var counted = MatchCount(filter: filter, cursor: cursor, through: cursor, count: 0)
        if let earlier, earlier.filter == filter, earlier.through <= head, earlier.cursor <= cursor, cursor <= earlier.through,
            cursor - earlier.cursor <= budget
        {
            // Every event the consumers passed is examined (seqs have no gaps), so the
            // subtraction is exact.
            let passed = try countMatches(filter, after: earlier.cursor, through: cursor, budget: &budget, txn: txn)
            counted = MatchCount(
                filter: filter, cursor: cursor, through: earlier.through, count: earlier.count - min(earlier.count, passed.count))
        }
        let appended = try countMatches(filter, after: counted.through, through: head, budget: &budget, txn: txn)
        counted.count += appended.count
        counted.through = appended.through
        counted.exact = counted.through >= head
        return counted
    }

    /// How many events after seq `after`, up to `through`, match `filter`, examining at most
    /// `budget` events (it takes off what it examined); `through` in the answer is the last
    /// seq it examined, or `after` when none.
    private func countMatches(
        _ filter: EventFilter, after: UInt64, through: UInt64, budget: inout Int, txn: Transaction
    ) throws -> (count: UInt64, through: UInt64) {
        var count: UInt64 = 0
        var last = after
        guard after < through else { return (0, after) }
        try txn.scanInPlace(store.events, from: BigEndian.bytes(after + 1)) { key, value in
            guard budget > 0, let seq = BigEndian.uint64(key, at: 0), seq <= through else { return false }
            budget -= 1
            if try StoredEvent.matches(filter, seq: seq, value) { count += 1 }
            last = seq
            return true
        }
        return (count, last)
    }
}

/// How many events after `cursor`, up to `through`, match `filter`: a lag count that the next
/// count can continue from `through`.
struct MatchCount: Sendable {
    var filter: EventFilter
    var cursor: UInt64
    var through: UInt64
    var count: UInt64
    /// `through` reached the head when this was counted.
    var exact = true
}
