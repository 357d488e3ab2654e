/// Events per second over the last few seconds, as a plain value with time passed in.
///
/// Design: one counter per wall-clock second in a small ring; the rate is the events of the
/// last `span` seconds (the current, partial one included) divided by the time those seconds
/// cover, or by the time since `start` when that is shorter. Rejected: an exponential moving
/// average (its number is hard to check by hand).
public struct RateWindow: Sendable, Equatable {
    /// How many seconds the rate covers.
    public let span: Int64
    /// When counting began, in milliseconds.
    public let start: Int64
    private var seconds: [Int64]
    private var counts: [Int]

    public init(span: Int64 = 5, startMilliseconds: Int64) {
        precondition(span > 0, "a rate window covers at least one second")
        self.span = span
        self.start = startMilliseconds
        seconds = Array(repeating: -1, count: Int(span))
        counts = Array(repeating: 0, count: Int(span))
    }

    /// Counts `events` at time `now` (milliseconds).
    public mutating func record(_ events: Int, atMilliseconds now: Int64) {
        let second = now / 1000
        let slot = Int(second % span)
        if seconds[slot] != second {
            seconds[slot] = second
            counts[slot] = 0
        }
        counts[slot] += events
    }

    /// Events per second over the window ending at `now` (milliseconds).
    public func rate(atMilliseconds now: Int64) -> Double {
        let current = now / 1000
        var total = 0
        for slot in seconds.indices where seconds[slot] > current - span && seconds[slot] <= current {
            total += counts[slot]
        }
        let windowStart = max((current - span + 1) * 1000, start)
        let elapsed = max(now - windowStart, 1)
        return Double(total) * 1000 / Double(elapsed)
    }
}
