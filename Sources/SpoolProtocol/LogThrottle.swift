/// At most one log line per `intervalMilliseconds` for an event that repeats, with the count of
/// those left out since the last line: a client repeating a refused request cannot flood the
/// log. A plain value with time passed in.
struct LogThrottle: Sendable, Equatable {
    let intervalMilliseconds: Int64
    private var lastLogged: Int64? = nil
    private var leftOut = 0

    init(intervalMilliseconds: Int64) { self.intervalMilliseconds = intervalMilliseconds }

    /// For the event at `now` (milliseconds, never going backwards): nil when it is not to be
    /// logged; else how many were left out before it.
    mutating func admit(atMilliseconds now: Int64) -> Int? {
        if let last = lastLogged, now - last < intervalMilliseconds {
            leftOut += 1
            return nil
        }
        defer { (lastLogged, leftOut) = (now, 0) }
        return leftOut
    }
}
