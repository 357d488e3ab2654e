import SpoolCore

/// Counts a writer's commits from its commit observer: how many, how many events, the
/// biggest batch, the writer thread's CPU clock and the time of the last one. A benchmark
/// takes a `snapshot` before and after a phase and subtracts.
///
/// Design: one observer per writer for its whole life (a writer cannot unregister one), so
/// phases never stack observers. `heads()` gives a stream of the head seq after each commit,
/// for a reader that wants to look at what a commit made readable (the email lag).
final class CommitWatch: Sendable {
    /// Totals since the watch started.
    struct Snapshot {
        var commits = 0
        var events = 0
        var maxBatch = 0
        /// The writer thread's CPU seconds at its latest commit.
        var writerCPU = 0.0
        var lastCommit: ContinuousClock.Instant?
        var headSeq: UInt64 = 0
    }

    private let totals = Shared(Snapshot())
    private let listener = Shared<AsyncStream<UInt64>.Continuation?>(nil)

    /// Registers the observer on `writer`; call before anything is submitted to it.
    init(writer: Writer) {
        writer.onCommit { [totals, listener] summary in
            let cpu = ThreadCPU.current()
            let now = ContinuousClock.now
            totals.withLock { totals in
                totals.commits += 1
                totals.events += summary.events
                totals.maxBatch = max(totals.maxBatch, summary.events)
                totals.writerCPU = cpu
                totals.lastCommit = now
                totals.headSeq = summary.headSeq
            }
            listener.withLock { $0 }?.yield(summary.headSeq)
        }
    }

    /// The totals now.
    var snapshot: Snapshot { totals.withLock { $0 } }

    /// A new stream of the head seq after each commit (the newest only, when its reader lags),
    /// from now until `stopHeads`; a previous stream ends.
    func heads() -> AsyncStream<UInt64> {
        let (heads, continuation) = AsyncStream.makeStream(of: UInt64.self, bufferingPolicy: .bufferingNewest(1))
        listener.withLock { $0 }?.finish()
        listener.withLock { $0 = continuation }
        return heads
    }

    /// Ends the stream `heads()` gave.
    func stopHeads() {
        listener.withLock { $0 }?.finish()
        listener.withLock { $0 = nil }
    }

    /// Forgets the biggest batch so far, so the next phase reports its own.
    func resetMaxBatch() { totals.withLock { $0.maxBatch = 0 } }
}
