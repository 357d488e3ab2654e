import NIOCore
import NIOEmbedded
import XCTest

@testable import SpoolServer

/// The framing, through the server's `LineFramer` in an `EmbeddedChannel`.
final class LineFrameDecoderTests: XCTestCase {
    private func send(_ channel: EmbeddedChannel, _ text: String) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }

    private func send(_ channel: EmbeddedChannel, bytes: [UInt8]) throws {
        try channel.writeInbound(ByteBuffer(bytes: bytes))
    }

    /// Every frame decoded so far, lines as strings and `nil` for too-long markers.
    private func frames(_ channel: EmbeddedChannel) throws -> [String?] {
        var out: [String?] = []
        while let frames = try channel.readInbound(as: [Frame].self) {
            for frame in frames {
                switch frame {
                case .line(let buffer): out.append(String(buffer: buffer))
                case .tooLong: out.append(nil)
                }
            }
        }
        return out
    }

    func testOneLinePerNewline() throws {
        let channel = try lineFramerChannel()
        try send(channel, "{\"op\":1}\n")
        XCTAssertEqual(try frames(channel), ["{\"op\":1}"])
    }

    /// Lines of every length around the 16-byte steps of the newline search, several per read,
    /// some with a `\r`, one split across reads at every offset.
    func testLinesOfEveryLengthAroundTheSearchSteps() throws {
        let lines = (0..<70).map { length in String((0..<length).map { Character(Unicode.Scalar(UInt8(0x61 + $0 % 26))) }) }
        let channel = try lineFramerChannel(max: 100)
        try send(channel, lines.enumerated().map { $0.element + ($0.offset % 3 == 0 ? "\r\n" : "\n") }.joined())
        XCTAssertEqual(try frames(channel), lines.filter { !$0.isEmpty })
        let long = String(repeating: "x", count: 50)
        for split in 0...51 {
            let text = Array((long + "\n").utf8)
            try send(channel, bytes: Array(text[..<split]))
            try send(channel, bytes: Array(text[split...]))
            XCTAssertEqual(try frames(channel), [long], "split at \(split)")
        }
    }

    func testLineSplitAcrossReads() throws {
        let channel = try lineFramerChannel()
        try send(channel, "{\"op\"")
        XCTAssertEqual(try frames(channel), [])
        try send(channel, ":\"pi")
        try send(channel, "ng\"}")
        XCTAssertEqual(try frames(channel), [])
        try send(channel, "\n")
        XCTAssertEqual(try frames(channel), ["{\"op\":\"ping\"}"])
    }

    func testSeveralLinesInOneRead() throws {
        let channel = try lineFramerChannel()
        try send(channel, "a\nbb\nccc\nd")
        XCTAssertEqual(try frames(channel), ["a", "bb", "ccc"])
        try send(channel, "\n")
        XCTAssertEqual(try frames(channel), ["d"])
    }

    func testCarriageReturnNewlineIsStripped() throws {
        let channel = try lineFramerChannel()
        try send(channel, "one\r\ntwo\r")
        XCTAssertEqual(try frames(channel), ["one"])
        try send(channel, "\n")
        XCTAssertEqual(try frames(channel), ["two"])
    }

    func testBlankLinesAreSkipped() throws {
        let channel = try lineFramerChannel()
        try send(channel, "\n\r\n  \t \nx\n\n")
        XCTAssertEqual(try frames(channel), ["x"])
    }

    /// Only one `\r` is the line ending: a line of `\r\r\n` holds a `\r` and is answered
    /// (a client that counts answers per non-blank line must not be left waiting).
    func testASecondCarriageReturnIsContent() throws {
        let channel = try lineFramerChannel()
        try send(channel, "\r\r\n \r\r\nx\r\r\n")
        XCTAssertEqual(try frames(channel), ["\r", " \r", "x\r"])
        try send(channel, " \r")
        channel.pipeline.fireChannelInactive()
        XCTAssertEqual(try frames(channel), [], "the last line's \r is its line ending: blank")
    }

    func testOversizeLineInOneReadThenAGoodLine() throws {
        let channel = try lineFramerChannel(max: 16)
        try send(channel, String(repeating: "x", count: 17) + "\nok\n")
        XCTAssertEqual(try frames(channel), [nil, "ok"])
    }

    func testLineOfExactlyTheLimitPassesWithOrWithoutCarriageReturn() throws {
        let channel = try lineFramerChannel(max: 16)
        let line = String(repeating: "y", count: 16)
        try send(channel, line + "\r")
        XCTAssertEqual(try frames(channel), [])
        try send(channel, "\n" + line + "\n")
        XCTAssertEqual(try frames(channel), [line, line])
    }

    func testOversizeLineAcrossReadsIsReportedOnceAndSkipped() throws {
        let channel = try lineFramerChannel(max: 16)
        try send(channel, String(repeating: "a", count: 10))
        try send(channel, String(repeating: "a", count: 10))
        XCTAssertEqual(try frames(channel), [nil], "reported as soon as the limit is passed")
        for _ in 0..<100 { try send(channel, String(repeating: "b", count: 1000)) }
        XCTAssertEqual(try frames(channel), [], "the rest of the line is discarded silently")
        try send(channel, "bbb\nnext\n")
        XCTAssertEqual(try frames(channel), ["next"])
    }

    func testDiscardedBytesAreNotBuffered() {
        var decoder = LineFrameDecoder(maxLineBytes: 16)
        var buffer = ByteBuffer(string: String(repeating: "z", count: 100))
        XCTAssertEqual(decoder.nextFrame(&buffer), .some(.tooLong))
        XCTAssertEqual(buffer.readableBytes, 0, "the oversize prefix is dropped at once")
        for _ in 0..<50 {
            buffer.writeString(String(repeating: "z", count: 10_000))
            XCTAssertEqual(decoder.nextFrame(&buffer), .none)
            XCTAssertEqual(buffer.readableBytes, 0, "every later chunk of the line is dropped as it comes")
        }
        buffer.writeString("zz\nafter\n")
        XCTAssertEqual(decoder.nextFrame(&buffer), .some(nil), "the end of the skipped line")
        XCTAssertEqual(decoder.nextFrame(&buffer), .some(.line(ByteBuffer(string: "after"))))
    }

    func testGarbageBytesAreFramedNotInterpreted() throws {
        let channel = try lineFramerChannel(max: 64)
        var generator = SystemRandomNumberGenerator()
        var expectedLines = 0
        for _ in 0..<200 {
            var bytes = (0..<Int.random(in: 1...40, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            bytes.removeAll { $0 == 0x0A }
            if bytes.last == 0x0D { bytes.removeLast() }
            if bytes.contains(where: { $0 != 0x20 && $0 != 0x09 }) { expectedLines += 1 }
            try send(channel, bytes: bytes + [0x0A])
        }
        let frames = try frames(channel)
        XCTAssertEqual(frames.count, expectedLines)
        XCTAssertFalse(frames.contains(where: { $0 == nil }))
    }

    func testNULAndInvalidUTF8PassThroughAsBytes() throws {
        let channel = try lineFramerChannel()
        try send(channel, bytes: [0x7B, 0x00, 0xFF, 0xFE, 0x7D, 0x0A])
        let frames = try channel.readInbound(as: [Frame].self)
        XCTAssertEqual(frames, [.line(ByteBuffer(bytes: [0x7B, 0x00, 0xFF, 0xFE, 0x7D]))])
    }

    func testUnterminatedLastLineIsDeliveredAtEndOfInput() throws {
        let channel = try lineFramerChannel()
        try send(channel, "first\nlast\r")
        XCTAssertEqual(try frames(channel), ["first"])
        _ = try channel.finish()
        XCTAssertEqual(try frames(channel), ["last"])
    }

    func testUnterminatedOversizeLineAtEndOfInputIsTooLong() throws {
        let channel = try lineFramerChannel(max: 16)
        try send(channel, String(repeating: "q", count: 17))
        XCTAssertEqual(try frames(channel), [])
        _ = try channel.finish()
        XCTAssertEqual(try frames(channel), [nil])
    }
}
