/// A connection's request rate limit: a token bucket, as a plain value with time passed in.
///
/// Design: the bucket holds up to `burst` tokens and refills at `perSecond` tokens a second;
/// each request takes one. An empty bucket refuses the request and says when the next token
/// arrives, which the client gets as `retry_after_ms`. The bucket starts full, so a client
/// may pipeline `burst` requests at once. Rejected: a fixed window per second (a client can
/// send twice the rate across a window edge) and delaying instead of refusing (a delayed
/// request still holds its memory; a refused one is answered at once).
struct RequestRateLimiter: Sendable, Equatable {
    enum Decision: Equatable {
        case allowed
        /// Refused; the next request is allowed in this many milliseconds.
        case refused(retryAfterMilliseconds: Int64)
    }

    /// Tokens added per second; 0 turns the limit off.
    let perSecond: Int
    /// The most tokens the bucket holds.
    let burst: Int
    /// Tokens now, in thousandths, so the arithmetic stays in integers.
    private var milliTokens: Int64
    private var lastRefill: Int64

    init(perSecond: Int, burst: Int, nowMilliseconds: Int64) {
        self.perSecond = perSecond
        self.burst = max(burst, 1)
        milliTokens = Int64(max(burst, 1)) * 1000
        lastRefill = nowMilliseconds
    }

    /// Takes a token for one request at `now` (milliseconds, never going backwards).
    mutating func take(nowMilliseconds now: Int64) -> Decision {
        guard perSecond > 0 else { return .allowed }
        // Past the time that fills the bucket, more makes no difference (and could overflow below).
        let elapsed = min(max(now - lastRefill, 0), Int64(burst) * 1000 / Int64(perSecond) + 1)
        lastRefill = max(now, lastRefill)
        // perSecond tokens a second = perSecond milli-tokens a millisecond.
        milliTokens = min(milliTokens + elapsed * Int64(perSecond), Int64(burst) * 1000)
        if milliTokens >= 1000 {
            milliTokens -= 1000
            return .allowed
        }
        let missing = 1000 - milliTokens
        let wait = (missing + Int64(perSecond) - 1) / Int64(perSecond)
        return .refused(retryAfterMilliseconds: max(wait, 1))
    }
}
