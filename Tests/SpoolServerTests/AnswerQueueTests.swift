import Synchronization
import XCTest

@testable import SpoolServer

final class AnswerQueueTests: XCTestCase {
    /// Records what the queue sends; `complete` reports the oldest unreported batch written.
    final class Sink: Sendable {
        let batches = Mutex<[[UInt8]]>([])
        let pending = Mutex<[@Sendable (Bool) -> Void]>([])

        func send(_ batch: [[UInt8]], _ done: @escaping @Sendable (Bool) -> Void) {
            batches.withLock { $0.append(Array(batch.joined())) }
            pending.withLock { $0.append(done) }
        }

        func complete(written: Bool = true) {
            let done = pending.withLock { $0.isEmpty ? nil : $0.removeFirst() }
            done?(written)
        }

        var sent: [String] { batches.withLock { $0.map { String(decoding: $0, as: UTF8.self) } } }
    }

    func testAnswersLeaveInRequestOrderAndReadyOnesTogether() async {
        let sink = Sink()
        let queue = AnswerQueue(capacity: 8, send: sink.send)
        let first = await queue.reserve()
        let second = await queue.reserve()
        let third = await queue.reserve()
        queue.fill(third, with: Array("c".utf8))
        queue.fill(second, with: Array("b".utf8))
        XCTAssertEqual(sink.sent, [], "nothing leaves before the head is ready")
        queue.fill(first, with: Array("a".utf8))
        XCTAssertEqual(sink.sent, ["abc"], "then every ready answer goes at once")
        let fourth = await queue.reserve()
        queue.fill(fourth, with: Array("d".utf8))
        XCTAssertEqual(sink.sent, ["abc", "d"])
        await queue.finish()
    }

    /// Answers filled together (the appends one writer item finished) leave with the ready
    /// ones before and after them, in request order, in one batch.
    func testAnswersFilledTogetherLeaveInRequestOrder() async {
        let sink = Sink()
        let queue = AnswerQueue(capacity: 8, send: sink.send)
        var slots: [Int] = []
        for _ in 0..<5 { slots.append(await queue.reserve()) }
        queue.fill(slots[2], with: Array("c".utf8))
        queue.fill([slots[1], slots[3]], with: [Array("b".utf8), Array("d".utf8)])
        XCTAssertEqual(sink.sent, [], "nothing leaves before the head is ready")
        queue.fill([slots[0], slots[4]], with: [Array("a".utf8), Array("e".utf8)])
        XCTAssertEqual(sink.sent, ["abcde"])
        await queue.finish()
    }

    /// Empty answers (appends whose lines went with the first of their run) leave the queue
    /// with the ready ones around them and make room, but are never sent on their own.
    func testEmptyAnswersMakeRoomWithoutBeingSent() async {
        let sink = Sink()
        let queue = AnswerQueue(capacity: 3, send: sink.send)
        var slots: [Int] = []
        for _ in 0..<3 { slots.append(await queue.reserve()) }
        queue.fill(slots, with: [Array("ab".utf8), [], []])
        XCTAssertEqual(sink.sent, ["ab"])
        sink.complete()
        let empty = [await queue.reserve(), await queue.reserve()]
        queue.fill(empty, with: [[], []])
        XCTAssertEqual(sink.sent, ["ab"], "nothing to send")
        let last = [await queue.reserve(), await queue.reserve(), await queue.reserve()]
        XCTAssertEqual(last, [5, 6, 7], "the empty ones made room")
        queue.fill(last, with: [[], Array("c".utf8), []])
        XCTAssertEqual(sink.sent, ["ab", "c"])
        sink.complete()
        await queue.finish()
    }

    /// Filled together past the byte bound, the queue fails once and still counts every one
    /// of them as finished.
    func testAnswersFilledTogetherPastTheBoundFailTheQueue() async {
        let sink = Sink()
        let overflows = Mutex(0)
        let queue = AnswerQueue(capacity: 8, maxBytes: 4, send: sink.send) { overflows.withLock { $0 += 1 } }
        let slots = [await queue.reserve(), await queue.reserve(), await queue.reserve()]
        queue.fill(slots, with: [[1, 1], [2, 2], [3]])
        XCTAssertEqual(overflows.withLock { $0 }, 1)
        XCTAssertEqual(sink.sent, [], "nothing of a queue that overflowed is sent")
        await queue.finish()  // returns: none of the three is still running
    }

    func testFinishWaitsForTheAnswersStillRunning() async {
        let sink = Sink()
        let queue = AnswerQueue(capacity: 8, send: sink.send)
        let slot = await queue.reserve()
        let finished = Task { await queue.finish() }
        try? await Task.sleep(for: .milliseconds(20))
        XCTAssertEqual(sink.sent, [])
        queue.fill(slot, with: Array("late".utf8))
        await finished.value
        XCTAssertEqual(sink.sent, ["late"], "finish returned after the last answer was sent")
    }

    func testConcurrentFillsSendEveryAnswerOnceInOrder() async {
        let sink = Sink()
        let queue = AnswerQueue(capacity: 1000, send: sink.send)
        var slots: [Int] = []
        for _ in 0..<1000 { slots.append(await queue.reserve()) }
        await withTaskGroup(of: Void.self) { group in
            for slot in slots.shuffled() {
                group.addTask { queue.fill(slot, with: Array("\(slot),".utf8)) }
            }
        }
        await queue.finish()
        XCTAssertEqual(sink.sent.joined(), slots.map { "\($0)," }.joined())
    }

    func testReserveWaitsWhileTheQueueIsFull() async {
        let sink = Sink()
        let queue = AnswerQueue(capacity: 2, send: sink.send)
        let first = await queue.reserve()
        _ = await queue.reserve()
        let third = Task { await queue.reserve() }
        try? await Task.sleep(for: .milliseconds(20))
        queue.fill(first, with: [1])
        let index = await third.value
        XCTAssertEqual(index, 2, "room came back once an answer was sent")
    }

    func testFailReleasesTheReserversAndFinishWaitsForWhatStillRuns() async {
        let sink = Sink()
        let queue = AnswerQueue(capacity: 1, send: sink.send)
        let running = await queue.reserve()
        let reader = Task { await queue.reserve() }
        try? await Task.sleep(for: .milliseconds(20))
        queue.fail()
        let slot = await reader.value
        XCTAssertEqual(slot, -1)
        queue.fill(slot, with: [9])  // dropped, no crash
        let afterFailure = await queue.reserve()
        XCTAssertEqual(afterFailure, -1, "no waiting and no growth after a failure")
        let returned = Mutex(false)
        let finished = Task {
            await queue.finish()
            returned.withLock { $0 = true }
        }
        try? await Task.sleep(for: .milliseconds(20))
        XCTAssertFalse(returned.withLock { $0 }, "a request of the failed connection is still running")
        queue.fill(running, with: [1])  // it ends; its answer is dropped
        await finished.value
        XCTAssertTrue(returned.withLock { $0 })
        XCTAssertEqual(sink.sent, [])
    }

    func testAFailedWriteFailsTheQueue() async {
        let sink = Sink()
        let queue = AnswerQueue(capacity: 4, send: sink.send)
        queue.fill(await queue.reserve(), with: [1])
        sink.complete(written: false)
        let slot = await queue.reserve()
        XCTAssertEqual(slot, -1, "a connection whose write failed takes no more answers")
    }

    func testUnreadBytesPastTheBoundFailTheQueueOnce() async {
        let sink = Sink()
        let overflows = Mutex(0)
        let queue = AnswerQueue(capacity: 16, maxBytes: 10, send: sink.send) { overflows.withLock { $0 += 1 } }
        queue.fill(await queue.reserve(), with: Array(repeating: 1, count: 6))
        // The batch is being written: its bytes still count until its write completes.
        queue.fill(await queue.reserve(), with: Array(repeating: 2, count: 4))
        sink.complete()
        queue.fill(await queue.reserve(), with: Array(repeating: 3, count: 6))
        XCTAssertEqual(overflows.withLock { $0 }, 0, "4 + 6 bytes unread fit in 10")
        queue.fill(await queue.reserve(), with: [4])
        XCTAssertEqual(overflows.withLock { $0 }, 1, "one byte more is a client that does not read")
        XCTAssertEqual(sink.batches.withLock { $0.count }, 3, "a queue that overflowed sends nothing more")
        queue.fill(await queue.reserve(), with: [5])
        XCTAssertEqual(overflows.withLock { $0 }, 1, "reported once")
    }
}
