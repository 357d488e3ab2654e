import Histogram
import JSON

/// Latencies in nanoseconds, three significant digits, from 1 ns to 10 minutes: the percentiles
/// of the view, subscription and email benchmarks (queries take microseconds, so the append
/// benchmark's microsecond histogram is too coarse for them).
struct LatencyHistogram {
    private var histogram = Histogram<UInt64>(
        lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000_000, numberOfSignificantValueDigits: .three)

    /// How many latencies were recorded.
    var count: Int { Int(histogram.totalCount) }

    /// Records `duration`; negative durations count as zero.
    mutating func record(_ duration: Duration) { histogram.record(UInt64(max(0, duration.nanoseconds))) }

    /// Adds every latency of `other`.
    mutating func add(_ other: LatencyHistogram) { histogram.add(other.histogram) }

    /// The latency at `percentile` (0…100), in microseconds; 0 when nothing was recorded.
    func microseconds(_ percentile: Double) -> Double {
        count == 0 ? 0 : Double(histogram.valueAtPercentile(percentile)) / 1000
    }

    /// The largest latency, in microseconds.
    var maxMicroseconds: Double { count == 0 ? 0 : Double(histogram.max) / 1000 }

    /// The usual JSON fields (`<prefix>_p50_us`, …) for the JSON lines.
    func json(prefix: String) -> [JSONMember] {
        [
            JSONMember("\(prefix)_p50_us", .double(rounded(microseconds(50), 1))),
            JSONMember("\(prefix)_p90_us", .double(rounded(microseconds(90), 1))),
            JSONMember("\(prefix)_p99_us", .double(rounded(microseconds(99), 1))),
            JSONMember("\(prefix)_p999_us", .double(rounded(microseconds(99.9), 1))),
            JSONMember("\(prefix)_max_us", .double(rounded(maxMicroseconds, 1))),
        ]
    }
}

extension Duration {
    /// The duration in whole nanoseconds (saturating).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? (seconds < 0 ? .min : .max) : whole &+ attoseconds / 1_000_000_000
    }
}
