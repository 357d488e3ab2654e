import Logging
import NIOCore
import SpoolCore
import SpoolProtocol

/// Serves one client connection: takes its frames (`LineFramer`), starts each request in
/// order, and closes the connection once the client is done and every answer is written.
///
/// Design: requests start in the order they arrive (`ConnectionRequests`), on the event loop
/// of the connection's socket, as its frames arrive. A `sequential` op (reads, admin, `auth`)
/// first waits until every earlier pipelined request of the connection has been answered
/// (`InFlightRequests`), so it sees their effects; a `pipelined` op (append) starts at once,
/// while earlier appends are still in the writer, so a client's window of pipelined appends
/// shares group commits instead of paying a commit each (the writer answers it after the
/// commit). The appends read together go to the writer as one item (`PipelinedBatch`), queued
/// before the connection next waits or starts other work. An `immediate` op (ack, nack)
/// changes state before it first waits, so nothing after it waits for its commit. Answers go
/// into an `AnswerQueue` slot reserved in request order; the request that readies the head
/// sends every answer ready there in one write. At most `maxPipelinedRequests` answers are
/// unsent; past that the connection stops reading (and TCP pushes back on the client). It
/// also stops while the server's appends in flight hold `maxPendingAppendBytes`
/// (`PendingAppendBytes`).
///
/// A request that must wait (for a sequential op's turn, room for its answer, room for its
/// bytes) waits in a task on the same event loop, which owns the connection's requests until
/// it is done; the frames behind it wait in `queued`, and the socket is not read meanwhile
/// (`read` is held back). The task starts at once: a sequential op whose turn has come runs
/// without a trip through the loop's queue. Every other request starts in the handler's
/// `channelRead`, without a task: an append costs no trip through an async sequence, its lock
/// and state machine, or a task switch.
/// Rejected: a task per connection reading its frames from an `NIOAsyncChannel` (its inbound
/// stream and task switches were ~800 of the event loop's ~20,900 instructions per append at
/// 64 pipelining connections, and ~0.1 µs of CPU per event), one request at a time (a
/// pipelined client gets one commit per append: ~1,500 appends/s), answering out of order
/// (clients match answers by position), and a write and flush per answer (a syscall each).
///
/// Limits: each request takes a token from the connection's `RequestRateLimiter` before it is
/// parsed (refused: `rate_limited`, without the request's `id`; the connection stays open);
/// with tokens configured, a connection that has not authenticated within `authTimeout` is
/// told so and closed; answers the client leaves unread past `maxOutputBytes` close the
/// connection (a consumer that stops reading cannot make the server hold its pushes without
/// bound).
///
/// With half-closure allowed, a client that closes its sending side (`nc -N`) still gets
/// every answer: once input ends and every request has started, the last answer is flushed,
/// then the connection closes. `closed` completes after that, once every request it started
/// has finished.
final class Connection: ChannelDuplexHandler {
    typealias InboundIn = [Frame]
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The requests, while nobody else holds them: nil while a request waits, and while
    /// `serve` works on them.
    private var requests: ConnectionRequests?
    /// Frames read behind a waiting request.
    private var queued: [Frame] = []
    private var inputEnded = false
    private var failed = false
    /// A read was asked for while a request waited.
    private var readHeld = false
    /// `serve` is running (a request it had wait may hand the requests back at once).
    private var serving = false
    private var context: ChannelHandlerContext?
    private let channel: any Channel
    private let answers: AnswerQueue
    private let socket: SocketWriter
    private let executor: EventLoopTaskExecutor
    private let ended: EventLoopPromise<Void>
    private let logger: Logger
    /// The client's address, for the log.
    private let remote: String

    /// Completes once the connection is closed and every request it started has finished.
    var closed: EventLoopFuture<Void> { ended.futureResult }

    init(
        channel: any Channel, dispatcher: Dispatcher, configuration: ServerConfiguration, pendingAppendBytes: PendingAppendBytes,
        logger: Logger, onAuthenticated: @escaping @Sendable () -> Void
    ) {
        self.channel = channel
        self.logger = logger
        let remote = channel.remoteAddress?.description ?? "?"
        self.remote = remote
        let socket = SocketWriter(channel)
        let answers = AnswerQueue(capacity: configuration.maxPipelinedRequests, maxBytes: configuration.maxOutputBytes, send: socket.send) {
            logger.warning(
                "closing a connection that does not read its answers",
                metadata: ["remote": "\(remote)", "max_output_bytes": "\(configuration.maxOutputBytes)"])
            channel.close(promise: nil)
        }
        self.socket = socket
        self.answers = answers
        executor = EventLoopTaskExecutor(channel.eventLoop)
        ended = channel.eventLoop.makePromise()
        requests = ConnectionRequests(
            dispatcher: dispatcher, configuration: configuration, pendingAppendBytes: pendingAppendBytes, answers: answers,
            consumer: "connection-\(ObjectIdentifier(channel).hashValue)", executor: executor,
            deadline: { Self.closeUnlessAuthenticated(channel, answers: $0, after: configuration.authTimeout) },
            onAuthenticated: onAuthenticated)
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        endInput()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        queued.append(contentsOf: unwrapInboundIn(data))
        requests?.now = MonotonicMilliseconds.now()
        serve()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed? = event as? ChannelEvent { endInput() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        endInput()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection failed", metadata: ["remote": "\(remote)", "error": "\(error)"])
        failed = true
        queued = []
        answers.fail()
        endInput()
    }

    /// Ends a connection whose handler could not be added to its channel: `closed` still
    /// completes.
    func abandon() { endInput() }

    /// Holds the read back while a request waits.
    func read(context: ChannelHandlerContext) {
        if requests == nil { readHeld = true } else { context.read() }
    }

    private func endInput() {
        guard !inputEnded else { return }
        inputEnded = true
        serve()
    }

    /// Starts the queued requests in order, until one must wait: a task then waits for it and
    /// serves the rest after. Once all have started: the appends among them go to the writer,
    /// and a held read is let through, or, at the end of input, the connection ends.
    private func serve() {
        guard var requests = requests.take() else { return }  // a request waits, or `serve` is running
        serving = true
        defer { serving = false }
        var frames: [Frame] = []
        swap(&frames, &queued)
        var index = frames.startIndex
        while index < frames.endIndex {
            let wait = requests.start(frames[index])
            index += 1
            guard let wait else { continue }
            resume(consume requests, after: wait)
            guard let handedBack = self.requests.take() else {  // still waiting: the task serves the rest
                queued = Array(frames[index...])
                return
            }
            requests = handedBack
        }
        requests.startAppends()
        guard !inputEnded else { return end(requests) }
        self.requests = requests
        if readHeld, let context {
            readHeld = false
            context.read()
        }
    }

    /// Has a task wait for `wait` and go on with the requests. The task starts at once, on
    /// this thread: when nothing had to wait after all (a `ping` behind answered requests) it
    /// hands the requests straight back to `serve`; otherwise, once done, it serves the frames
    /// queued meanwhile.
    private func resume(_ requests: consuming ConnectionRequests, after wait: ConnectionRequests.Wait) {
        let connection = NIOLoopBound(self, eventLoop: channel.eventLoop)
        let waiting = consume requests
        Task.immediate(executorPreference: executor) {
            var requests = waiting
            await requests.resume(after: wait)
            let handler = connection.value
            handler.requests = requests
            if !handler.serving { handler.serve() }
        }
    }

    /// Input has ended and every request has started: once they have all been answered and
    /// the answers written, closes the connection.
    private func end(_ requests: ConnectionRequests) {
        requests.pushes.cancelAll()
        requests.deadline?.cancel()
        let (answers, socket, channel, ended, logger, remote, failed) = (answers, socket, channel, ended, logger, remote, failed)
        Task(executorPreference: executor) {
            await answers.finish()  // after a failure: once the requests still running have ended
            if failed {
                logger.debug("connection ended", metadata: ["remote": "\(remote)"])
            } else {
                do {
                    try await socket.drain()
                    logger.debug("connection closed", metadata: ["remote": "\(remote)"])
                } catch {
                    logger.debug("connection ended", metadata: ["remote": "\(remote)", "error": "\(error)"])
                }
            }
            channel.close(promise: nil)
            ended.succeed()
        }
    }

    /// A task that, after `timeout`, tells a still unauthenticated client why and closes its
    /// input (the answers already due are still written).
    private static func closeUnlessAuthenticated(_ channel: any Channel, answers: AnswerQueue, after timeout: Duration) -> Task<Void, Never>
    {
        Task {
            guard (try? await Task.sleep(for: timeout)) != nil else { return }  // cancelled: authenticated in time
            let error = SpoolError(.unauthorized, "no auth within \(timeout.inSeconds) s; closing the connection")
            answers.fill(await answers.reserve(), with: Response.failure(id: nil, error))
            channel.close(mode: .input, promise: nil)
        }
    }
}
