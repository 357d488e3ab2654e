import NIOCore

/// Splits a protocol's replies into text, one reply at a time.
protocol TextFramer: SendableMetatype {
    init()
    /// The next complete reply as text, consumed from `buffer`; nil when none has fully arrived.
    mutating func next(_ buffer: inout ByteBuffer) throws -> String?
}

/// Spool: the reply line itself.
struct SpoolTextFramer: TextFramer {
    private var lines = SpoolLines()

    mutating func next(_ buffer: inout ByteBuffer) throws -> String? {
        lines.next(&buffer).map { String(buffer: $0) }
    }
}

/// Redis: errors as `-text`, integers as `:n`, strings as themselves, arrays as `[a, b]`.
struct RedisTextFramer: TextFramer {
    mutating func next(_ buffer: inout ByteBuffer) throws -> String? {
        try RESP.read(&buffer).map(Self.describe)
    }

    private static func describe(_ reply: RESP) -> String {
        switch reply {
        case .simple(let text): String(buffer: text)
        case .error(let text): "-" + text
        case .integer(let value): ":\(value)"
        case .bulk(let text): text.map { String(buffer: $0) } ?? "(nil)"
        case .array(let elements): elements.map { "[" + $0.map(describe).joined(separator: ", ") + "]" } ?? "(nil)"
        }
    }
}
