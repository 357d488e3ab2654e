import LMDB
import Synchronization

/// Owns every subscription's delivery state: leases, waiting consumers, redeliveries.
///
/// Design: each subscription's state is a value (`SubscriptionState`) behind one mutex; an
/// operation changes it in memory, then writes what must survive a restart (floor, acks,
/// delivery counts, dead letters) through the writer and answers only after that commit.
/// A fetch is the exception: it answers at once, and the delivery counts it raised are
/// written by the next write of the subscription (an ack, usually) or by `tick` within 25 ms,
/// whichever comes first. A crash in between forgets those counts: the events are delivered
/// again with their older count (still at least once; past `max_deliveries` only by the
/// deliveries of that window). Rejected: a commit per fetch (a flush on every batch read,
/// about a third of a consumer's round trip).
/// The log read that feeds a fetch happens under the mutex, so two consumers can never be
/// handed the same event. Long polls wait on a `ChangeSignal` that every commit, nack and
/// expiry rings. Leases live only here: a restart delivers every unacked event again.
public final class SubscriptionHub: Sendable {
    let store: Store
    /// Nil when the store is open read-only: then only the reading calls work.
    let writer: Writer?
    let tables: SubscriptionTables
    let clock: @Sendable () -> Timestamp
    let states: Mutex<[String: SubscriptionState]>
    let waiting = Mutex<[String: [String: Int]]>([:])
    /// The last lag count of each subscription, continued by the next one (see `info`).
    let lagCounts = Mutex<[String: MatchCount]>([:])
    let signal = ChangeSignal()
    /// Most events one fetch examines in the log before it answers.
    static let scanLimit = 10_000
    /// New events one fetch takes end once their records reach this many bytes (at least one):
    /// `max` events of up to 1 MiB each are not copied under the lock and into one answer.
    static let fetchBytes = 16 << 20

    init(store: Store, writer: Writer?, clock: @escaping @Sendable () -> Timestamp) throws {
        self.store = store
        self.writer = writer
        self.clock = clock
        let tables = try SubscriptionTables(store: store)
        self.tables = tables
        let loaded = try store.environment.read { try tables.loadAll($0) }
        states = Mutex(Dictionary(uniqueKeysWithValues: loaded.map { ($0.config.name, $0) }))
        writer?.onCommit { [signal] _ in signal.notifyAll() }
    }

    /// One delivered event.
    public struct Delivery: Sendable {
        public var subscription: String
        public var seq: UInt64
        public var delivery: UInt32
        /// The event as stored: a response writes it field by field from there.
        public var stored: StoredEvent
        public var event: RecordedEvent { stored.decoded() }
    }

    /// Creates the subscription; a second create with the same settings returns false and
    /// changes nothing. Throws `bad_request` for bad settings, `already_exists` for a name
    /// taken with other settings.
    @discardableResult
    public func create(_ config: SubscriptionConfig) async throws -> Bool {
        if let problem = config.problem { throw SpoolError.badRequest(problem) }
        let tables = self.tables
        let store = self.store
        let floor: UInt64? = try await requireWriter().submit { context in
            if let existing = try context.txn.get(tables.configs, Array(config.name.utf8)) {
                guard existing == config.json.jsonBytes else {
                    throw SpoolError(.alreadyExists, "subscription \(config.name) exists with other settings; delete it first")
                }
                return nil
            }
            let committed = context.headSeq - UInt64(context.appendedCount)
            let floor: UInt64
            switch config.start {
            case .beginning: floor = 0
            case .end: floor = committed
            case .seq(let seq): floor = seq > 0 ? seq - 1 : 0
            case .time(let time): floor = try EventLog.lastSeq(atOrBefore: time, in: context.txn, store: store)
            }
            try tables.create(config, floor: floor, context.txn)
            return floor
        }
        guard let floor else { return false }
        states.withLock { $0[config.name] = SubscriptionState(config: config, floor: floor, acked: [], deliveries: [:], dead: [:]) }
        signal.notifyAll()
        return true
    }

    /// Deletes the subscription and all its state. Throws `not_found`.
    public func delete(_ name: String) async throws {
        guard states.withLock({ $0.removeValue(forKey: name) }) != nil else { throw notFound(name) }
        let tables = self.tables
        try await requireWriter().submit { try tables.delete(name, $0.txn) }
        signal.notifyAll()
    }

    /// Leases up to `max` events to `consumer`, waiting up to `waitMilliseconds` for some to
    /// arrive. Redeliveries come first, then new events in seq order. Throws `not_found`.
    public func fetch(_ name: String, max: Int, waitMilliseconds: Int64 = 0, consumer: String) async throws -> [Delivery] {
        let deadline = clock().milliseconds + waitMilliseconds
        while true {
            let seen = signal.generation
            let (deliveries, examinedMore) = try takeOnce(name, max: max, consumer: consumer)
            if !deliveries.isEmpty { return deliveries }
            let remaining = deadline - clock().milliseconds
            if remaining <= 0 { return [] }
            if examinedMore {  // a filter that matched nothing in a long stretch: go on, letting others run between
                await Task.yield()
                continue
            }
            waiting.withLock { $0[name, default: [:]][consumer, default: 0] += 1 }
            await signal.wait(after: seen, milliseconds: remaining)
            waiting.withLock { waiting in  // an entry leaves at 0: consumer names must not pile up
                waiting[name]?[consumer]? -= 1
                if waiting[name]?[consumer] == 0 { waiting[name]?[consumer] = nil }
                if waiting[name]?.isEmpty == true { waiting[name] = nil }
            }
            if Task.isCancelled { return [] }
        }
    }

    /// Redeliveries, then new events from the log after the cursor. The log is read outside
    /// the lock (a scan of up to `scanLimit` records, or `fetchBytes` of them, would hold up
    /// every subscription and the writer's flushes): what it found is admitted under the lock
    /// only if no one moved the cursor meanwhile, and read again from there otherwise.
    private func takeOnce(_ name: String, max: Int, consumer: String) throws -> ([Delivery], Bool) {
        let now = clock()
        var (leased, cursor, filter, wanted) = try states.withLock { states in
            guard var state = states[name] else { throw notFound(name) }
            defer { states[name] = state }
            _ = state.advanceClock(now: now)
            let leased = state.takeReady(max: max, consumer: consumer, now: now)
            return (leased, state.cursor, state.config.filter, Swift.min(max - leased.count, state.room))
        }
        return try store.environment.read { txn in
            var found: [StoredEvent] = []
            var examinedMore = false
            while wanted > 0 {
                let (read, through) = try matching(after: cursor, limit: wanted, filter: filter, txn: txn)
                let moved: (cursor: UInt64, wanted: Int)? = try states.withLock { states in
                    guard var state = states[name] else { throw notFound(name) }
                    defer { states[name] = state }
                    guard state.cursor == cursor else { return (state.cursor, Swift.min(wanted, state.room)) }
                    // Others may have taken room meanwhile: the cursor passes only what is kept.
                    found = Array(read.prefix(Swift.min(wanted, state.room)))
                    let end = found.count < read.count ? (found.last?.seq ?? cursor) : through
                    examinedMore = end > cursor
                    leased += state.admit(found.map(\.seq), through: end, consumer: consumer, now: now)
                    return nil
                }
                guard let moved else { break }
                (cursor, wanted) = moved
            }
            let deliveries = try leased.map { seq, delivery in
                guard let event = try Self.event(seq, among: found) ?? EventLog.stored(at: seq, in: txn, store: store) else {
                    throw EventRecord.Corrupt(seq: seq, reason: "subscription \(name) points at a missing event")
                }
                return Delivery(subscription: name, seq: seq, delivery: delivery, stored: event)
            }
            return (deliveries, examinedMore)
        }
    }

    /// Events after `cursor` matching `filter` (at most `limit`, in seq order, ending once their
    /// records reach `fetchBytes`), and the last seq examined. Each record is read once, here.
    private func matching(
        after cursor: UInt64, limit: Int, filter: EventFilter, txn: Transaction
    ) throws -> ([StoredEvent], UInt64) {
        var found: [StoredEvent] = []
        var through = cursor
        var examined = 0
        var bytes = 0
        try txn.scanInPlace(store.events, from: BigEndian.bytes(cursor + 1)) { key, value in
            guard found.count < limit, examined < Self.scanLimit, bytes < Self.fetchBytes, let seq = BigEndian.uint64(key, at: 0)
            else { return false }
            examined += 1
            if try StoredEvent.matches(filter, seq: seq, value) {
                found.append(try StoredEvent(seq: seq, Array(copying: value)))
                bytes += value.count
            }
            through = seq
            return true
        }
        return (found, through)
    }

    /// The event of `seq` in `found` (sorted by seq), by binary search.
    private static func event(_ seq: UInt64, among found: [StoredEvent]) -> StoredEvent? {
        var low = 0
        var high = found.count
        while low < high {
            let middle = (low + high) / 2
            if found[middle].seq < seq { low = middle + 1 } else { high = middle }
        }
        return low < found.count && found[low].seq == seq ? found[low] : nil
    }

    /// Acknowledges `seqs`: they are never delivered again (unless the cursor is reset).
    /// Throws `not_found` for an unknown subscription or a seq never delivered, `bad_request`
    /// for a seq in the dead letters.
    public func ack(_ name: String, _ seqs: [UInt64]) async throws {
        try change(name) { state, _ in try state.ack(seqs) }
        try await flush(name)
        signal.notifyAll()
    }

    /// Gives `seqs` back for redelivery after `delayMilliseconds`, keeping `error` as the last
    /// error (shown with a dead letter). Throws like `ack`.
    public func nack(_ name: String, _ seqs: [UInt64], delayMilliseconds: Int64 = 0, error: String? = nil) async throws {
        try change(name) { state, now in try state.nack(seqs, delay: delayMilliseconds, error: error, now: now) }
        try await flush(name)
        signal.notifyAll()
    }

    /// Moves the cursor so delivery starts again at `start`. Throws `not_found`.
    public func reset(_ name: String, to start: SubscriptionConfig.Start) async throws {
        let floor: UInt64
        switch start {
        case .beginning: floor = 0
        case .end: floor = try EventLog(store: store).head().seq
        case .seq(let seq): floor = seq > 0 ? seq - 1 : 0
        case .time(let time): floor = try EventLog(store: store).lastSeq(atOrBefore: time)
        }
        try change(name) { state, _ in state.reset(to: floor) }
        try await flush(name)
        signal.notifyAll()
    }

    /// Whether a subscription named `name` exists: a look, without `info`'s lag count.
    public func exists(_ name: String) -> Bool { states.withLock { $0[name] != nil } }

    /// Those of `seqs` still leased to `consumer` (not acked, nacked or expired since); an
    /// unknown subscription holds none.
    public func held(_ name: String, _ seqs: Set<UInt64>, by consumer: String) -> Set<UInt64> {
        states.withLock { states in
            guard let leases = states[name]?.leases.leases else { return [] }
            return seqs.filter { leases[$0]?.consumer == consumer }
        }
    }

    /// Dead letters in seq order.
    public func deadLetters(_ name: String, limit: Int = 1000) throws -> [DeadLetter] {
        try states.withLock { states in
            guard let state = states[name] else { throw notFound(name) }
            return Array(state.dead.values.sorted { $0.seq < $1.seq }.prefix(limit))
        }
    }

    /// Requeues dead letters (nil: all) for delivery; returns the seqs requeued.
    public func requeue(_ name: String, _ seqs: [UInt64]?) async throws -> [UInt64] {
        var requeued: [UInt64] = []
        try change(name) { state, _ in requeued = state.requeue(seqs) }
        try await flush(name)
        signal.notifyAll()
        return requeued
    }

    /// Drops dead letters (nil: all), counting them as done; returns the seqs purged.
    public func purge(_ name: String, _ seqs: [UInt64]?) async throws -> [UInt64] {
        var purged: [UInt64] = []
        try change(name) { state, _ in purged = state.purge(seqs) }
        try await flush(name)
        return purged
    }

    /// Expires leases and releases delayed nacks; run it every few tens of milliseconds.
    public func tick() async {
        let now = clock()
        let (moved, dirty) = states.withLock { states in
            var moved = false
            var dirty: [String] = []
            for name in states.keys {
                if states[name]?.advanceClock(now: now) == true { moved = true }
                if states[name]?.changes.isEmpty == false { dirty.append(name) }
            }
            return (moved, dirty)
        }
        for name in dirty { try? await flush(name) }
        if moved { signal.notifyAll() }
    }

    private func change(_ name: String, _ body: (inout SubscriptionState, Timestamp) throws -> Void) throws {
        try states.withLock { states in
            guard var state = states[name] else { throw notFound(name) }
            do {
                try body(&state, clock())
            } catch let refusal as SubscriptionState.Refusal {
                switch refusal {
                case .neverDelivered(let seq): throw SpoolError.notFound("seq \(seq) was never delivered by subscription \(name)")
                case .deadLettered(let seq):
                    throw SpoolError.badRequest("seq \(seq) is in the dead letters of \(name); requeue or purge it")
                }
            }
            states[name] = state
        }
    }

    /// Writes the subscription's pending durable changes through the writer. On failure the
    /// changes are kept for the next flush.
    func flush(_ name: String) async throws {
        let drained = DrainedChanges()
        let tables = self.tables
        do {
            try await requireWriter().submit { context in
                // Runs again from the start if the map had to grow: merge, never lose.
                let newer = self.states.withLock { states -> SubscriptionChanges? in
                    defer { states[name]?.changes = SubscriptionChanges() }
                    return states[name]?.changes
                }
                if let newer { drained.changes.merge(newer) }
                try tables.write(drained.changes, of: name, context.txn)
            }
        } catch {
            states.withLock { states in
                var kept = drained.changes
                if let newer = states[name]?.changes { kept.merge(newer) }
                states[name]?.changes = kept
            }
            throw error
        }
    }

    private func requireWriter() throws(SpoolError) -> Writer {
        guard let writer else { throw .badRequest("the data directory is open read-only") }
        return writer
    }

    private func notFound(_ name: String) -> SpoolError { SpoolError.notFound("no subscription \(name)") }
}

/// Changes taken from the state by one flush. Writer thread only.
private final class DrainedChanges: @unchecked Sendable {
    var changes = SubscriptionChanges()
}
