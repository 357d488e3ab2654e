/// Why a document was refused, and where.
///
/// `offset` is the 0-based byte offset of the offending byte in the input (for an input passed
/// as a collection, counted from its first element); for "unexpected end of input" it equals
/// the input length. `reason` is a short English sentence such as `unexpected character 'x'`,
/// `invalid UTF-8 in string`, `nesting deeper than 64`, `duplicate key "a"`,
/// `number out of range`, `unexpected end of input` or `trailing characters after value`.
/// Both are safe to show a client: they only echo the client's own input.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public let offset: Int
    public let reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}
