import SpoolProtocol
import XCTest

final class RateWindowTests: XCTestCase {
    func testRateOverTheWindow() {
        var window = RateWindow(span: 5, startMilliseconds: 0)
        XCTAssertEqual(window.rate(atMilliseconds: 0), 0)
        window.record(100, atMilliseconds: 500)
        XCTAssertEqual(window.rate(atMilliseconds: 1000), 100, "100 events in the first second")
        for second in 1..<10 { window.record(100, atMilliseconds: Int64(second) * 1000 + 10) }
        XCTAssertEqual(window.rate(atMilliseconds: 10_000), 100, accuracy: 0.001)
        XCTAssertEqual(window.rate(atMilliseconds: 13_500), 100 / 4.5, accuracy: 0.001, "only second 9 is still in the window")
        XCTAssertEqual(window.rate(atMilliseconds: 60_000), 0, "old seconds fall out")
    }

    func testBucketsAreReusedAfterAWrap() {
        var window = RateWindow(span: 2, startMilliseconds: 0)
        window.record(10, atMilliseconds: 100)
        window.record(7, atMilliseconds: 2_100)  // same slot as second 0, two seconds later
        XCTAssertEqual(window.rate(atMilliseconds: 3_000), 7, accuracy: 0.001, "the slot's old count is gone")
    }
}
