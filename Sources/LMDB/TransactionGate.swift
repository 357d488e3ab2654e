import Foundation

/// Counts the transactions open in this process so the map can be resized safely.
///
/// `mdb_env_set_mapsize` may only be called while no transaction of this process is active.
/// Every transaction enters the gate before `mdb_txn_begin` and leaves after it ends; a resize
/// closes the gate, waits for the count to reach zero, resizes, and opens it again. Resizes
/// are rare (the map doubles), so readers almost never wait.
final class TransactionGate: @unchecked Sendable {
    // Safe to share: every field is read and written only while `condition` is locked.
    private let condition = NSCondition()
    private var active = 0
    private var resizing = false

    func enter() {
        condition.lock()
        while resizing { condition.wait() }
        active += 1
        condition.unlock()
    }

    func leave() {
        condition.lock()
        active -= 1
        if active == 0 { condition.broadcast() }
        condition.unlock()
    }

    /// Runs `body` while no transaction is open and none can start.
    func exclusively<T>(_ body: () throws -> T) rethrows -> T {
        condition.lock()
        while resizing { condition.wait() }
        resizing = true
        while active > 0 { condition.wait() }
        defer {
            resizing = false
            condition.broadcast()
            condition.unlock()
        }
        return try body()
    }
}
