/// One subscription's delivery state, as a value: what is leased, what waits for redelivery,
/// what is acked above the floor, what is dead. The hub owns one per subscription and drives
/// it with the time passed in; every change that must survive a restart is also recorded in
/// `changes`, which the hub writes through the writer before it answers.
///
/// The ack floor is the smallest outstanding seq minus one (or the dispatch cursor when
/// nothing is outstanding): every matching seq at or below it is acked or purged. Dead
/// letters stay outstanding, so they hold the floor until requeued or purged.
struct SubscriptionState: Sendable {
    let config: SubscriptionConfig
    private(set) var floor: UInt64
    /// Every seq at or below it has been looked at by dispatch.
    private(set) var cursor: UInt64
    private(set) var acked: Set<UInt64>
    private(set) var dead: [UInt64: DeadLetter]
    private(set) var deliveries: [UInt64: UInt32]
    private var lastErrors: [UInt64: String] = [:]
    private(set) var leases = LeaseTable()
    /// Due for delivery again now (nacked, expired, requeued).
    private(set) var ready: Set<UInt64> = []
    /// Nacked with a delay: due at the given time.
    private var delayed: [UInt64: Timestamp] = [:]
    private var outstanding = OutstandingSeqs()
    var changes = SubscriptionChanges()

    init(config: SubscriptionConfig, floor: UInt64, acked: Set<UInt64>, deliveries: [UInt64: UInt32], dead: [UInt64: DeadLetter]) {
        self.config = config
        self.floor = floor
        self.cursor = floor
        self.acked = acked
        self.deliveries = deliveries
        self.dead = dead
    }

    var inFlight: Int { leases.count }
    var outstandingCount: Int { outstanding.count }

    /// How many more events may be leased now under `max_in_flight`.
    var room: Int { config.maxInFlight.map { max(0, $0 - leases.count) } ?? .max }

    /// Moves what became due (delayed nacks, expired leases) to `ready`; returns true when
    /// anything did, so waiting consumers can be woken.
    mutating func advanceClock(now: Timestamp) -> Bool {
        var moved = false
        for (seq, due) in delayed where due <= now {
            delayed[seq] = nil
            ready.insert(seq)
            moved = true
        }
        for seq in leases.expire(now: now) {
            giveBack(seq, error: "ack timeout", delay: 0, now: now)
            moved = true
        }
        return moved
    }

    /// Leases up to `max` ready seqs (smallest first) to `consumer`.
    mutating func takeReady(max: Int, consumer: String, now: Timestamp) -> [(seq: UInt64, delivery: UInt32)] {
        let taken = ready.sorted().prefix(Swift.min(max, room))
        return taken.map { seq in
            ready.remove(seq)
            return (seq, lease(seq, to: consumer, now: now))
        }
    }

    /// Admits seqs the hub read from the log after `cursor` (matching the filter, in order),
    /// having examined everything up to `through`. Leases the ones that are not already
    /// acked or dead; returns them.
    mutating func admit(_ seqs: [UInt64], through: UInt64, consumer: String, now: Timestamp) -> [(seq: UInt64, delivery: UInt32)] {
        var leased: [(seq: UInt64, delivery: UInt32)] = []
        for seq in seqs where seq > cursor {
            if acked.contains(seq) { continue }
            outstanding.insert(seq)
            if dead[seq] == nil { leased.append((seq, lease(seq, to: consumer, now: now))) }
        }
        cursor = Swift.max(cursor, through)
        moveFloor()
        return leased
    }

    private mutating func lease(_ seq: UInt64, to consumer: String, now: Timestamp) -> UInt32 {
        let delivery = min(deliveries[seq] ?? 0, .max - 1) + 1  // a damaged count stays at the maximum
        deliveries[seq] = delivery
        changes.deliveries[seq] = delivery
        leases.lease(
            seq, to: consumer, until: Timestamp(milliseconds: now.milliseconds + config.ackTimeoutMilliseconds), delivery: delivery)
        return delivery
    }

    /// Why an ack or nack of a seq was refused.
    enum Refusal: Error, Equatable {
        case neverDelivered(UInt64)
        case deadLettered(UInt64)
    }

    /// Acks `seqs`. An already acked seq (or one at or below the floor) is fine; a seq never
    /// delivered or in the dead letters is refused, and nothing is changed. A seq delivered
    /// before a restart can be acked before it is delivered again.
    mutating func ack(_ seqs: [UInt64]) throws(Refusal) {
        for seq in seqs where seq > floor && !acked.contains(seq) {
            if dead[seq] != nil { throw .deadLettered(seq) }
            if deliveries[seq] == nil { throw .neverDelivered(seq) }
        }
        var done: [UInt64] = []
        for seq in seqs where seq > floor && !acked.contains(seq) {
            leases.release(seq)
            // Usually empty: skip hashing the seq for them.
            if !ready.isEmpty { ready.remove(seq) }
            if !delayed.isEmpty { delayed[seq] = nil }
            if !lastErrors.isEmpty { lastErrors[seq] = nil }
            outstanding.remove(seq)
            deliveries[seq] = nil
            done.append(seq)
        }
        moveFloor()
        // What the floor passed needs no ack and no delivery count (see `SubscriptionChanges`).
        for seq in done where seq > floor {
            changes.deliveries[seq] = 0
            markAcked(seq)
        }
    }

    /// Gives `seqs` back for redelivery after `delay` ms (0: now), recording `error`. Only
    /// leased or waiting seqs can be nacked. A seq out of deliveries goes to the dead letters.
    mutating func nack(_ seqs: [UInt64], delay: Int64, error: String?, now: Timestamp) throws(Refusal) {
        for seq in seqs {
            if dead[seq] != nil { throw .deadLettered(seq) }
            if !outstanding.contains(seq) || acked.contains(seq) { throw .neverDelivered(seq) }
        }
        for seq in seqs {
            leases.release(seq)
            ready.remove(seq)
            giveBack(seq, error: error, delay: delay, now: now)
        }
    }

    private mutating func giveBack(_ seq: UInt64, error: String?, delay: Int64, now: Timestamp) {
        if let error { lastErrors[seq] = error }
        let delivered = deliveries[seq] ?? 0
        if delivered >= config.maxDeliveries {
            let letter = DeadLetter(seq: seq, reason: "max_deliveries", lastError: lastErrors[seq], deliveries: delivered, time: now)
            dead[seq] = letter
            changes.dead[seq] = letter
            delayed[seq] = nil
        } else if delay > 0 {
            delayed[seq] = Timestamp(milliseconds: now.milliseconds + delay)
        } else {
            ready.insert(seq)
        }
    }

    /// Moves dead letters back to delivery with a fresh delivery count; nil means all.
    /// Returns the seqs requeued.
    mutating func requeue(_ seqs: [UInt64]?) -> [UInt64] {
        let chosen = (seqs ?? Array(dead.keys)).filter { dead[$0] != nil }.sorted()
        for seq in chosen {
            dead[seq] = nil
            changes.dead[seq] = .some(nil)
            deliveries[seq] = 0
            changes.deliveries[seq] = 0
            lastErrors[seq] = nil
            ready.insert(seq)
            if seq > floor { outstanding.insert(seq) }
        }
        return chosen
    }

    /// Drops dead letters, counting them as done; nil means all. Returns the seqs purged.
    mutating func purge(_ seqs: [UInt64]?) -> [UInt64] {
        let chosen = (seqs ?? Array(dead.keys)).filter { dead[$0] != nil }.sorted()
        for seq in chosen {
            dead[seq] = nil
            changes.dead[seq] = .some(nil)
            deliveries[seq] = nil
            changes.deliveries[seq] = 0
            outstanding.remove(seq)
            markAcked(seq)
        }
        moveFloor()
        return chosen
    }

    /// Starts over after `floor`: forgets acks, leases and waiting redeliveries (dead letters
    /// stay for the operator).
    mutating func reset(to newFloor: UInt64) {
        for seq in acked { recordAckRemoved(seq) }
        for seq in deliveries.keys where dead[seq] == nil { changes.deliveries[seq] = 0 }
        deliveries = deliveries.filter { dead[$0.key] != nil }
        acked = []
        leases = LeaseTable()
        ready = []
        delayed = [:]
        lastErrors = [:]
        outstanding = OutstandingSeqs()
        floor = newFloor
        cursor = newFloor
        changes.floor = newFloor
    }

    /// Records `seq` as acked above the floor. Pending ack changes say what the store holds:
    /// a pending delete means the key is stored (so acking again needs no write), no pending
    /// change means it is not (a stored ack is in `acked` and is never acked twice), and a
    /// pending put is a key not stored yet.
    private mutating func markAcked(_ seq: UInt64) {
        acked.insert(seq)
        if changes.acks[seq] == false { changes.acks[seq] = nil } else { changes.acks[seq] = true }
    }

    /// Records that `seq`'s ack leaves the store; a pending put and its removal cancel out.
    private mutating func recordAckRemoved(_ seq: UInt64) {
        if changes.acks[seq] == true { changes.acks[seq] = nil } else { changes.acks[seq] = false }
    }

    private mutating func moveFloor() {
        let newFloor = outstanding.minimum.map { $0 - 1 } ?? cursor
        guard newFloor > floor else { return }
        floor = newFloor
        changes.floor = newFloor
        for seq in acked where seq <= newFloor {
            acked.remove(seq)
            recordAckRemoved(seq)
        }
    }
}

/// Durable changes waiting to be written: the floor, acks above it (true put, false delete),
/// delivery counts (0 deletes), dead letters (nil deletes). Newer values replace older ones.
/// A floor also deletes every stored delivery count at or below it (but a dead letter's), and
/// the delivery changes at or below it are dropped: the usual fetch-then-ack of a batch
/// writes the floor alone.
struct SubscriptionChanges: Sendable {
    var floor: UInt64?
    var acks: [UInt64: Bool] = [:]
    var deliveries: [UInt64: UInt32] = [:]
    var dead: [UInt64: DeadLetter?] = [:]

    var isEmpty: Bool { floor == nil && acks.isEmpty && deliveries.isEmpty && dead.isEmpty }

    mutating func merge(_ newer: SubscriptionChanges) {
        if let floor = newer.floor { self.floor = floor }
        acks.merge(newer.acks) { _, new in new }
        deliveries.merge(newer.deliveries) { _, new in new }
        dead.merge(newer.dead) { _, new in new }
    }
}
