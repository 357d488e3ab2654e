import XCTest

@testable import SpoolServer

/// The server-wide budget of append bytes in flight: takers past it wait, in arrival order,
/// and are let in as answered appends give bytes back.
final class PendingAppendBytesTests: XCTestCase {
    /// Waits (bounded) until `budget` has `count` takers waiting.
    private func waitForWaiters(_ budget: PendingAppendBytes, _ count: Int) async throws {
        for _ in 0..<2_000 where budget.usage.waiting < count { try await Task.sleep(for: .milliseconds(1)) }
        XCTAssertEqual(budget.usage.waiting, count)
    }

    func testTakesWhileThereIsRoomAndGivesBack() {
        let budget = PendingAppendBytes(capacity: 100)
        XCTAssertTrue(budget.tryTake(60))
        XCTAssertTrue(budget.tryTake(40))
        XCTAssertFalse(budget.tryTake(1), "the budget is spent")
        XCTAssertEqual(budget.usage.held, 100)
        budget.give(60)
        XCTAssertTrue(budget.tryTake(50))
        XCTAssertEqual(budget.usage.held, 90)
    }

    func testAWaiterIsLetInWhenBytesComeBackAndNoOneOvertakesIt() async throws {
        let budget = PendingAppendBytes(capacity: 100)
        XCTAssertTrue(budget.tryTake(90))
        let large = Task { await budget.take(50) }
        try await waitForWaiters(budget, 1)
        XCTAssertFalse(budget.tryTake(5), "5 bytes would fit, but a taker waits before them")
        let small = Task { await budget.take(5) }
        try await waitForWaiters(budget, 2)
        budget.give(90)
        await large.value
        await small.value
        XCTAssertEqual(budget.usage.held, 55, "both let in, the large one first")
        XCTAssertEqual(budget.usage.waiting, 0)
    }

    func testALineLargerThanTheBudgetGoesAlone() async throws {
        let budget = PendingAppendBytes(capacity: 100)
        XCTAssertTrue(budget.tryTake(10))
        let huge = Task { await budget.take(500) }
        try await waitForWaiters(budget, 1)
        budget.give(10)
        await huge.value
        XCTAssertEqual(budget.usage.held, 500)
        XCTAssertFalse(budget.tryTake(1), "nothing beside it")
        budget.give(500)
        XCTAssertTrue(budget.tryTake(100))
    }
}
