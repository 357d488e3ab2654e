/// Compact JSON appended to a byte buffer, either from a `JSONValue` or piece by piece.
///
/// Design: the low-level calls (`beginObject`, `key`, `writeInt`, …) let a response be written
/// straight from Swift values without building a `JSONValue` tree. Commas are automatic and
/// need a single flag, not a stack: a value is always followed by a comma if another comes,
/// closing a container completes a value of its parent, and opening one or writing a key
/// starts a fresh list. The writer trusts its caller to pair `begin…`/`end…` and to put a
/// `key` before each object member; it does not check the shape (that would cost a stack).
///
/// Canonical form (the event hash chain depends on it): no whitespace; keys in the order
/// written; strings escape only `"`, `\` and bytes below 0x20 (`\b \f \n \r \t`, otherwise
/// `\u00xx` in lowercase hex) and carry everything else as raw UTF-8; integers in plain decimal;
/// doubles as Swift's shortest round-trip `description` (`1.0`, `1e-07`, `1.5e+300`).
public struct JSONWriter: Sendable {
    /// Everything written so far.
    public var bytes: [UInt8]
    /// Whether the next value or key must be preceded by a comma.
    private var needsComma = false

    /// An empty writer whose buffer has room for `reserveCapacity` bytes.
    public init(reserveCapacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(reserveCapacity)
    }

    /// Runs `body` with a writer whose output goes on the end of `bytes` (moved into the
    /// writer and back, not copied).
    public static func appending(to bytes: inout [UInt8], _ body: (inout JSONWriter) -> Void) {
        var writer = JSONWriter()
        swap(&writer.bytes, &bytes)
        body(&writer)
        swap(&writer.bytes, &bytes)
    }

    /// The output decoded as a `String` (always valid UTF-8).
    public var string: String { String(decoding: bytes, as: UTF8.self) }

    /// Empties the buffer, keeping its capacity, for the next document. (Top-level values
    /// written one after another without a reset come out comma-separated.)
    public mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        needsComma = false
    }

    // MARK: Values

    /// Writes `value` in canonical form. NaN and infinite doubles (which the parser never
    /// produces) are written as `null`.
    public mutating func write(_ value: JSONValue) {
        separate()
        append(value)
    }

    /// Writes `object` in canonical form, as `write(.object(object))` does.
    public mutating func writeObject(_ object: JSONObject) {
        separate()
        append(object)
    }

    /// Writes `string` quoted and escaped.
    public mutating func writeString(_ string: String) {
        separate()
        appendString(string)
    }

    /// Writes the UTF-8 text `utf8` quoted and escaped, as `writeString` writes a `String`.
    public mutating func writeString(utf8: ArraySlice<UInt8>) {
        separate()
        appendQuoted(utf8.span)
    }

    public mutating func writeInt(_ value: Int64) {
        separate()
        appendDecimal(value.magnitude, negative: value < 0)
    }

    public mutating func writeUInt(_ value: UInt64) {
        separate()
        appendDecimal(value, negative: false)
    }

    /// Writes the shortest text that parses back to `value`; NaN and ±infinity as `null`.
    public mutating func writeDouble(_ value: Double) {
        separate()
        appendDouble(value)
    }

    public mutating func writeBool(_ value: Bool) {
        separate()
        appendBool(value)
    }

    public mutating func writeNull() {
        separate()
        appendNull()
    }

    /// Writes `string` when present, `null` otherwise.
    public mutating func writeOptionalString(_ string: String?) {
        if let string { writeString(string) } else { writeNull() }
    }

    /// Writes `value` when present, `null` otherwise.
    public mutating func writeOptionalUInt(_ value: UInt64?) {
        if let value { writeUInt(value) } else { writeNull() }
    }

    /// Writes a string whose bytes `body` appends to the buffer, quoted and not escaped: for
    /// text known to need no escaping (digits, hex, ASCII punctuation other than `"` and `\`),
    /// such as a time or a hash, without building a `String`. Nothing is checked.
    public mutating func writeUnescapedString(_ body: (inout [UInt8]) -> Void) {
        separate()
        bytes.append(0x22)  // "
        body(&bytes)
        bytes.append(0x22)
    }

    /// Splices `json`, which must be one complete, already-encoded JSON value (it is not
    /// checked), such as a stored event body.
    public mutating func writeRaw(_ json: ArraySlice<UInt8>) {
        separate()
        bytes.append(contentsOf: json)
    }

    // MARK: Containers

    public mutating func beginObject() {
        separate()
        bytes.append(0x7B)  // {
        needsComma = false
    }

    /// Writes the member name `name` and its colon; the member's value comes next.
    public mutating func key(_ name: String) {
        appendString(name, lead: needsComma ? 0x2C : 0, trail: 0x3A)  // [,]"name":
        needsComma = false
    }

    /// A member name encoded once, for members written many times (the fields of every
    /// event in a response): `key(_:)` with it copies the bytes instead of escaping the name.
    public struct Key: Sendable {
        /// The quoted, escaped name and its colon, and the same after a comma. `String`s: up
        /// to 15 bytes one is held inline, so writing it counts no references (threads writing
        /// the same key at once contended for an array's reference count).
        let text: String
        let textAfterComma: String

        public init(_ name: String) {
            var writer = JSONWriter()
            writer.key(name)
            text = writer.string
            textAfterComma = "," + text
        }
    }

    /// Writes a member name encoded beforehand; the member's value comes next.
    public mutating func key(_ name: Key) {
        bytes.append(utf8: needsComma ? name.textAfterComma : name.text)
        needsComma = false
    }

    public mutating func endObject() {
        bytes.append(0x7D)  // }
        needsComma = true
    }

    public mutating func beginArray() {
        separate()
        bytes.append(0x5B)  // [
        needsComma = false
    }

    public mutating func endArray() {
        bytes.append(0x5D)  // ]
        needsComma = true
    }

    // MARK: Internals

    /// Writes the comma before a value when needed; the value then completes an element.
    private mutating func separate() {
        if needsComma { bytes.append(0x2C) }
        needsComma = true
    }

    private mutating func append(_ value: JSONValue) {
        switch value {
        case .null: appendNull()
        case .bool(let bool): appendBool(bool)
        case .int(let int): appendDecimal(int.magnitude, negative: int < 0)
        case .double(let double): appendDouble(double)
        case .string(let string): appendString(string)
        case .array(let elements):
            bytes.append(0x5B)  // [
            for i in elements.indices {
                if i > 0 { bytes.append(0x2C) }
                append(elements[i])
            }
            bytes.append(0x5D)  // ]
        case .object(let object): append(object)
        }
    }

    /// Each member name goes out with the `{` or `,` before it and the `:` after it in one step.
    private mutating func append(_ object: JSONObject) {
        let members = object.members
        guard !members.isEmpty else { return bytes.append(contentsOf: [0x7B, 0x7D]) }  // {}
        for i in members.indices {
            appendString(members[i].key, lead: i == 0 ? 0x7B : 0x2C, trail: 0x3A)  // { or , then "key":
            append(members[i].value)
        }
        bytes.append(0x7D)  // }
    }

    private mutating func appendNull() { bytes.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C]) }

    private mutating func appendBool(_ value: Bool) {
        if value {
            bytes.append(contentsOf: [0x74, 0x72, 0x75, 0x65])
        } else {
            bytes.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65])
        }
    }

    private mutating func appendDouble(_ value: Double) {
        guard value.isFinite else { return appendNull() }
        bytes.append(contentsOf: value.description.utf8)
    }

    /// Digits worked out from the right into a buffer on the stack, then appended with the
    /// sign in one go: one capacity check, no uniqueness check per digit.
    private mutating func appendDecimal(_ magnitude: UInt64, negative: Bool) {
        var digits = InlineArray<20, UInt8>(repeating: 0)  // UInt64.max has 20
        var start = digits.count
        var rest = magnitude
        repeat {
            let (quotient, digit) = rest.quotientAndRemainder(dividingBy: 10)
            start -= 1
            digits[start] = 0x30 + UInt8(truncatingIfNeeded: digit)
            rest = quotient
        } while rest > 0
        bytes.append(addingCapacity: digits.count - start + 1) { out in
            if negative { out.append(0x2D) }  // -
            for index in start..<digits.count { out.append(digits[index]) }
        }
    }

    /// Quotes and escapes `string` (see `appendQuoted`).
    private mutating func appendString(_ string: String, lead: UInt8 = 0, trail: UInt8 = 0) {
        appendQuoted(string.utf8.span, lead: lead, trail: trail)
    }

    /// Quotes and escapes the UTF-8 text `utf8`, with `lead` before it and `trail` after it when
    /// not 0 (a member name's `,` and `:`). The text is copied and checked for bytes to escape
    /// in the same pass, into room reserved once (no uniqueness check per byte; the compiler
    /// vectorizes the loop for long strings); only text that needs escaping is rewritten, from
    /// its first special byte on.
    private mutating func appendQuoted(_ utf8: Span<UInt8>, lead: UInt8 = 0, trail: UInt8 = 0) {
        var special: UInt8 = 0
        bytes.append(addingCapacity: utf8.count + 4) { out in
            if lead != 0 { out.append(lead) }
            out.append(0x22)  // "
            var found: UInt8 = 0  // a local, not the captured `special`: kept in a register
            for index in utf8.indices {
                let byte = utf8[index]
                found |= (byte < 0x20 ? 1 : 0) | (byte == 0x22 ? 1 : 0) | (byte == 0x5C ? 1 : 0)
                out.append(byte)
            }
            out.append(0x22)
            if trail != 0 { out.append(trail) }
            special = found
        }
        guard special != 0 else { return }
        let end = bytes.count - (trail != 0 ? 2 : 1)  // the closing quote
        escape(from: end - utf8.count, to: end)
    }

    /// Rewrites the text at `start..<end` with the escapes it needs, keeping what follows it.
    private mutating func escape(from start: Int, to end: Int) {
        guard let i = bytes[start..<end].firstIndex(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) else { return }
        let rest = Array(bytes[i...])
        bytes.removeSubrange(i...)
        for byte in rest[..<(end - i)] { appendEscaped(byte) }
        bytes.append(contentsOf: rest[(end - i)...])
    }

    private mutating func appendEscaped(_ byte: UInt8) {
        let letter: UInt8
        switch byte {
        case 0x22, 0x5C: letter = byte  // \" \\
        case 0x08: letter = 0x62  // \b
        case 0x0C: letter = 0x66  // \f
        case 0x0A: letter = 0x6E  // \n
        case 0x0D: letter = 0x72  // \r
        case 0x09: letter = 0x74  // \t
        case 0..<0x20:  // \u00xx
            bytes.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, Self.hexDigit(byte >> 4), Self.hexDigit(byte & 0xF)])
            return
        default:
            bytes.append(byte)
            return
        }
        bytes.append(0x5C)
        bytes.append(letter)
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x61 + nibble - 10 }
}
