import Foundation
import LMDB
import Synchronization

/// The one thread that writes the store: group commit.
///
/// Design: callers `submit` work from any task; the writer thread drains everything waiting
/// (up to `maxBatchWeight` events), runs all of it in one LMDB write transaction, commits once
/// (one fsync for the batch) and only then resumes the callers. Batches grow with load, which
/// is where throughput comes from (a durable commit costs ~0.2 ms whatever it holds).
/// A work item that throws `SpoolError` fails alone: it must throw before it writes anything.
/// An item that throws anything else is dropped and the batch is run again without it, so its
/// neighbours still commit (an item of several appends drops only the append that failed).
/// Once commits have been large, the writer lets its queue refill for up to `refillWait`
/// before it starts the next transaction (`BatchRefill` says why and how much).
/// Rejected: a commit per request (caps at ~4k/s), and nested transactions per request (they
/// copy dirty pages on every request).
public final class Writer: @unchecked Sendable {
    // Safe to share: `queue`, `queuedWeight`, `awaitedWeight`, `stopping`, `finished` and
    // `observers` are only touched with `condition` locked; `state`, `heads`, `recentSweep` and
    // `refill` only on the writer thread.
    private let condition = NSCondition()
    private var queue: [WriteItem] = []
    /// The weight of the items in `queue`.
    private var queuedWeight = 0
    /// While the writer waits for its queue to refill: the weight that ends the wait (a
    /// submission wakes it only then, not once per item).
    private var awaitedWeight = Int.max
    private var stopping = false
    private var finished = false
    private var state: LogState
    private let heads: StreamHeadCache
    private var observers: [@Sendable (CommitSummary) -> Void] = []
    let store: Store
    let clock: @Sendable () -> Timestamp
    let projectors: [any Projector]
    /// The most events one transaction takes before it commits.
    public let maxBatchWeight: Int
    /// How many runs `streams_recent` gathers before they move to `streams` (`StreamIndex`).
    let recentRuns: Int
    /// The stream whose runs in `streams_recent` move first next time.
    private var recentSweep: [UInt8] = []
    /// The events of the last commit.
    private let lastCommitEvents = Atomic<Int>(0)
    private var refill = BatchRefill()
    /// The longest the writer waits for its queue to refill (`BatchRefill`).
    let refillWait: Duration

    /// Whether appends should leave their records' content digests to the writer's seal
    /// (`AppendRequest.prepare(actor:contentDigests:)`): true while commits hold at least
    /// `largeCommit` events. Who takes a digest (~0.2 µs per event) is a matter of which thread
    /// has room. Large commits come from many appends in flight: the writer's cost per event
    /// is then low (a commit's page writes and flush are shared by more events), and the event
    /// loops, parsing every one of them, are the busier side (at 64 connections × window 32 the
    /// rate rose ~5% with the writer taking them). Small commits mean the writer's flushes set
    /// the pace, and there the digests taken off the writer were worth ~5% (8 × 32).
    public var takesContentDigests: Bool { lastCommitEvents.load(ordering: .relaxed) >= Self.largeCommit }

    /// A commit of at least this many events is large: see `takesContentDigests` and `BatchRefill`.
    static let largeCommit = 512

    /// Starts the writer thread over `store`. `clock` gives server times (tests inject one);
    /// the heads of up to `cachedStreams` streams are kept in memory (`StreamHeadCache`).
    /// `recentRuns`: at one event per append over 256 streams, views included, 1,024 wrote
    /// 2.1 KB per event, 4,096 1.4 KB and 16,384 1.7 KB (the small table then spans as many
    /// pages as it saves). `refillWait`: 200 µs won 13 of 16 pairs of runs at 64 connections ×
    /// window 32 (BENCHMARKS.md, "twenty-first session").
    public init(
        store: Store, projectors: [any Projector] = [], maxBatchWeight: Int = 4096, cachedStreams: Int = 100_000,
        recentRuns: Int = 4096, refillWait: Duration = .microseconds(200),
        clock: @escaping @Sendable () -> Timestamp = Timestamp.now
    ) throws {
        self.heads = StreamHeadCache(capacity: cachedStreams)
        self.refillWait = refillWait
        self.recentRuns = recentRuns
        self.store = store
        self.clock = clock
        self.projectors = projectors
        self.maxBatchWeight = maxBatchWeight
        self.state = try LogState.load(from: store)
        let thread = Thread { [unowned self] in self.run() }
        thread.start()
        // Named once started: on Linux a name set before `start` never reaches the kernel (nor
        // one the thread sets itself before `start` has returned), and `top -H` would show the
        // writer under its creator's name.
        thread.name = "spool-writer"
    }

    /// Calls `observer` on the writer thread after every commit. Register before submitting.
    public func onCommit(_ observer: @escaping @Sendable (CommitSummary) -> Void) {
        condition.withLock { observers.append(observer) }
    }

    /// Runs `work` in the writer's next transaction and returns its result once that
    /// transaction is durable. `weight` is the number of events it writes (for batch sizing).
    /// Throws what `work` throws, `storage_full` when the disk is full, `shutting_down` after
    /// `stop`, or `internal`.
    public func submit<T: Sendable>(weight: Int = 1, _ work: @escaping @Sendable (WriteContext) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            submit(weight: weight, work) { continuation.resume(with: $0) }
        }
    }

    /// `submit` without a task: the work is queued when this returns, and `completion` gets
    /// the same result or error, once, on the writer thread (or on the caller's, for
    /// `shutting_down`). The batch's other callers wait while it runs: keep it short.
    public func submit<T: Sendable>(
        weight: Int = 1, _ work: @escaping @Sendable (WriteContext) throws -> T,
        completion: @escaping @Sendable (Result<T, any Error>) -> Void
    ) {
        enqueue(TypedWriteItem(weight: weight, work: work, completion: completion))
    }

    /// Appends events to one stream. See `WriteContext.append` for what can fail.
    public func append(_ request: consuming PreparedAppend) async throws -> AppendResult {
        guard let result = await append([request]).first else { throw SpoolError(.internal, "write produced no result") }
        return try result.get()
    }

    /// Appends `requests` in order, each as if submitted alone (one that fails leaves the
    /// others in), without a task: `completion` gets their results in the same order, once,
    /// as for `submit`. Appends read together (a connection's pipelined window) cost the
    /// writer one queued item instead of one each.
    public func append(
        _ requests: consuming [PreparedAppend], completion: @escaping @Sendable ([Result<AppendResult, any Error>]) -> Void
    ) {
        let item = AppendWriteItem(requests)
        item.completion = completion
        enqueue(item)
    }

    /// `append(_:completion:)` from a task: the appends' results, in order, once durable.
    public func append(_ requests: consuming [PreparedAppend]) async -> [Result<AppendResult, any Error>] {
        let item = AppendWriteItem(requests)
        return await withCheckedContinuation { continuation in
            item.completion = { continuation.resume(returning: $0) }
            enqueue(item)
        }
    }

    private func enqueue(_ item: WriteItem) {
        condition.lock()
        if stopping {
            condition.unlock()
            item.fail(SpoolError(.shuttingDown, "the server is shutting down"))
            return
        }
        queue.append(item)
        queuedWeight += item.weight
        if queue.count == 1 || queuedWeight >= awaitedWeight { condition.signal() }
        condition.unlock()
    }

    /// Finishes the work already submitted, refuses new work, and waits for the thread to end.
    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    private func run() {
        var named = false
        while let batch = nextBatch() {
            // Again from the thread itself once a batch came (`start` has returned by then):
            // the name set right after `start` did not always reach the kernel (seen once).
            if !named {
                Thread.current.name = "spool-writer"
                named = true
            }
            commit(batch)
        }
        condition.withLock {
            finished = true
            condition.broadcast()
        }
    }

    /// Waits for work, then for the queue to refill (`BatchRefill`); nil once stopping and drained.
    private func nextBatch() -> [WriteItem]? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && !stopping { condition.wait() }
        if queue.isEmpty { return nil }
        let target = min(refill.target(largeCommit: Self.largeCommit), maxBatchWeight)
        if queuedWeight < target && !stopping {
            awaitedWeight = target
            let deadline = Date(timeIntervalSinceNow: refillWait.inSeconds)
            while queuedWeight < target && !stopping && condition.wait(until: deadline) {}
            awaitedWeight = .max
        }
        var weight = 0
        var taken = 0
        while taken < queue.count && (taken == 0 || weight + queue[taken].weight <= maxBatchWeight) {
            weight += queue[taken].weight
            taken += 1
        }
        let batch = Array(queue.prefix(taken))
        queue.removeFirst(taken)
        queuedWeight -= weight
        return batch
    }

    /// Writer thread only.
    private func commit(_ items: [WriteItem]) {
        let started = ContinuousClock.now
        var live = items
        while true {
            do {
                let (context, sweep) = try store.environment.write { txn in
                    let context = WriteContext(
                        txn: txn, store: store, state: state, heads: heads, keepsAppended: !projectors.isEmpty, items: live.count,
                        now: clock())
                    for (index, item) in live.enumerated() {
                        do {
                            try item.run(context)
                        } catch let error as SpoolError {
                            item.record(error)
                        } catch let error as LMDBError {
                            throw error
                        } catch let rerun as AppendWriteItem.DroppedAppend {
                            throw rerun
                        } catch {
                            throw DroppedItem(index: index, error: error)
                        }
                    }
                    try context.putStreamRuns()
                    try context.project(with: projectors)
                    let sweep = try StreamIndex.moveRecentRunsIfFull(in: txn, store: store, limit: recentRuns, sweep: recentSweep)
                    return (context, sweep)
                }
                if context.projected { for projector in projectors { projector.didCommit() } }
                state = context.state
                recentSweep = sweep
                heads.commit(context.newHeads)
                lastCommitEvents.store(context.appendedCount, ordering: .relaxed)  // before the answers: callers see it then
                refill.committed(events: context.appendedCount)
                for item in live { item.complete() }
                let summary = CommitSummary(
                    headSeq: state.headSeq, events: context.appendedCount, requests: live.count, duration: .now - started)
                for observer in condition.withLock({ observers }) { observer(summary) }
                return
            } catch is AppendWriteItem.DroppedAppend {
                continue  // the item left the append out; every other one runs again
            } catch let dropped as DroppedItem {
                live.remove(at: dropped.index).fail(SpoolError(.internal, "write failed: \(dropped.error)"))
                if live.isEmpty { return }
            } catch let error as LMDBError where error.isDiskFull {
                for item in live { item.fail(SpoolError(.storageFull, "the disk is full; nothing was written")) }
                return
            } catch {
                for item in live { item.fail(SpoolError(.internal, "write failed: \(error)")) }
                return
            }
        }
    }

    private struct DroppedItem: Error {
        let index: Int
        let error: any Error
    }
}

/// What one commit made durable, for observers (long polls, push delivery, metrics).
public struct CommitSummary: Sendable {
    /// The last seq in the log after the commit.
    public var headSeq: UInt64
    /// Events appended by the commit.
    public var events: Int
    /// Requests the commit answered.
    public var requests: Int
    /// From the start of the batch's write transaction until the commit was durable, including
    /// any rerun after a map resize or a dropped item; not the time requests waited in the queue.
    public var duration: Duration
}

extension Timestamp {
    /// The wall clock, in milliseconds.
    @Sendable public static func now() -> Timestamp {
        Timestamp(milliseconds: Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)))
    }
}
