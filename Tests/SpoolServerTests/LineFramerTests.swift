import NIOCore
import NIOEmbedded
import XCTest

@testable import SpoolServer

/// The frames of one read travel as one array, in order, and none is held past the end of input.
final class LineFramerTests: XCTestCase {
    /// Every batch passed on so far, lines as strings and `nil` for too-long markers.
    private func batches(_ channel: EmbeddedChannel) throws -> [[String?]] {
        var out: [[String?]] = []
        while let frames = try channel.readInbound(as: [Frame].self) {
            out.append(
                frames.map { frame in
                    switch frame {
                    case .line(let buffer): String(buffer: buffer)
                    case .tooLong: nil
                    }
                })
        }
        return out
    }

    func testTheLinesOfOneReadArriveTogetherInOrder() throws {
        let channel = try lineFramerChannel()
        try channel.writeInbound(ByteBuffer(string: "a\nbb\n" + String(repeating: "x", count: 20) + "\nccc\nd"))
        XCTAssertEqual(try batches(channel), [["a", "bb", nil, "ccc"]])
        try channel.writeInbound(ByteBuffer(string: "\ne\n"))
        XCTAssertEqual(try batches(channel), [["d", "e"]], "the line split across reads comes with the next read's")
    }

    func testAReadWithoutACompleteLinePassesNothingOn() throws {
        let channel = try lineFramerChannel()
        try channel.writeInbound(ByteBuffer(string: "{\"op\""))
        try channel.writeInbound(ByteBuffer(string: "\n\n  \n"))
        XCTAssertEqual(try batches(channel), [["{\"op\""]], "blank lines make no frame and no empty batch")
    }

    func testFramesReadBeforeReadCompleteAreHeldUntilThen() throws {
        let channel = try lineFramerChannel()
        channel.pipeline.fireChannelRead(ByteBuffer(string: "one\n"))
        channel.pipeline.fireChannelRead(ByteBuffer(string: "two\n"))
        XCTAssertEqual(try batches(channel), [])
        channel.pipeline.fireChannelReadComplete()
        XCTAssertEqual(try batches(channel), [["one", "two"]])
    }

    func testTheLastLineIsPassedOnWhenInputCloses() throws {
        let channel = try lineFramerChannel()
        try channel.writeInbound(ByteBuffer(string: "one\nlast"))
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        XCTAssertEqual(try batches(channel), [["one"], ["last"]])
    }

    func testHeldFramesArePassedOnBeforeTheChannelGoesInactive() throws {
        let channel = try lineFramerChannel()
        channel.pipeline.fireChannelRead(ByteBuffer(string: "held\nlast"))
        channel.pipeline.fireChannelInactive()
        XCTAssertEqual(try batches(channel), [["held", "last"]])
    }
}

/// A channel with the framer as the server installs it (these tests and `LineFrameDecoderTests`).
func lineFramerChannel(max: Int = 16) throws -> EmbeddedChannel {
    let channel = EmbeddedChannel()
    try channel.pipeline.syncOperations.addHandler(LineFramer(maxLineBytes: max))
    return channel
}
