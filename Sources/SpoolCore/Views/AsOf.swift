/// A point in the log's past: a seq, or a time standing for the last seq at or before it.
public enum AsOf: Sendable, Equatable {
    case seq(UInt64)
    case time(Timestamp)

    /// Parses the wire/CLI form: a non-negative integer seq, or an RFC 3339 time or date.
    public init?(text: String) {
        if let seq = UInt64(text) {
            self = .seq(seq)
        } else if let time = Timestamp(rfc3339: text) {
            self = .time(time)
        } else {
            return nil
        }
    }
}
