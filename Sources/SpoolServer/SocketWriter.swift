import NIOCore
import Synchronization

/// Gathers a connection's answer batches and writes them on its event loop once per loop
/// turn, as one buffer with one flush: the answers of the appends one commit finished, sent
/// one after another from the writer thread, leave in one write and one syscall. Batches are
/// written in the order `send` is called, from whatever thread calls it; each answer is
/// copied once, into that buffer.
/// Rejected: a `write` per batch (a pending-write node and a promise each; their callback
/// lists took ~5% of the server's CPU under a pipelined append load).
final class SocketWriter: Sendable {
    private struct Pending {
        var buffer = ByteBuffer()
        var done: [@Sendable (Bool) -> Void] = []
        /// A write of `buffer` is queued on the loop.
        var writeQueued = false
    }

    /// Room for a loop turn's answers to a window of appends, so the buffer rarely grows.
    private static let initialCapacity = 4096
    private let channel: any Channel
    private let pending = Mutex(Pending())

    init(_ channel: any Channel) { self.channel = channel }

    /// `AnswerQueue.Send`: adds `batch` behind what was sent before and reports, once it is
    /// written out, whether it was.
    func send(_ batch: [[UInt8]], done: @escaping @Sendable (Bool) -> Void) {
        let queueWrite = pending.withLock { pending in
            if pending.buffer.capacity == 0 {
                pending.buffer.reserveCapacity(Swift.max(batch.reduce(0) { $0 + $1.count }, Self.initialCapacity))
            }
            for answer in batch { pending.buffer.writeBytes(answer) }
            pending.done.append(done)
            defer { pending.writeQueued = true }
            return !pending.writeQueued
        }
        guard queueWrite else { return }
        channel.eventLoop.execute { [self] in
            let (buffer, done) = pending.withLock { pending in
                defer { pending = Pending() }
                return (pending.buffer, pending.done)
            }
            channel.writeAndFlush(buffer).whenComplete { result in
                let written = (try? result.get()) != nil
                for report in done { report(written) }
            }
        }
    }

    /// Returns once everything sent before is written out (or the connection failed).
    func drain() async throws {
        let channel = self.channel
        try await channel.eventLoop.flatSubmit { channel.writeAndFlush(ByteBuffer()) }.get()
    }
}
