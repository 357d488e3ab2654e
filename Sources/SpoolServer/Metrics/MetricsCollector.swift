import Logging
import Metrics
import SpoolCore
import SpoolProtocol
import Synchronization

/// What a scrape of `/metrics` answers: the gauges read at scrape time, set right before the
/// registry is rendered, then the registry in the Prometheus text format.
///
/// Design: counters and histograms are updated where things happen (requests, commits); the
/// gauges that describe state (events/s, connections, subscriptions, LMDB) are read when
/// scraped, from the same sources `stats` and `sub_list` use (`ServerStatus`,
/// `SubscriptionHub.list`, the LMDB environment's info), so the numbers agree with the protocol
/// and nothing is computed twice. A deleted subscription's gauges are destroyed so its series
/// disappear. Scrapes run one at a time (the lock below spans the reads), so two concurrent
/// scrapes cannot recreate the gauges of a subscription the other just removed.
///
/// Owner of its state: `subscriptions`, the gauges of the subscriptions seen by the last scrape.
public final class MetricsCollector: Sendable {
    private let engine: Engine
    private let status: ServerStatus
    private let factory: any MetricsFactory
    private let render: @Sendable () -> [UInt8]
    private let logger: Logger
    private let eventsPerSecond: Gauge
    private let connections: Gauge
    private let mapBytes: Gauge
    private let usedBytes: Gauge
    private let subscriptions = Mutex<[String: SubscriptionGauges]>([:])

    /// A collector over `engine` and the server's `status`. `render` writes the registry that
    /// `factory` feeds in the text format (e.g. `PrometheusCollectorRegistry.emitToBuffer`).
    public init(
        engine: Engine, status: ServerStatus, factory: any MetricsFactory = MetricsSystem.factory,
        logger: Logger, render: @escaping @Sendable () -> [UInt8]
    ) {
        self.engine = engine
        self.status = status
        self.factory = factory
        self.logger = logger
        self.render = render
        eventsPerSecond = Gauge(label: SpoolMetric.eventsPerSecond.rawValue, factory: factory)
        connections = Gauge(label: SpoolMetric.connections.rawValue, factory: factory)
        mapBytes = Gauge(label: SpoolMetric.mapBytes.rawValue, factory: factory)
        usedBytes = Gauge(label: SpoolMetric.usedBytes.rawValue, factory: factory)
    }

    /// Reads the scrape-time values, sets their gauges and returns every metric in the text
    /// format, with `# HELP` lines. Blocks on LMDB read transactions (and on a concurrent
    /// scrape): call it off the event loops. Never throws: when the subscriptions cannot be
    /// read, their gauges keep their last values and the failure is logged.
    public func scrape() -> [UInt8] {
        eventsPerSecond.record(status.eventsPerSecond)
        connections.record(status.connectionCount)
        let info = engine.store.environment.info
        mapBytes.record(info.mapSize)
        usedBytes.record(info.usedBytes)
        subscriptions.withLock { gauges in
            let infos: [SubscriptionHub.Info]
            do {
                infos = try engine.subscriptions.list()
            } catch {
                logger.warning("metrics: cannot read subscriptions", metadata: ["error": "\(error)"])
                return
            }
            var seen = Set<String>()
            for info in infos {
                let name = info.config.name
                seen.insert(name)
                if gauges[name] == nil { gauges[name] = SubscriptionGauges(subscription: name, factory: factory) }
                gauges[name]?.record(info)
                if name == EmailProjector.subscription, engine.emails != nil {
                    Gauge(label: SpoolMetric.emailProjectorLag.rawValue, factory: factory).record(Double(info.lag))
                }
            }
            for name in gauges.keys.filter({ !seen.contains($0) }) { gauges.removeValue(forKey: name)?.destroy() }
        }
        return MetricsExposition.addingHelp(to: render())
    }
}
