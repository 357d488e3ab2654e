import Prometheus
import SpoolProtocol

extension PrometheusMetricsFactory {
    /// Events per commit: the writer takes up to 4,096 events per transaction (more only when
    /// one append is larger), and throughput depends on which decade a batch falls in.
    public static let commitBatchBuckets: [Double] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 4_096]

    /// Commit latency: a durable commit costs ~0.2 ms on this kind of disk; seconds of it mean
    /// a slow or failing device.
    public static let commitDurationBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
        .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1),
    ]

    /// The factory `spoold` bootstraps swift-metrics with: it feeds `registry`, with Spool's
    /// histogram buckets for the commit batch size and latency (the library's defaults start at
    /// 5 events and 5 ms, above where most Spool commits fall).
    public static func spool(registry: PrometheusCollectorRegistry) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.valueHistogramBuckets[SpoolMetric.commitBatchEvents.rawValue] = commitBatchBuckets
        factory.durationHistogramBuckets[SpoolMetric.commitDuration.rawValue] = commitDurationBuckets
        return factory
    }
}
