import NIOCore
import NIOEmbedded
import Synchronization
import XCTest

@testable import SpoolServer

/// `SocketWriter` on an `EmbeddedChannel`, whose loop runs queued tasks only when told to: what
/// one loop turn sends leaves as one write, in order, and every sender hears how it went.
final class SocketWriterTests: XCTestCase {
    /// What `done` reported for each batch, in the order reported.
    private final class Reports: Sendable {
        let values = Mutex<[Bool]>([])
        func withLock<T>(_ body: (inout [Bool]) -> T) -> T { values.withLock { body(&$0) } }
    }

    private let reports = Reports()

    private func send(_ writer: SocketWriter, _ text: String) {
        writer.send([Array(text.utf8)]) { [reports] written in reports.withLock { $0.append(written) } }
    }

    private func outbound(_ channel: EmbeddedChannel) throws -> [String] {
        var writes: [String] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { writes.append(String(buffer: buffer)) }
        return writes
    }

    func testBatchesOfOneTurnLeaveAsOneWriteInOrder() throws {
        let channel = EmbeddedChannel()
        let writer = SocketWriter(channel)
        send(writer, "a\n")
        send(writer, "b\n")
        send(writer, "c\n")
        XCTAssertEqual(try outbound(channel), [], "nothing is written before the loop runs")
        channel.embeddedEventLoop.run()
        XCTAssertEqual(try outbound(channel), ["a\nb\nc\n"])
        XCTAssertEqual(reports.withLock { $0 }, [true, true, true])

        send(writer, "d\n")
        channel.embeddedEventLoop.run()
        XCTAssertEqual(try outbound(channel), ["d\n"], "a later turn writes again")
        XCTAssertEqual(reports.withLock { $0 }.count, 4)
    }

    func testSendsToAClosedChannelReportFailure() throws {
        let channel = EmbeddedChannel()
        let writer = SocketWriter(channel)
        try channel.close().wait()
        send(writer, "a\n")
        send(writer, "b\n")
        channel.embeddedEventLoop.run()
        XCTAssertEqual(reports.withLock { $0 }, [false, false])
    }

    func testDrainWaitsForWhatWasSentBefore() async throws {
        let channel = NIOAsyncTestingChannel()
        let writer = SocketWriter(channel)
        send(writer, "a\n")
        try await writer.drain()
        let written = try await channel.waitForOutboundWrite(as: ByteBuffer.self)
        XCTAssertEqual(String(buffer: written), "a\n")
        XCTAssertEqual(reports.withLock { $0 }, [true])
    }
}
