import NIOCore

/// Spool's replies as the load client reads them: one JSON object per `\n`-terminated line,
/// looked at only as far as a benchmark needs (success, a number, the seqs of a `fetch`).
///
/// Design: a full JSON parse of every reply would cost the client about as much as the
/// server spends answering, so replies are checked by their bytes: `{"ok":true` at the start
/// (requests carry no `id`, so it is the first member), and a `fetch` reply's messages found
/// by the `{"seq":N,"delivery":` that opens each of them (an event's own object starts
/// `{"seq":N,"stream":`, so it never matches). The end-to-end tests check the full shapes.
struct SpoolLines {
    /// Bytes after the reader index already known to hold no `\n`: a long line that arrives
    /// in many reads is scanned once.
    private var scanned = 0

    /// The next complete line without its `\n`, consumed from `buffer`; nil when none has fully arrived.
    mutating func next(_ buffer: inout ByteBuffer) -> ByteBuffer? {
        let view = buffer.readableBytesView
        guard let newline = view[(view.startIndex + scanned)...].firstIndex(of: 0x0A) else {
            scanned = view.count
            return nil
        }
        scanned = 0
        let line = buffer.readSlice(length: newline - view.startIndex)
        buffer.moveReaderIndex(forwardBy: 1)
        return line
    }

    private static let okPrefix = Array(#"{"ok":true"#.utf8)

    /// Throws `LoadError` with the reply's text unless `line` is a success.
    static func checkOK(_ line: ByteBuffer, request: String) throws {
        guard line.readableBytesView.starts(with: okPrefix) else {
            let text = String(buffer: line.getSlice(at: line.readerIndex, length: min(line.readableBytes, 400)) ?? line)
            throw LoadError("\(request): the server answered \(text)")
        }
    }

    private static let messagePrefix = Array(#"{"seq":"#.utf8)
    private static let deliverySuffix = Array(#","delivery":"#.utf8)

    /// Appends the seq of every message of a `fetch` reply (`{"ok":true,"messages":[…]}`) to `seqs`.
    static func fetchedSeqs(_ line: ByteBuffer, into seqs: inout [UInt64]) {
        let bytes = Array(line.readableBytesView)
        var index = 0
        while let open = bytes[index...].firstIndex(of: UInt8(ascii: "{")) {
            index = open + 1
            guard bytes[open...].starts(with: messagePrefix) else { continue }
            var position = open + messagePrefix.count
            var seq: UInt64 = 0
            while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 {
                seq = seq &* 10 &+ UInt64(bytes[position] - 0x30)
                position += 1
            }
            if bytes[position...].starts(with: deliverySuffix) {
                seqs.append(seq)
                index = position
            }
        }
    }

    /// The unsigned integer member `"name":N` of a flat reply (e.g. `first_seq` of an append).
    static func integer(_ name: String, in line: ByteBuffer) -> UInt64? {
        let key = Array("\"\(name)\":".utf8)
        let view = line.readableBytesView
        guard let range = view.firstRange(of: key) else { return nil }
        var value: UInt64 = 0
        var found = false
        for byte in view[range.upperBound...] {
            guard byte >= 0x30 && byte <= 0x39 else { break }
            value = value &* 10 &+ UInt64(byte - 0x30)
            found = true
        }
        return found ? value : nil
    }
}
