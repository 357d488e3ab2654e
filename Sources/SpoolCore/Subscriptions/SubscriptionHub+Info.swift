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
        let (ahead, exact) = try store.environment.read { txn in
            try countMatching(after: state.cursor, filter: state.config.filter, txn: txn)
        }
        let pendingAboveCursor = UInt64(state.acked.filter { $0 > state.cursor }.count)
        return Info(
            config: state.config, ackFloor: state.floor, position: state.cursor,
            lag: UInt64(state.outstandingCount) + ahead - min(ahead, pendingAboveCursor), lagExact: exact,
            inFlight: state.inFlight, waitingRedelivery: state.ready.count, deadLetters: state.dead.count, consumers: consumers)
    }

    private func waitingConsumers(_ name: String) -> Set<String> {
        waiting.withLock { Set(($0[name] ?? [:]).filter { $0.value > 0 }.keys) }
    }

    /// Matching events after `cursor`: exact for an unfiltered subscription, counted by a scan
    /// of at most a million events otherwise.
    private func countMatching(after cursor: UInt64, filter: EventFilter, txn: Transaction) throws -> (UInt64, Bool) {
        let head = try EventLog(store: store).headSeq(in: txn)
        guard head > cursor else { return (0, true) }
        if filter.isAll { return (head - cursor, true) }
        var count: UInt64 = 0
        var examined = 0
        try txn.scan(store.events, from: BigEndian.bytes(cursor + 1)) { key, value in
            guard examined < 1_000_000, let seq = BigEndian.uint64(key, at: 0) else { return false }
            examined += 1
            if try filter.matches(EventRecord.decode(seq: seq, value)) { count += 1 }
            return true
        }
        return (count, examined < 1_000_000)
    }
}
