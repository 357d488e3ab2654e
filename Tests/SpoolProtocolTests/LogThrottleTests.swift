import XCTest

@testable import SpoolProtocol

/// A repeated event is logged at most once per interval, each line saying how many were not.
final class LogThrottleTests: XCTestCase {
    func testOneLineAnIntervalWithTheCountLeftOut() {
        var throttle = LogThrottle(intervalMilliseconds: 1000)
        XCTAssertEqual(throttle.admit(atMilliseconds: 0), 0, "the first is logged")
        for now in stride(from: Int64(1), to: 1000, by: 10) { XCTAssertNil(throttle.admit(atMilliseconds: now)) }
        XCTAssertEqual(throttle.admit(atMilliseconds: 1000), 100, "a second later, with the 100 left out")
        XCTAssertNil(throttle.admit(atMilliseconds: 1500))
        XCTAssertEqual(throttle.admit(atMilliseconds: 60_000), 1)
        XCTAssertEqual(throttle.admit(atMilliseconds: 61_000), 0)
    }
}
