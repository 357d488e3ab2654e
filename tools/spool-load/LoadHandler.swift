import NIOCore

/// Drives one `LoadSession` on one connection: feeds it the bytes that arrive, writes what it
/// answers, and completes `done` with its result (or its error) when it is finished.
///
/// Design: the handler keeps unconsumed input in one buffer and hands the session everything
/// at once, so a read that carries many replies costs one call; writes made while reading are
/// flushed once per `channelReadComplete` (one `writev` per burst). Rejected: NIO's
/// `ByteToMessageHandler` with a decoder per protocol (one allocation and one pipeline hop per
/// reply) and `RequestResponseHandler` (a promise per request): the client must stay far
/// cheaper than the server it loads.
final class LoadHandler<Session: LoadSession>: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let session: Session
    private let done: EventLoopPromise<Session.Result>
    private var input: ByteBuffer?
    private var pendingFlush = false
    private var finished = false
    private var ticker: RepeatedTask?

    init(session: Session, done: EventLoopPromise<Session.Result>) {
        self.session = session
        self.done = done
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is StartLoad else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        var out = context.channel.allocator.buffer(capacity: 16_384)
        do {
            try session.start(now: MonotonicClock.now(), into: &out)
        } catch {
            fail(context: context, error)
            return
        }
        send(out, context: context)
        context.flush()
        if let interval = session.tickInterval {
            let amount = TimeAmount.nanoseconds(Int64(interval))
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            ticker = context.eventLoop.scheduleRepeatedTask(initialDelay: amount, delay: amount) { _ in
                let (handler, context) = loopBound.value
                handler.tick(context: context)
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        guard !finished else { return }
        var buffer: ByteBuffer
        if var pending = input {
            input = nil  // the buffer stays uniquely referenced, so appending does not copy it
            pending.writeBuffer(&incoming)
            buffer = pending
        } else {
            buffer = incoming
        }
        var out = context.channel.allocator.buffer(capacity: 4_096)
        let complete: Bool
        do {
            complete = try session.receive(&buffer, now: MonotonicClock.now(), into: &out)
        } catch {
            fail(context: context, error)
            return
        }
        if buffer.readableBytes > 0 {
            if buffer.readerIndex > 1 << 20 { buffer.discardReadBytes() }
            input = buffer
        }
        send(out, context: context)
        if complete { finish(context: context) }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if pendingFlush {
            pendingFlush = false
            context.flush()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(context: context, LoadError("the server closed the connection before the load was done"))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(context: context, LoadError("connection error: \(error)"))
    }

    private func tick(context: ChannelHandlerContext) {
        guard !finished else { return }
        var out = context.channel.allocator.buffer(capacity: 1_024)
        let complete: Bool
        do {
            complete = try session.tick(now: MonotonicClock.now(), into: &out)
        } catch {
            fail(context: context, error)
            return
        }
        send(out, context: context)
        if complete {
            finish(context: context)
        } else {
            context.flush()
        }
    }

    private func send(_ out: ByteBuffer, context: ChannelHandlerContext) {
        guard out.readableBytes > 0 else { return }
        context.write(wrapOutboundOut(out), promise: nil)
        pendingFlush = true
    }

    private func finish(context: ChannelHandlerContext) {
        guard !finished else { return }
        finished = true
        ticker?.cancel()
        if pendingFlush {
            pendingFlush = false
            context.flush()
        }
        done.succeed(session.result)
        context.close(promise: nil)
    }

    private func fail(context: ChannelHandlerContext, _ error: any Error) {
        guard !finished else { return }
        finished = true
        ticker?.cancel()
        done.fail(error)
        context.close(promise: nil)
    }
}
