/// Milliseconds on a clock that never goes backwards, counted from its first use in the
/// process: the time the rate limiters and log throttles, plain values, are handed.
public enum MonotonicMilliseconds {
    private static let epoch = ContinuousClock.now

    public static func now() -> Int64 {
        let elapsed = (ContinuousClock.now - epoch).components
        return elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000
    }
}
