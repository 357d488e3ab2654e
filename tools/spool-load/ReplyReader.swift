import NIOCore

/// Reads the acknowledgements of appends, one protocol each.
protocol ReplyReader {
    init()
    /// Consumes one complete reply from `buffer`: true when it was a success, false when no
    /// complete reply is there yet. Throws `LoadError` for an error reply.
    mutating func nextSuccess(_ buffer: inout ByteBuffer) throws -> Bool
}

/// Spool: a line starting `{"ok":true`.
struct SpoolAppendReader: ReplyReader {
    private var lines = SpoolLines()

    mutating func nextSuccess(_ buffer: inout ByteBuffer) throws -> Bool {
        guard let line = lines.next(&buffer) else { return false }
        try SpoolLines.checkOK(line, request: "append")
        return true
    }
}

/// Redis: anything but an error reply (`XADD` answers the new entry's id).
struct RedisAppendReader: ReplyReader {
    mutating func nextSuccess(_ buffer: inout ByteBuffer) throws -> Bool {
        guard let reply = try RESP.read(&buffer) else { return false }
        if case .error(let text) = reply { throw LoadError("XADD: Redis answered \(text)") }
        return true
    }
}
