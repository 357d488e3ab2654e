import Synchronization

/// The answers of one connection, kept in request order until its writer sends them.
///
/// Design: the reader `reserve`s a slot per request (waiting while `capacity` answers are
/// unsent: back-pressure), requests `fill` their slot whenever they finish, in any order, and
/// the writer takes every filled slot at the head at once (`nextBatch`) as one buffer: one
/// write and one flush for a whole burst of answers, such as a window of appends that one
/// commit finished together. Owner of its state: the `Mutex` inside. One writer task waits
/// at most; reservers (the reader task and push deliveries) may wait together.
///
/// Bytes are bounded too: answers filled but not yet written out (the batch being written
/// included) may total `maxBytes`; one more byte means the client is not reading, and the
/// queue fails and calls `overflowed` (the connection closes) rather than grow.
final class AnswerQueue: Sendable {
    private struct State {
        /// Unsent answers, oldest first; nil while still running.
        var slots: [[UInt8]?] = []
        /// The request index of `slots[0]`.
        var firstIndex = 0
        var finished = false
        /// The connection failed: answers are dropped and nobody waits any more.
        var failed = false
        /// Bytes of filled slots plus the batch the writer is writing.
        var bufferedBytes = 0
        var writer: CheckedContinuation<Void, Never>? = nil
        var readers: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())
    let capacity: Int
    let maxBytes: Int
    private let overflowed: @Sendable () -> Void

    /// `overflowed` is called once, from the task whose answer passed `maxBytes`.
    init(capacity: Int, maxBytes: Int = .max, overflowed: @escaping @Sendable () -> Void = {}) {
        precondition(capacity > 0, "an answer queue holds at least one answer")
        self.capacity = capacity
        self.maxBytes = maxBytes
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

    /// A slot at the tail when there is room; nil when full. After a failure every request
    /// gets slot -1, which nothing fills.
    private func tryReserve() -> Int? {
        state.withLock { state in
            if state.failed { return -1 }
            guard state.slots.count < capacity else { return nil }
            state.slots.append(nil)
            return state.firstIndex + state.slots.count - 1
        }
    }

    /// Any task: stores the answer of request `index` and wakes the writer when the head is ready.
    func fill(_ index: Int, with answer: [UInt8]) {
        var overflow = false
        let waiters: Waiters = state.withLock { state in
            let offset = index - state.firstIndex
            guard !state.failed, state.slots.indices.contains(offset) else { return Waiters() }
            guard state.bufferedBytes + answer.count <= maxBytes else {
                overflow = true
                return Self.fail(&state)
            }
            state.slots[offset] = answer
            state.bufferedBytes += answer.count
            guard offset == 0 else { return Waiters() }
            defer { state.writer = nil }
            return Waiters(writer: state.writer)
        }
        waiters.resume()
        if overflow { overflowed() }
    }

    /// Writer: a batch `nextBatch` returned is written out; its bytes no longer count.
    func written(_ batch: [UInt8]) {
        state.withLock { $0.bufferedBytes = max($0.bufferedBytes - batch.count, 0) }
    }

    /// Reader: no more slots will be reserved; the writer ends once the last answer is taken.
    func finish() {
        let writer: CheckedContinuation<Void, Never>? = state.withLock { state in
            state.finished = true
            defer { state.writer = nil }
            return state.writer
        }
        writer?.resume()
    }

    /// Either side: the connection failed. Drops what is queued, and releases both sides for
    /// good: the reader's reservations no longer wait, the writer's `nextBatch` returns nil.
    func fail() {
        state.withLock { Self.fail(&$0) }.resume()
    }

    private static func fail(_ state: inout State) -> Waiters {
        state.failed = true
        state.firstIndex += state.slots.count
        state.slots.removeAll()
        state.bufferedBytes = 0
        defer {
            state.readers = []
            state.writer = nil
        }
        return Waiters(readers: state.readers, writer: state.writer)
    }

    /// Continuations taken out under the lock, resumed after it.
    private struct Waiters {
        var readers: [CheckedContinuation<Void, Never>] = []
        var writer: CheckedContinuation<Void, Never>? = nil

        func resume() {
            for reader in readers { reader.resume() }
            writer?.resume()
        }
    }

    /// Writer: every filled answer at the head, concatenated in order, waiting until there is
    /// one; nil once the reader finished and every answer was taken.
    func nextBatch() async -> [UInt8]? {
        while true {
            let (batch, readers, done) = state.withLock { state -> ([UInt8]?, [CheckedContinuation<Void, Never>], Bool) in
                let ready = state.slots.prefix { $0 != nil }.count
                if ready == 0 { return (nil, [], state.finished && state.slots.isEmpty || state.failed) }
                var batch: [UInt8] = []
                batch.reserveCapacity(state.slots[..<ready].reduce(0) { $0 + ($1?.count ?? 0) })
                for slot in state.slots[..<ready] { batch += slot ?? [] }
                state.slots.removeFirst(ready)
                state.firstIndex += ready
                defer { state.readers = [] }
                return (batch, state.readers, false)
            }
            for reader in readers { reader.resume() }
            if let batch { return batch }
            if done { return nil }
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Bool in
                    let headReady = state.slots.first.map { $0 != nil } ?? false
                    if headReady || (state.finished && state.slots.isEmpty) || state.failed { return true }
                    state.writer = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        }
    }
}
