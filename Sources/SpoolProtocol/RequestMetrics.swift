import Metrics
import SpoolCore

/// Counts requests by op, errors by op and code, and successful appends, through the
/// swift-metrics facade (a no-op until `MetricsSystem.bootstrap`).
///
/// Design: the request counter of every op is made once, up front, so the hot path costs one
/// dictionary lookup and an atomic increment, and every op has a series (at 0) from the start.
/// Error counters are made on the first error of each (op, code): both are bounded sets, so the
/// label cardinality is too, and the factory returns the same counter for the same labels.
/// Only ops in the table are counted: a line that is not JSON or names an unknown op never
/// reaches `Dispatcher.execute`.
public struct RequestMetrics: Sendable {
    private let requests: [String: Counter]
    private let appends: Counter
    private let factory: any MetricsFactory

    /// Counters for `ops` (the op table's names), made with `factory`.
    public init(ops: [String], factory: any MetricsFactory = MetricsSystem.factory) {
        var requests: [String: Counter] = [:]
        for op in ops {
            requests[op] = Counter(label: SpoolMetric.requests.rawValue, dimensions: [("op", op)], factory: factory)
        }
        self.requests = requests
        self.appends = Counter(label: SpoolMetric.appends.rawValue, factory: factory)
        self.factory = factory
    }

    /// Runs `body`, the work of one `op` request, and counts it; when it throws, also counts
    /// its error code (`internal` for anything but a `SpoolError`) and rethrows the error.
    public func measure(_ op: String, _ body: () async throws -> Void) async rethrows {
        do {
            try await body()
            count(op, failure: nil)
        } catch {
            count(op, failure: error)
            throw error
        }
    }

    /// Counts one finished `op` request, and `failure`'s code when it failed.
    public func count(_ op: String, failure: (any Error)?) {
        guard let failure else { return count(op, succeeded: 1) }
        requests[op]?.increment()
        let code = (failure as? SpoolError)?.code ?? .internal
        Counter(label: SpoolMetric.requestErrors.rawValue, dimensions: [("op", op), ("code", code.rawValue)], factory: factory)
            .increment()
    }

    /// Counts `succeeded` finished `op` requests that succeeded, at the cost of one: a batch of
    /// appends is counted once (a lookup per append was 2% of the writer's work).
    public func count(_ op: String, succeeded: Int) {
        guard succeeded > 0 else { return }
        requests[op]?.increment(by: succeeded)
        if op == "append" { appends.increment(by: succeeded) }
    }
}
