import Synchronization

/// The answers of one connection, kept in request order and sent as soon as the head is ready.
///
/// Design: the reader `reserve`s a slot per request (waiting while `capacity` answers are
/// unsent: back-pressure), requests `fill` their slot whenever they finish, in any order and
/// from any thread (the writer's, for an append), and the caller whose fill readies the head
/// sends every filled slot at the head at once, as one batch: one write and one flush for a
/// whole burst of answers, such as a window of appends that one commit finished together. One
/// caller sends at a time (`sending`); a fill that readies more answers meanwhile leaves them
/// to that caller, which loops until the head is empty, so `send` sees the batches in request
/// order. Rejected: a writer task woken per
/// burst (one more thread hop on every round trip). Owner of its state: the `Mutex` inside.
///
/// Bytes are bounded too: answers filled but not yet written out (batches handed to `send`
/// and not yet reported done included) may total `maxBytes`; one more byte means the client
/// is not reading, and the queue fails and calls `overflowed` (the connection closes) rather
/// than grow.
final class AnswerQueue: Sendable {
    private struct State {
        /// Unsent answers, oldest first; nil while still running.
        var slots: [[UInt8]?] = []
        /// The request index of `slots[0]`.
        var firstIndex = 0
        /// A task is handing batches to `send`.
        var sending = false
        var finished = false
        /// The connection failed: answers are dropped and nobody waits any more.
        var failed = false
        /// Bytes of filled slots plus batches handed to `send` and not yet written.
        var bufferedBytes = 0
        /// Slots reserved and not yet filled, counted through a failure too: their requests
        /// are still running.
        var running = 0
        var readers: [CheckedContinuation<Void, Never>] = []
        var drainWaiter: CheckedContinuation<Void, Never>? = nil

        /// Every answer is handed to `send` (or dropped), and no more will come.
        var isDrained: Bool { running == 0 && (failed || finished && slots.isEmpty && !sending) }
    }

    /// Writes one batch of answers out, in call order (the answers in their order), and calls
    /// `done` with whether it was written.
    typealias Send = @Sendable (_ batch: [[UInt8]], _ done: @escaping @Sendable (Bool) -> Void) -> Void

    private let state = Mutex(State())
    let capacity: Int
    let maxBytes: Int
    private let send: Send
    private let overflowed: @Sendable () -> Void

    /// `overflowed` is called once, from the task whose answer passed `maxBytes`.
    init(capacity: Int, maxBytes: Int = .max, send: @escaping Send, overflowed: @escaping @Sendable () -> Void = {}) {
        precondition(capacity > 0, "an answer queue holds at least one answer")
        self.capacity = capacity
        self.maxBytes = maxBytes
        self.send = send
        self.overflowed = overflowed
    }

    /// Reader: the index of a new slot at the tail, once fewer than `capacity` answers are unsent.
    func reserve() async -> Int {
        while true {
            if let index = tryReserve() { return index }
            await withCheckedContinuation { continuation in
                let room = state.withLock { state -> Bool in
                    if state.slots.count < capacity || state.failed { return true }
                    state.readers.append(continuation)
                    return false
                }
                if room { continuation.resume() }
            }
        }
    }

    /// Reader: a slot at the tail when there is room, without waiting; nil when full. After a
    /// failure every request gets slot -1, which nothing fills.
    func tryReserve() -> Int? {
        state.withLock { state in
            if state.failed { return -1 }
            guard state.slots.count < capacity else { return nil }
            state.slots.append(nil)
            state.running += 1
            return state.firstIndex + state.slots.count - 1
        }
    }

    /// Any task: stores the answer of request `index`; when that readies the head and nobody
    /// is sending, sends every ready answer at the head, looping while more become ready.
    func fill(_ index: Int, with answer: [UInt8]) { fill(CollectionOfOne(index), with: CollectionOfOne(answer)) }

    /// Any task: `fill` for several requests at once (`answers` in the order of `indices`),
    /// under one lock: the appends one writer item finished.
    func fill(_ indices: some Sequence<Int>, with answers: some Sequence<[UInt8]>) {
        var overflow = false
        var (batch, waiters) = state.withLock { state -> (Batch?, Waiters) in
            for (index, answer) in zip(indices, answers) {
                if index >= 0 { state.running -= 1 }
                let offset = index - state.firstIndex
                guard !overflow, !state.failed, state.slots.indices.contains(offset) else { continue }
                guard state.bufferedBytes + answer.count <= maxBytes else {
                    overflow = true
                    continue
                }
                state.slots[offset] = answer
                state.bufferedBytes += answer.count
            }
            if overflow { return (nil, Self.fail(&state)) }
            guard !state.failed, let head = state.slots.first, head != nil, !state.sending else { return (nil, Self.drained(&state)) }
            return Self.takeBatch(&state)
        }
        waiters.resume()
        if overflow { return overflowed() }
        while let ready = batch {
            send(ready.answers) { [self] written in
                if written { state.withLock { $0.bufferedBytes = max($0.bufferedBytes - ready.bytes, 0) } } else { fail() }
            }
            (batch, waiters) = state.withLock { Self.takeBatch(&$0) }
            waiters.resume()
        }
    }

    /// Answers taken from the head together, and their size in bytes.
    private struct Batch {
        var answers: [[UInt8]]
        var bytes: Int
    }

    /// Under the lock: every filled answer at the head, in order, marking the caller as the
    /// sender; nil (and no sender) when none is ready, or when those ready are all empty (the
    /// appends whose lines went with a neighbour's: `Dispatcher.start(_:answer:)`), which
    /// leave the queue without being sent. Wakes reservers for the room.
    private static func takeBatch(_ state: inout State) -> (Batch?, Waiters) {
        let ready = state.failed ? 0 : state.slots.prefix { $0 != nil }.count
        var batch = Batch(answers: [], bytes: 0)
        for case let answer? in state.slots.prefix(ready) where !answer.isEmpty {
            batch.answers.append(answer)
            batch.bytes += answer.count
        }
        state.slots.removeFirst(ready)
        state.firstIndex += ready
        var waiters = Waiters()
        if ready > 0 { swap(&waiters.readers, &state.readers) }
        state.sending = !batch.answers.isEmpty
        guard state.sending else {
            waiters.drained = drained(&state).drained
            return (nil, waiters)
        }
        return (batch, waiters)
    }

    /// Reader: no more slots will be reserved. Returns once every answer is handed to `send`
    /// (requests still running are waited for); after a failure, once every request still
    /// running has finished (its answer dropped), so none outlives the connection.
    func finish() async {
        await withCheckedContinuation { continuation in
            let drained = state.withLock { state -> Bool in
                state.finished = true
                if state.isDrained { return true }
                state.drainWaiter = continuation
                return false
            }
            if drained { continuation.resume() }
        }
    }

    /// Either side: the connection failed. Drops what is queued, and releases the reservers
    /// for good: reservations no longer wait.
    func fail() {
        state.withLock { Self.fail(&$0) }.resume()
    }

    private static func fail(_ state: inout State) -> Waiters {
        state.failed = true
        state.firstIndex += state.slots.count
        state.slots.removeAll()
        state.bufferedBytes = 0
        defer { state.readers = [] }
        var waiters = drained(&state)
        waiters.readers = state.readers
        return waiters
    }

    /// Under the lock: the waiter of `finish`, taken out, once the queue is drained.
    private static func drained(_ state: inout State) -> Waiters {
        guard state.isDrained, let waiter = state.drainWaiter else { return Waiters() }
        state.drainWaiter = nil
        return Waiters(drained: waiter)
    }

    /// Continuations taken out under the lock, resumed after it.
    private struct Waiters {
        var readers: [CheckedContinuation<Void, Never>] = []
        var drained: CheckedContinuation<Void, Never>? = nil

        func resume() {
            for reader in readers { reader.resume() }
            drained?.resume()
        }
    }
}
