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

/// Redis: the new entry's id that `XADD` answers, or the array of ids that `EXEC` answers for
/// a `MULTI` block of them; the `+OK` and `+QUEUED` before an `EXEC` are passed over.
struct RedisAppendReader: ReplyReader {
    mutating func nextSuccess(_ buffer: inout ByteBuffer) throws -> Bool {
        while let reply = try RESP.read(&buffer) {
            switch reply {
            case .simple: continue
            case .error(let text): throw LoadError("XADD: Redis answered \(text)")
            case .array(let elements):
                for case .error(let text) in elements ?? [] { throw LoadError("XADD in EXEC: Redis answered \(text)") }
                return true
            case .integer, .bulk: return true
            }
        }
        return false
    }
}
