import NIOCore

/// Writes a connection's answer batches on its event loop and flushes once per loop turn, so
/// answers finished together (the appends of one commit, resumed one after another) leave in
/// one syscall instead of one each. Batches are written in the order `send` is called.
struct SocketWriter: Sendable {
    private let channel: any Channel
    /// A flush is queued on the loop; loop-confined.
    private let flushQueued: NIOLoopBoundBox<Bool>

    init(_ channel: any Channel) {
        self.channel = channel
        flushQueued = .makeBoxSendingValue(false, eventLoop: channel.eventLoop)
    }

    /// `AnswerQueue.Send`: queues `batch` behind what was sent before (through the loop's
    /// task queue even when called on the loop) and reports whether it was written.
    func send(_ batch: [UInt8], done: @escaping @Sendable (Bool) -> Void) {
        let (channel, flushQueued) = (self.channel, self.flushQueued)
        channel.eventLoop.execute {
            channel.write(ByteBuffer(bytes: batch)).whenComplete { done((try? $0.get()) != nil) }
            guard !flushQueued.value else { return }
            flushQueued.value = true
            channel.eventLoop.execute {
                flushQueued.value = false
                channel.flush()
            }
        }
    }

    /// Returns once everything sent before is written out (or the connection failed).
    func drain() async throws {
        let channel = self.channel
        try await channel.eventLoop.flatSubmit { channel.writeAndFlush(ByteBuffer()) }.get()
    }
}
