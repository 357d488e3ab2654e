import Metrics
import SpoolCore
import SpoolProtocol

/// The lag, in-flight and dead-letter gauges of one subscription (label `subscription`).
struct SubscriptionGauges: Sendable {
    private let lag: Gauge
    private let inFlight: Gauge
    private let deadLetters: Gauge

    init(subscription: String, factory: any MetricsFactory) {
        let dimensions = [("subscription", subscription)]
        lag = Gauge(label: SpoolMetric.subscriptionLag.rawValue, dimensions: dimensions, factory: factory)
        inFlight = Gauge(label: SpoolMetric.subscriptionInFlight.rawValue, dimensions: dimensions, factory: factory)
        deadLetters = Gauge(label: SpoolMetric.subscriptionDeadLetters.rawValue, dimensions: dimensions, factory: factory)
    }

    /// Sets the three gauges from what `sub_info` reports.
    func record(_ info: SubscriptionHub.Info) {
        lag.record(Double(info.lag))
        inFlight.record(info.inFlight)
        deadLetters.record(info.deadLetters)
    }

    /// Removes the three series from the registry (the subscription was deleted).
    func destroy() {
        lag.destroy()
        inFlight.destroy()
        deadLetters.destroy()
    }
}
