import NIOCore

/// One unit of input from a connection.
public enum Frame: Sendable, Equatable {
    /// A request line without its `\n` (and without a `\r` before it). Never empty or blank.
    case line(ByteBuffer)
    /// A line longer than the limit; its bytes were discarded up to and including its `\n`.
    case tooLong
}

/// Splits a byte stream into lines with a length limit; `LineFramer` feeds it a connection's
/// input.
///
/// Design: lines end at `\n`; a `\r` right before it is dropped, so `\r\n` works too. A line
/// whose content passes `maxLineBytes` yields one `.tooLong` as soon as that is known (even
/// before its `\n` arrives), and everything up to its `\n` is skipped without being buffered,
/// so a client can never make the server hold more than about `maxLineBytes` of one line.
/// Blank lines (empty, or only spaces and tabs) are dropped: pressing Enter in `nc` is not an
/// error. At end of input, unterminated text counts as a last line. Rejected: NIO's
/// `LineBasedFrameDecoder` (no limit) and NIOExtras' (drops the connection on an oversize line).
struct LineFrameDecoder {
    /// The longest line content accepted, in bytes.
    let maxLineBytes: Int
    /// Skipping the rest of an oversize line.
    private var discarding = false
    /// Readable bytes already searched for `\n` without finding one.
    private var searched = 0

    init(maxLineBytes: Int) {
        precondition(maxLineBytes > 0, "the line limit must be positive")
        self.maxLineBytes = maxLineBytes
    }

    /// At end of input: the unterminated text left in `buffer` as a last frame (nil when it is
    /// blank or the rest of a skipped line), after which the decoder starts afresh. Consumes
    /// all of `buffer`; the caller has taken every complete line first (`nextFrame`).
    mutating func lastFrame(_ buffer: inout ByteBuffer) -> Frame? {
        defer {
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            discarding = false
            searched = 0
        }
        guard !discarding, var last = buffer.readSlice(length: buffer.readableBytes) else { return nil }
        // The last line of a stream has no `\n`; a `\r` at its end still ends the line.
        if last.readableBytesView.last == 0x0D { last.moveWriterIndex(to: last.writerIndex - 1) }
        guard case .line(let line)? = Self.frame(for: last) else { return nil }
        return line.readableBytes > maxLineBytes ? .tooLong : .line(line)
    }

    /// The next frame in `buffer`: nil when more data is needed, `.some(nil)` when bytes were
    /// consumed without producing a frame (a blank line, the end of a skipped line).
    mutating func nextFrame(_ buffer: inout ByteBuffer) -> Frame?? {
        let readable = buffer.readableBytes
        // The line's end, its `\r` and whether it is blank, read in one look at the bytes: each
        // look at a buffer's bytes is a checked access to its storage (~90 instructions).
        guard let (length, hasCarriageReturn, isBlank) = Self.lineEnd(in: buffer.readableBytesUInt8Span, from: searched) else {
            if discarding {
                buffer.moveReaderIndex(forwardBy: readable)
                return nil
            }
            // Room for the content and a `\r` that may precede the coming `\n`.
            if readable > maxLineBytes + 1 {
                buffer.moveReaderIndex(forwardBy: readable)
                discarding = true
                searched = 0
                return .some(.tooLong)
            }
            searched = readable
            return nil
        }
        searched = 0
        if discarding {
            buffer.moveReaderIndex(forwardBy: length + 1)
            discarding = false
            return .some(nil)
        }
        let contentLength = hasCarriageReturn ? length - 1 : length
        guard contentLength <= maxLineBytes, let line = buffer.readSlice(length: contentLength) else {
            buffer.moveReaderIndex(forwardBy: length + 1)
            return .some(.tooLong)
        }
        buffer.moveReaderIndex(forwardBy: hasCarriageReturn ? 2 : 1)
        return .some(isBlank ? nil : .line(line))
    }

    /// The length of the line that starts `span` (up to its `\n`, which is not searched for
    /// before `start`), whether a `\r` ends it and whether it is blank; nil without a `\n`.
    static func lineEnd(in span: Span<UInt8>, from start: Int) -> (length: Int, carriageReturn: Bool, blank: Bool)? {
        guard let length = firstNewline(in: span, from: start) else { return nil }
        let carriageReturn = length > 0 && span[length - 1] == 0x0D
        return (length, carriageReturn, isBlank(span.extracting(0..<(carriageReturn ? length - 1 : length))))
    }

    /// The offset of the first `\n` in `span` from `start` on; nil when there is none. Tests 16
    /// bytes at a time (a byte at a time was 4% of the event loop's time at 64 pipelining
    /// connections).
    static func firstNewline(in span: Span<UInt8>, from start: Int) -> Int? {
        var i = start
        let newline = SIMD16<UInt8>(repeating: 0x0A)  // a vector: comparing with a scalar went a lane at a time
        while span.count - i >= 16 {
            // Through `extracting`: its count is then a known 16, the compiler drops the
            // per-byte bounds checks and the 16 bytes are one vector load.
            let chunk = span.extracting(i..<i + 16)
            var bytes = SIMD16<UInt8>()
            for k in 0..<16 { bytes[k] = chunk[k] }
            if any(bytes .== newline) { break }
            i += 16
        }
        while i < span.count {
            if span[i] == 0x0A { return i }
            i += 1
        }
        return nil
    }

    /// `.line` for a line with content (its line ending already removed), nil for a blank
    /// one: only spaces and tabs. One `\r` before the `\n` is the line ending; another `\r`
    /// is content, and gets an answer like any other.
    static func frame(for line: ByteBuffer) -> Frame? {
        isBlank(line.readableBytesUInt8Span) ? nil : .line(line)
    }

    /// Whether `text` is only spaces and tabs (or empty).
    private static func isBlank(_ text: Span<UInt8>) -> Bool {
        for index in text.indices where text[index] != 0x20 && text[index] != 0x09 { return false }
        return true
    }
}
