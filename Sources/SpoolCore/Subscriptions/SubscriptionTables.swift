import JSON
import LMDB

/// The durable side of subscriptions.
///
/// ```
/// subscriptions   name                    → config JSON
/// sub_floors      name                    → ack floor (u64 BE)
/// sub_acks        name ‖ 0x00 ‖ seq (BE)  → empty: acked above the floor
/// sub_deliveries  name ‖ 0x00 ‖ seq (BE)  → delivery count (u32 BE) of an unacked seq
/// sub_dead        name ‖ 0x00 ‖ seq (BE)  → `DeadLetter` JSON
/// ```
/// Keys of one subscription are adjacent and in seq order, so acks arrive nearly in order.
/// Leases are not here: they live in memory, and a restart delivers every unacked event again.
struct SubscriptionTables: Sendable {
    let configs: Database
    let floors: Database
    let acks: Database
    let deliveries: Database
    let dead: Database

    init(store: Store) throws {
        let create = !store.environment.isReadOnly
        configs = try store.environment.openDatabase("subscriptions", create: create)
        floors = try store.environment.openDatabase("sub_floors", create: create)
        acks = try store.environment.openDatabase("sub_acks", create: create)
        deliveries = try store.environment.openDatabase("sub_deliveries", create: create)
        dead = try store.environment.openDatabase("sub_dead", create: create)
    }

    static func key(_ name: String, _ seq: UInt64) -> [UInt8] { NameKey.key(name, seq) }

    /// Every subscription with its durable state.
    func loadAll(_ txn: Transaction) throws -> [SubscriptionState] {
        var states: [SubscriptionState] = []
        var configsFound: [SubscriptionConfig] = []
        try txn.scan(configs) { _, value in
            if let config = (try? JSONParser.parse(value)).flatMap(SubscriptionConfig.init(json:)) { configsFound.append(config) }
            return true
        }
        for config in configsFound {
            let name = config.name
            // At most Int64.max, so a damaged floor cannot make `floor + 1` (or its wire form) trap.
            let floor = min(try txn.get(floors, Array(name.utf8)).flatMap { BigEndian.uint64($0, at: 0) } ?? 0, UInt64(Int64.max))
            var acked: Set<UInt64> = []
            try scan(acks, name, txn) { seq, _ in
                acked.insert(seq)
                return true
            }
            var counts: [UInt64: UInt32] = [:]
            try scan(deliveries, name, txn) { seq, value in
                counts[seq] = BigEndian.uint32(value, at: 0) ?? 0
                return true
            }
            var letters: [UInt64: DeadLetter] = [:]
            try scan(dead, name, txn) { seq, value in
                letters[seq] = DeadLetter(seq: seq, json: value)
                return true
            }
            states.append(SubscriptionState(config: config, floor: floor, acked: acked, deliveries: counts, dead: letters))
        }
        return states
    }

    /// Calls `body` with each (seq, value) of subscription `name` in `db`, in seq order, while
    /// it returns true.
    private func scan(_ db: Database, _ name: String, _ txn: Transaction, _ body: (UInt64, [UInt8]) throws -> Bool) throws {
        let prefix = Array(name.utf8) + [0]
        try txn.scan(db, from: prefix) { key, value in
            guard key.count == prefix.count + 8, key.starts(with: prefix), let seq = BigEndian.uint64(key, at: prefix.count) else {
                return false
            }
            return try body(seq, value)
        }
    }

    /// Writer thread only. Writes `changes` of subscription `name`.
    func write(_ changes: SubscriptionChanges, of name: String, _ txn: WriteTransaction) throws {
        if let floor = changes.floor { try txn.put(floors, Array(name.utf8), BigEndian.bytes(floor)) }
        let passed = changes.floor ?? 0
        // In key order: neighbouring keys share pages, so a batch of acks touches each once.
        for (seq, put) in changes.acks.sorted(by: { $0.key < $1.key }) {
            if put { try txn.put(acks, Self.key(name, seq), []) } else { try txn.delete(acks, Self.key(name, seq)) }
        }
        for (seq, count) in changes.deliveries.filter({ $0.key > passed }).sorted(by: { $0.key < $1.key }) {
            if count > 0 {
                var value: [UInt8] = []
                BigEndian.append(count, to: &value)
                try txn.put(deliveries, Self.key(name, seq), value)
            } else {
                try txn.delete(deliveries, Self.key(name, seq))
            }
        }
        for (seq, letter) in changes.dead {
            if let letter {
                try txn.put(dead, Self.key(name, seq), letter.json.jsonBytes)
            } else {
                try txn.delete(dead, Self.key(name, seq))
            }
        }
        // Last: which dead letters remain decides which counts stay.
        if let floor = changes.floor { try deleteDeliveryCounts(of: name, atOrBelow: floor, txn) }
    }

    /// The stored delivery counts of seqs at or below `floor`, which are done, except those of
    /// dead letters (a reset can leave one below the floor). Usually none: one seek.
    private func deleteDeliveryCounts(of name: String, atOrBelow floor: UInt64, _ txn: WriteTransaction) throws {
        var done: [[UInt8]] = []
        try scan(deliveries, name, txn) { seq, _ in
            guard seq <= floor else { return false }
            let key = Self.key(name, seq)
            if try txn.get(dead, key) == nil { done.append(key) }
            return true
        }
        for key in done { try txn.delete(deliveries, key) }
    }

    /// Writer thread only. Stores a new subscription's config and floor.
    func create(_ config: SubscriptionConfig, floor: UInt64, _ txn: WriteTransaction) throws {
        try txn.put(configs, Array(config.name.utf8), config.json.jsonBytes)
        try txn.put(floors, Array(config.name.utf8), BigEndian.bytes(floor))
    }

    /// Writer thread only. Removes a subscription and all its state.
    func delete(_ name: String, _ txn: WriteTransaction) throws {
        try txn.delete(configs, Array(name.utf8))
        try txn.delete(floors, Array(name.utf8))
        for db in [acks, deliveries, dead] {
            var keys: [[UInt8]] = []
            let prefix = Array(name.utf8) + [0]
            try txn.scan(db, from: prefix) { key, _ in
                guard key.starts(with: prefix) else { return false }
                keys.append(key)
                return true
            }
            for key in keys { try txn.delete(db, key) }
        }
    }
}
