import Synchronization

/// Counts the requests of one connection that were started and have not answered yet, so a
/// request that must see their effects can wait for them (a read after pipelined appends).
/// Owner of its state: the `Mutex` inside.
public final class InFlightRequests: Sendable {
    private struct State {
        var running = 0
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// `count` requests started.
    public func begin(_ count: Int = 1) { state.withLock { $0.running += count } }

    /// `count` requests answered; when they were the last ones, `idle` returns.
    public func end(_ count: Int = 1) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.running -= count
            guard state.running == 0 else { return [] }
            defer { state.idleWaiters = [] }
            return state.idleWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once every request begun so far has ended.
    public func idle() async {
        if state.withLock({ $0.running == 0 }) { return }
        await withCheckedContinuation { continuation in
            let idle = state.withLock { state -> Bool in
                if state.running == 0 { return true }
                state.idleWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }
}
