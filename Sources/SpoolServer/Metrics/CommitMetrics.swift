import Metrics
import SpoolCore
import SpoolProtocol

/// Turns the writer's commit summaries into the events-appended counter and the commit batch
/// size and latency histograms. Register `record` with `Writer.onCommit` before the first
/// append, so no commit is missed.
public struct CommitMetrics: Sendable {
    private let eventsAppended: Counter
    private let batchEvents: Recorder
    private let duration: Metrics.Timer

    /// Metrics made with `factory` (the bootstrapped one by default).
    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        eventsAppended = Counter(label: SpoolMetric.eventsAppended.rawValue, factory: factory)
        batchEvents = Recorder(label: SpoolMetric.commitBatchEvents.rawValue, aggregate: true, factory: factory)
        duration = Metrics.Timer(label: SpoolMetric.commitDuration.rawValue, factory: factory)
    }

    /// Counts one commit: its events, its batch size (only when it appended events, so commits
    /// of acks alone do not pull the batch size down) and its duration (always).
    /// Writer thread only (it is the commit observer); cheap: atomics and one short lock.
    public func record(_ summary: CommitSummary) {
        if summary.events > 0 {
            eventsAppended.increment(by: summary.events)
            batchEvents.record(summary.events)
        }
        duration.record(duration: summary.duration)
    }
}
