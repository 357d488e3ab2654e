import Histogram
import NIOCore

/// One connection of an append run: keeps `window` appends outstanding until `total` have been
/// sent or the time limit passed, and records each one's latency from the moment it was
/// written into the send buffer to the moment its reply was read (a durable acknowledgement:
/// Spool answers after the commit, Redis with `appendfsync always` after its `fsync`).
///
/// Replies come in request order, so the send times sit in a ring indexed by request number
/// modulo the window, and reply `k` belongs to request `k`.
final class AppendSession<Reader: ReplyReader>: LoadSession {
    private let requests: [[UInt8]]
    private let total: Int
    private let window: Int
    private let timeLimit: UInt64
    private var deadline: UInt64 = .max
    private var reader = Reader()
    private var sendTimes: [UInt64]
    private var sent = 0
    private var completed = 0
    private var latency = Latency.histogram()

    /// `requests` are cycled (request `i` is `requests[i % count]`); `timeLimit` in nanoseconds
    /// stops new requests, and the session ends when the outstanding ones are answered.
    init(requests: [[UInt8]], total: Int, window: Int, timeLimit: UInt64) {
        precondition(!requests.isEmpty && window > 0, "an append session has requests and a window")
        self.requests = requests
        self.total = total
        self.window = window
        self.timeLimit = timeLimit
        sendTimes = Array(repeating: 0, count: window)
    }

    func start(now: UInt64, into out: inout ByteBuffer) {
        deadline = now &+ timeLimit
        while sent < min(window, total) { send(now: now, into: &out) }
    }

    func receive(_ input: inout ByteBuffer, now: UInt64, into out: inout ByteBuffer) throws -> Bool {
        while try reader.nextSuccess(&input) {
            latency.record((now &- sendTimes[completed % window]) / 1_000)
            completed += 1
            if sent < total && now < deadline { send(now: now, into: &out) }
        }
        return completed == sent && (sent == total || now >= deadline)
    }

    var result: AppendResult { AppendResult(completed: completed, latency: latency) }

    private func send(now: UInt64, into out: inout ByteBuffer) {
        out.writeBytes(requests[sent % requests.count])
        sendTimes[sent % window] = now
        sent += 1
    }
}

/// What one append session measured.
struct AppendResult: Sendable {
    var completed: Int
    /// Microseconds from send to acknowledgement.
    var latency: Histogram<UInt64>
}
