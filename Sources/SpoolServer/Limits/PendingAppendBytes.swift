import Synchronization

/// The bytes of append lines the server has read but not yet answered, across every
/// connection: a bound on the memory a burst of appends holds while the writer works through
/// them (1,024 connections × 256 pipelined lines × 1 MiB would otherwise be 256 GiB).
///
/// Design: a connection takes a line's size before it starts an append and gives it back
/// once the append is answered. When the budget is spent the connection waits, so it stops
/// reading and TCP pushes back on its client, until earlier appends are answered. Waiters go
/// in arrival order, so a large line is not passed over for ever by small ones; a line larger
/// than the whole budget goes once nothing else is held. Guarantees: what is held never
/// passes the capacity, except by one line larger than it, held alone. Rejected: refusing
/// appends over the budget (a client's window of appends would fail in bursts instead of
/// slowing down).
final class PendingAppendBytes: Sendable {
    private let state: Mutex<State>

    private struct State {
        let capacity: Int
        var held = 0
        /// Waiting takers, first come first served.
        var waiting: [(bytes: Int, continuation: CheckedContinuation<Void, Never>)] = []

        func fits(_ bytes: Int) -> Bool { held == 0 || held + bytes <= capacity }

        /// Takes `bytes` when they fit and no one waits before them; false, taking nothing,
        /// otherwise.
        mutating func takeIfFree(_ bytes: Int) -> Bool {
            guard waiting.isEmpty, fits(bytes) else { return false }
            held += bytes
            return true
        }
    }

    /// A budget of `capacity` bytes (at least 1).
    init(capacity: Int) { state = Mutex(State(capacity: max(capacity, 1))) }

    /// The bytes held now, and how many takers wait.
    var usage: (held: Int, waiting: Int) { state.withLock { ($0.held, $0.waiting.count) } }

    /// Takes `bytes` when they fit and no one waits before them; false, taking nothing,
    /// otherwise (then `take`).
    func tryTake(_ bytes: Int) -> Bool {
        state.withLock { $0.takeIfFree(bytes) }
    }

    /// Takes `bytes`, waiting behind earlier takers until they fit.
    func take(_ bytes: Int) async {
        await withCheckedContinuation { continuation in
            let taken = state.withLock { state in
                if state.takeIfFree(bytes) { return true }
                state.waiting.append((bytes, continuation))
                return false
            }
            if taken { continuation.resume() }
        }
    }

    /// Gives back what an answered append took and lets in the waiters that now fit, in order.
    func give(_ bytes: Int) {
        let admitted = state.withLock { state in
            state.held -= bytes
            var admitted: [CheckedContinuation<Void, Never>] = []
            while let first = state.waiting.first, state.fits(first.bytes) {
                state.held += first.bytes
                admitted.append(state.waiting.removeFirst().continuation)
            }
            return admitted
        }
        for continuation in admitted { continuation.resume() }
    }
}
