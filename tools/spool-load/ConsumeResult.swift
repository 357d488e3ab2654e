import Histogram

/// What one consumer measured.
struct ConsumeResult: Sendable {
    /// Non-empty fetches (or reads).
    var fetches = 0
    /// Events received.
    var delivered = 0
    /// Events acknowledged (the server confirmed the ack).
    var acked = 0
    /// Events whose seq was not above the previous one this consumer received (redeliveries).
    var outOfOrder = 0
    /// Microseconds from sending a fetch to its reply.
    var fetchLatency = Latency.histogram()
    /// Microseconds from sending an ack to its reply (a commit).
    var ackLatency = Latency.histogram()
}
