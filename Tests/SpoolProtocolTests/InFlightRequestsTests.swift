import SpoolProtocol
import Synchronization
import XCTest

final class InFlightRequestsTests: XCTestCase {
    func testIdleReturnsAtOnceWhenNothingRuns() async {
        await InFlightRequests().idle()
    }

    func testIdleWaitsForEveryRequestBegun() async throws {
        let running = InFlightRequests()
        running.begin()
        running.begin()
        let returned = Mutex(false)
        let waiter = Task {
            await running.idle()
            returned.withLock { $0 = true }
        }
        running.end()
        try await Task.sleep(for: .milliseconds(50))
        XCTAssertFalse(returned.withLock { $0 }, "one request still runs")
        running.end()
        await waiter.value
        XCTAssertTrue(returned.withLock { $0 })
        running.begin()
        running.end()
        await running.idle()
    }
}
