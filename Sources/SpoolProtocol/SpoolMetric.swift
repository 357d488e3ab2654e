/// Every metric Spool exports on `--metrics`, with its Prometheus name, type, labels and help:
/// the one list the exporter's `# HELP` lines, the README and the tests come from.
///
/// Every name starts with `spool_`; counters end in `_total`, durations are in seconds, sizes
/// in bytes. A labeled metric has no series until its first label value is seen.
public enum SpoolMetric: String, CaseIterable, Sendable {
    /// Requests answered, by op (errors included). Label `op`.
    case requests = "spool_requests_total"
    /// Requests answered with an error, by op and error code. Labels `op`, `code`.
    case requestErrors = "spool_request_errors_total"
    /// `append` requests answered ok (a retried duplicate included).
    case appends = "spool_appends_total"
    /// Events committed to the log, by clients and by the email projector.
    case eventsAppended = "spool_events_appended_total"
    /// Committed events per second over the last few seconds (as `stats` reports).
    case eventsPerSecond = "spool_events_per_second"
    /// Events per writer commit, for commits that appended events.
    case commitBatchEvents = "spool_commit_batch_events"
    /// How long a writer commit took, from its transaction's start until durable.
    case commitDuration = "spool_commit_duration_seconds"
    /// Client connections open now.
    case connections = "spool_connections"
    /// Matching events a subscription has not had acked (dead letters included). Label `subscription`.
    case subscriptionLag = "spool_subscription_lag"
    /// Events leased to a subscription's consumers and not yet acked. Label `subscription`.
    case subscriptionInFlight = "spool_subscription_in_flight"
    /// Events in a subscription's dead letters. Label `subscription`.
    case subscriptionDeadLetters = "spool_subscription_dead_letters"
    /// The email projector's lag: user events it has not processed yet.
    case emailProjectorLag = "spool_email_projector_lag"
    /// The LMDB map size: the most the data file can hold before it grows.
    case mapBytes = "spool_lmdb_map_bytes"
    /// Bytes of the LMDB map in use.
    case usedBytes = "spool_lmdb_used_bytes"

    /// How Prometheus aggregates a metric.
    public enum Kind: String, Sendable {
        /// Only goes up (until the process restarts).
        case counter
        /// A value read or set at a moment.
        case gauge
        /// Observations counted in buckets, with their sum and count.
        case histogram
    }

    public var kind: Kind {
        switch self {
        case .requests, .requestErrors, .appends, .eventsAppended: .counter
        case .commitBatchEvents, .commitDuration: .histogram
        case .eventsPerSecond, .connections, .subscriptionLag, .subscriptionInFlight, .subscriptionDeadLetters,
            .emailProjectorLag, .mapBytes, .usedBytes:
            .gauge
        }
    }

    /// The label names of every series of this metric, in the order they are written.
    public var labels: [String] {
        switch self {
        case .requests: ["op"]
        case .requestErrors: ["op", "code"]
        case .subscriptionLag, .subscriptionInFlight, .subscriptionDeadLetters: ["subscription"]
        default: []
        }
    }

    /// One line for `# HELP` and the README: what is counted or measured, and its unit.
    public var help: String {
        switch self {
        case .requests: "Requests answered, by op (errors included)."
        case .requestErrors: "Requests answered with an error, by op and error code."
        case .appends: "Append requests answered ok (a retried duplicate included)."
        case .eventsAppended: "Events committed to the log, by clients and by the email projector."
        case .eventsPerSecond: "Committed events per second over the last few seconds."
        case .commitBatchEvents: "Events per writer commit (group commit batch size), for commits that appended events."
        case .commitDuration: "Seconds from the start of a writer transaction until its commit is durable."
        case .connections: "Client connections open now."
        case .subscriptionLag: "Matching events not yet acked, per subscription (dead letters included)."
        case .subscriptionInFlight: "Events leased to consumers and not yet acked, per subscription."
        case .subscriptionDeadLetters: "Events in the dead letters, per subscription."
        case .emailProjectorLag: "User events the email projector has not processed yet."
        case .mapBytes: "LMDB map size in bytes (it doubles when it fills)."
        case .usedBytes: "Bytes of the LMDB map in use."
        }
    }
}
