import Synchronization
import XCTest

@testable import SpoolServer

final class AnswerQueueTests: XCTestCase {
    func testAnswersLeaveInRequestOrderAndReadyOnesTogether() async {
        let queue = AnswerQueue(capacity: 8)
        let first = await queue.reserve()
        let second = await queue.reserve()
        let third = await queue.reserve()
        queue.fill(third, with: Array("c".utf8))
        queue.fill(second, with: Array("b".utf8))
        let writer = Task { await queue.nextBatch() }
        try? await Task.sleep(for: .milliseconds(20))
        queue.fill(first, with: Array("a".utf8))
        let batch = await writer.value
        XCTAssertEqual(batch.map { String(decoding: $0, as: UTF8.self) }, "abc", "the head waits; then every ready answer goes at once")
        queue.finish()
        let end = await queue.nextBatch()
        XCTAssertNil(end)
    }

    func testReserveWaitsWhileTheQueueIsFull() async {
        let queue = AnswerQueue(capacity: 2)
        let first = await queue.reserve()
        _ = await queue.reserve()
        let third = Task { await queue.reserve() }
        try? await Task.sleep(for: .milliseconds(20))
        queue.fill(first, with: [1])
        let batch = await queue.nextBatch()
        XCTAssertEqual(batch, [1])
        let index = await third.value
        XCTAssertEqual(index, 2, "room came back once an answer was taken")
    }

    func testFailReleasesBothSides() async {
        let queue = AnswerQueue(capacity: 1)
        _ = await queue.reserve()
        let writer = Task { await queue.nextBatch() }
        let reader = Task { await queue.reserve() }
        try? await Task.sleep(for: .milliseconds(20))
        queue.fail()
        let batch = await writer.value
        let slot = await reader.value
        XCTAssertNil(batch)
        XCTAssertEqual(slot, -1)
        queue.fill(slot, with: [9])  // dropped, no crash
        let afterFailure = await queue.reserve()
        XCTAssertEqual(afterFailure, -1, "no waiting and no growth after a failure")
    }

    func testUnreadBytesPastTheBoundFailTheQueueOnce() async {
        let overflows = Mutex(0)
        let queue = AnswerQueue(capacity: 16, maxBytes: 10) { overflows.withLock { $0 += 1 } }
        let first = await queue.reserve()
        queue.fill(first, with: Array(repeating: 1, count: 6))
        let batch = await queue.nextBatch()
        XCTAssertEqual(batch?.count, 6)
        // The batch is being written: its bytes still count until `written`.
        let second = await queue.reserve()
        queue.fill(second, with: Array(repeating: 2, count: 4))
        queue.written(batch ?? [])
        let third = await queue.reserve()
        queue.fill(third, with: Array(repeating: 3, count: 6))
        XCTAssertEqual(overflows.withLock { $0 }, 0, "4 + 6 bytes unread fit in 10")
        let fourth = await queue.reserve()
        queue.fill(fourth, with: [4])
        XCTAssertEqual(overflows.withLock { $0 }, 1, "one byte more is a client that does not read")
        let after = await queue.nextBatch()
        XCTAssertNil(after, "a queue that overflowed sends nothing more")
        let fifth = await queue.reserve()
        queue.fill(fifth, with: [5])
        XCTAssertEqual(overflows.withLock { $0 }, 1, "reported once")
    }
}
