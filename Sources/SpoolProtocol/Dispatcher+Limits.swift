import SpoolCore

extension Dispatcher {
    /// The protocol's limits; the server fills them from `ServerConfiguration`.
    public struct Limits: Sendable {
        /// The longest request line, in bytes, without its `\n` (longer lines get
        /// `line_too_long`; the framing enforces it, the dispatcher only words the error).
        public var maxLineBytes = 1 << 20
        /// The deepest nesting of arrays and objects a request may use (at most 64).
        public var maxJSONDepth = 64
        /// Events a `read` or `read_all` returns when the request gives no `limit`.
        public var defaultReadLimit = 100
        /// The largest `limit` a `read` or `read_all` accepts.
        public var maxReadLimit = 10_000
        /// The most events one `append` may carry (at most `AppendRequest.maxEvents`).
        public var maxAppendEvents = AppendRequest.maxEvents
        /// Records one `read_all` examines at most (a rare filter returns early with `next_seq`).
        public var readAllScanLimit = 100_000
        /// A `read` or `read_all` page ends once its events' records reach this many bytes (it
        /// always holds one event), so `limit` events of up to 1 MiB each are not built into one
        /// answer in memory; the answer's `next_version` or `next_seq` continues from there.
        public var pageBytes = 16 << 20

        public init() {}
    }
}
