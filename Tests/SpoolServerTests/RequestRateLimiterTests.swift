import XCTest

@testable import SpoolServer

/// The token bucket as a plain value, with time passed in.
final class RequestRateLimiterTests: XCTestCase {
    func testABurstIsAllowedThenRequestsAreRefusedWithTheWaitUntilTheNextToken() {
        var limiter = RequestRateLimiter(perSecond: 10, burst: 3, nowMilliseconds: 1_000)
        for _ in 0..<3 { XCTAssertEqual(limiter.take(nowMilliseconds: 1_000), .allowed) }
        XCTAssertEqual(limiter.take(nowMilliseconds: 1_000), .refused(retryAfterMilliseconds: 100))
        XCTAssertEqual(limiter.take(nowMilliseconds: 1_040), .refused(retryAfterMilliseconds: 60))
        XCTAssertEqual(limiter.take(nowMilliseconds: 1_100), .allowed, "one token a tenth of a second")
        XCTAssertEqual(limiter.take(nowMilliseconds: 1_100), .refused(retryAfterMilliseconds: 100))
    }

    func testTheBucketRefillsToTheBurstAndNoFurther() {
        var limiter = RequestRateLimiter(perSecond: 1_000, burst: 5, nowMilliseconds: 0)
        for _ in 0..<5 { XCTAssertEqual(limiter.take(nowMilliseconds: 0), .allowed) }
        XCTAssertNotEqual(limiter.take(nowMilliseconds: 0), .allowed)
        // An hour idle refills only `burst` tokens.
        let later: Int64 = 3_600_000
        for _ in 0..<5 { XCTAssertEqual(limiter.take(nowMilliseconds: later), .allowed) }
        XCTAssertEqual(limiter.take(nowMilliseconds: later), .refused(retryAfterMilliseconds: 1))
    }

    /// At the highest configurable rate, ~107 idle days made `elapsed × perSecond` overflow.
    func testALongIdleAtTheHighestRateRefillsWithoutOverflow() {
        var limiter = RequestRateLimiter(perSecond: 1_000_000_000, burst: 1_000_000_000, nowMilliseconds: 0)
        XCTAssertEqual(limiter.take(nowMilliseconds: 0), .allowed)
        XCTAssertEqual(limiter.take(nowMilliseconds: Int64.max / 2), .allowed)
        XCTAssertEqual(limiter.take(nowMilliseconds: Int64.max), .allowed)
    }

    func testASteadyRateAtTheLimitIsNeverRefused() {
        var limiter = RequestRateLimiter(perSecond: 200, burst: 1, nowMilliseconds: 0)
        for step in 0..<1_000 { XCTAssertEqual(limiter.take(nowMilliseconds: Int64(step) * 5), .allowed, "request \(step)") }
        XCTAssertNotEqual(limiter.take(nowMilliseconds: 4_995), .allowed, "a sixth request in the same 5 ms")
    }

    func testAClockGoingBackwardsGrantsNothingExtra() {
        var limiter = RequestRateLimiter(perSecond: 10, burst: 1, nowMilliseconds: 10_000)
        XCTAssertEqual(limiter.take(nowMilliseconds: 10_000), .allowed)
        XCTAssertNotEqual(limiter.take(nowMilliseconds: 5_000), .allowed)
        XCTAssertNotEqual(limiter.take(nowMilliseconds: 10_050), .allowed)
        XCTAssertEqual(limiter.take(nowMilliseconds: 10_100), .allowed)
    }

    func testZeroPerSecondMeansNoLimit() {
        var limiter = RequestRateLimiter(perSecond: 0, burst: 1, nowMilliseconds: 0)
        for _ in 0..<10_000 { XCTAssertEqual(limiter.take(nowMilliseconds: 0), .allowed) }
    }
}
