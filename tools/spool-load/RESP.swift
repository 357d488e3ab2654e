import NIOCore

/// A RESP2 reply from Redis. Bulk strings and simple strings are slices of the input buffer
/// (no copy); nil bulk strings and arrays are Redis's "null".
///
/// ```
/// +OK\r\n   -ERR text\r\n   :42\r\n   $5\r\nhello\r\n   $-1\r\n   *2\r\n<value><value>   *-1\r\n
/// ```
enum RESP {
    case simple(ByteBuffer)
    case error(String)
    case integer(Int)
    case bulk(ByteBuffer?)
    case array([RESP]?)

    /// The elements of an array reply, or nil.
    var elements: [RESP]? { if case .array(let elements) = self { elements } else { nil } }

    /// The bytes of a bulk or simple string reply, or nil.
    var bytes: ByteBuffer? {
        switch self {
        case .bulk(let bytes): bytes
        case .simple(let bytes): bytes
        default: nil
        }
    }

    /// A command as RESP: an array of bulk strings.
    static func command(_ arguments: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = Array("*\(arguments.count)\r\n".utf8)
        for argument in arguments {
            out += Array("$\(argument.count)\r\n".utf8)
            out += argument
            out += [0x0D, 0x0A]
        }
        return out
    }

    /// Writes the header of a command of `count` arguments; follow with `writeArgument` each.
    static func writeCommandHeader(_ count: Int, into out: inout ByteBuffer) {
        out.writeInteger(UInt8(ascii: "*"))
        Digits.write(UInt64(count), into: &out)
        out.writeInteger(UInt16(0x0D0A))
    }

    /// Writes one bulk-string argument.
    static func writeArgument(_ argument: ByteBuffer, into out: inout ByteBuffer) {
        out.writeInteger(UInt8(ascii: "$"))
        Digits.write(UInt64(argument.readableBytes), into: &out)
        out.writeInteger(UInt16(0x0D0A))
        var argument = argument
        out.writeBuffer(&argument)
        out.writeInteger(UInt16(0x0D0A))
    }

    /// Writes one bulk-string argument.
    static func writeArgument(_ argument: String, into out: inout ByteBuffer) {
        writeArgument(ByteBuffer(string: argument), into: &out)
    }

    /// Reads one complete reply from the front of `buffer`, or returns nil (consuming nothing)
    /// when the reply has not fully arrived. Throws `LoadError` for bytes that are not RESP.
    ///
    /// A first pass only finds where the reply ends (headers and lengths, no allocation), so a
    /// large reply that arrives in many reads is only parsed once, when it is complete.
    static func read(_ buffer: inout ByteBuffer) throws -> RESP? {
        guard let end = try end(of: buffer, at: buffer.readerIndex) else { return nil }
        var index = buffer.readerIndex
        let value = try parse(buffer, at: &index)
        precondition(index == end, "RESP: the parse and the scan of one reply agree on its end")
        buffer.moveReaderIndex(to: end)
        return value
    }

    /// The index just past the reply that starts at `index`, or nil when incomplete.
    private static func end(of buffer: ByteBuffer, at index: Int) throws -> Int? {
        guard let header = try header(buffer, at: index) else { return nil }
        switch header.type {
        case UInt8(ascii: "$"):
            guard header.number >= 0 else { return header.next }
            let end = header.next + header.number + 2
            return end <= buffer.writerIndex ? end : nil
        case UInt8(ascii: "*"):
            var next = header.next
            for _ in 0..<max(0, header.number) {
                guard let end = try end(of: buffer, at: next) else { return nil }
                next = end
            }
            return next
        default:
            return header.next
        }
    }

    private static func parse(_ buffer: ByteBuffer, at index: inout Int) throws -> RESP {
        guard let header = try header(buffer, at: index) else { throw LoadError("RESP: incomplete reply") }
        index = header.next
        switch header.type {
        case UInt8(ascii: "+"):
            return .simple(buffer.getSlice(at: header.textStart, length: header.textEnd - header.textStart) ?? ByteBuffer())
        case UInt8(ascii: "-"):
            return .error(buffer.getString(at: header.textStart, length: header.textEnd - header.textStart) ?? "?")
        case UInt8(ascii: ":"):
            return .integer(header.number)
        case UInt8(ascii: "$"):
            guard header.number >= 0 else { return .bulk(nil) }
            index = header.next + header.number + 2
            return .bulk(buffer.getSlice(at: header.next, length: header.number))
        default:  // "*", checked by `header`
            guard header.number >= 0 else { return .array(nil) }
            var elements: [RESP] = []
            elements.reserveCapacity(header.number)
            for _ in 0..<header.number { elements.append(try parse(buffer, at: &index)) }
            return .array(elements)
        }
    }

    private struct Header {
        var type: UInt8
        /// The number of `:`, `$` and `*` (-1 for null).
        var number: Int
        var textStart: Int
        var textEnd: Int
        /// The index after the header's `\r\n`.
        var next: Int
    }

    /// The header line at `index` (type byte, text up to `\r\n`), or nil when its end has not arrived.
    private static func header(_ buffer: ByteBuffer, at index: Int) throws -> Header? {
        guard let type = buffer.getInteger(at: index, as: UInt8.self) else { return nil }
        guard [UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "$"), UInt8(ascii: "*")].contains(type) else {
            throw LoadError("RESP: unexpected reply type byte \(type)")
        }
        var position = index + 1
        var number = 0
        var negative = false
        while true {
            guard let byte = buffer.getInteger(at: position, as: UInt8.self) else { return nil }
            if byte == 0x0D { break }
            if byte == UInt8(ascii: "-") && position == index + 1 {
                negative = true
            } else if byte >= 0x30 && byte <= 0x39 {
                number = number &* 10 &+ Int(byte - 0x30)
            }
            position += 1
        }
        guard buffer.getInteger(at: position + 1, as: UInt8.self) != nil else { return nil }
        return Header(type: type, number: negative ? -number : number, textStart: index + 1, textEnd: position, next: position + 2)
    }
}
