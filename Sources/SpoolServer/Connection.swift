import JSON
import Logging
import NIOCore
import SpoolCore
import SpoolProtocol

/// Serves one client connection: reads frames, answers each in order, closes when the
/// client is done.
///
/// Design: requests start in the order they arrive. A `sequential` op (reads, admin, `auth`)
/// first waits until every earlier pipelined request of the connection has been answered
/// (`InFlightRequests`), so it sees their effects; a `pipelined` op (append) starts at once,
/// while earlier appends are still in the writer, so a client's window of pipelined appends
/// shares group commits instead of paying a commit each (it runs without a task: the writer
/// answers it after the commit). The appends read together go to the writer as one item
/// (`PipelinedBatch`), queued before the connection next waits or starts other work. An
/// `immediate` op (ack, nack) changes state before it first waits, so nothing after it waits
/// for its commit. Answers go into an `AnswerQueue` slot reserved in request order; the
/// request that readies the head sends every answer ready there in one write. At
/// most `maxPipelinedRequests` answers are unsent; past that the connection stops reading
/// (and TCP pushes back on the client). It also stops while the server's appends in flight
/// hold `maxPendingAppendBytes` (`PendingAppendBytes`).
/// Rejected: one request at a time (a pipelined client gets one commit per append: ~1,500
/// appends/s), answering out of order (clients match answers by position), and a write and
/// flush per answer (a syscall each).
///
/// Limits: each request takes a token from the connection's `RequestRateLimiter` before it is
/// parsed (refused: `rate_limited`, without the request's `id`; the connection stays open);
/// with tokens configured, a connection that has not authenticated within `authTimeout` is
/// told so and closed; answers the client leaves unread past `maxOutputBytes` close the
/// connection (a consumer that stops reading cannot make the server hold its pushes without
/// bound).
///
/// With half-closure allowed, a client that closes its sending side (`nc -N`) still gets
/// every answer: the loop ends when input ends, the last answer is flushed, then the
/// connection closes.
struct Connection {
    let channel: NIOAsyncChannel<[Frame], ByteBuffer>
    let dispatcher: Dispatcher
    let configuration: ServerConfiguration
    /// Shared by every connection: the bytes of appends read and not yet answered.
    let pendingAppendBytes: PendingAppendBytes
    let logger: Logger
    /// Called once when the connection authenticates (with tokens configured).
    let onAuthenticated: @Sendable () -> Void

    /// Runs until the client closes, the connection fails, or shutdown closes its input, on
    /// the event loop of the connection's socket (see `EventLoopTaskExecutor`). Never throws:
    /// connection errors are logged.
    func run() async {
        let executor = EventLoopTaskExecutor(channel.channel.eventLoop)
        await withTaskExecutorPreference(executor) { await serve(on: executor) }
    }

    private func serve(on executor: EventLoopTaskExecutor) async {
        let remote = channel.channel.remoteAddress?.description ?? "?"
        let channel = channel
        let logger = logger
        do {
            try await channel.executeThenClose { inbound, _ in
                let socket = SocketWriter(channel.channel)
                let answers = AnswerQueue(
                    capacity: configuration.maxPipelinedRequests, maxBytes: configuration.maxOutputBytes, send: socket.send
                ) {
                    logger.warning(
                        "closing a connection that does not read its answers",
                        metadata: ["remote": "\(remote)", "max_output_bytes": "\(configuration.maxOutputBytes)"])
                    channel.channel.close(promise: nil)
                }
                do {
                    try await read(inbound, into: answers, executor: executor)
                } catch {
                    answers.fail()
                    await answers.finish()  // the requests still running end first
                    throw error
                }
                await answers.finish()
                try await socket.drain()
            }
            logger.debug("connection closed", metadata: ["remote": "\(remote)"])
        } catch {
            logger.debug("connection ended", metadata: ["remote": "\(remote)", "error": "\(error)"])
        }
    }

    /// Starts every request in arrival order and has each fill its answer slot.
    private func read(_ inbound: NIOAsyncChannelInboundStream<[Frame]>, into answers: AnswerQueue, executor: EventLoopTaskExecutor)
        async throws
    {
        let pushes = PushSubscriptions(consumer: "connection-\(ObjectIdentifier(channel.channel).hashValue)") { line in
            answers.fill(await answers.reserve(), with: line)
        }
        defer { pushes.cancelAll() }
        var session = Session.opened(tokens: dispatcher.tokens, pushes: pushes)
        var deadline = session.isAuthenticated ? nil : closeUnlessAuthenticated(answers)
        defer { deadline?.cancel() }
        var limiter = RequestRateLimiter(
            perSecond: configuration.requestsPerSecond, burst: configuration.requestBurst, nowMilliseconds: MonotonicMilliseconds.now())
        let pipelined = InFlightRequests()
        // The appends read and not yet queued in the writer. Started before anything that
        // waits or runs engine work (their answer slots are reserved and their bytes taken,
        // and later requests must see them queued in order), and once they hold as many events
        // as one of the writer's transactions takes.
        var appends = PipelinedBatch()
        let fullBatch = dispatcher.engine.writer?.maxBatchWeight ?? 1
        var appendBytes = 0
        func startAppends() {
            guard !appends.isEmpty else { return }
            let (slots, count, bytes) = (appends.slots, appends.count, appendBytes)
            pipelined.begin(count)  // once per batch, not per append: a lock taken less per line
            dispatcher.start(appends) { [pendingAppendBytes] lines in
                answers.fill(slots, with: lines)
                pipelined.end(count)
                pendingAppendBytes.give(bytes)
            }
            appends = PipelinedBatch()
            appendBytes = 0
        }
        // Past the server's budget of appended bytes not yet answered (`pendingAppendBytes`):
        // starts the batch read so far and waits for room. Returns the time after.
        func waitForAppendRoom(_ lineBytes: Int) async -> Int64 {
            startAppends()
            await pendingAppendBytes.take(lineBytes)
            return MonotonicMilliseconds.now()
        }
        // An append added to the batch, or refused (`refused`, its answer).
        func added(_ refused: [UInt8]?, lineBytes: Int, slot: Int) {
            if let refused {
                answers.fill(slot, with: refused)
                pendingAppendBytes.give(lineBytes)
            } else {
                appendBytes += lineBytes
                if appends.events >= fullBatch { startAppends() }
            }
        }
        // Each line is copied here to be read: the same buffer every time, since nothing keeps
        // an append's line once it is added to the batch (a request that keeps its line leaves
        // the next one a new buffer). A buffer grown past `reusedLineBytes` is let go.
        var line: [UInt8] = []
        var strings = JSONStringTable()
        for try await frames in inbound {
            // The clock, read once per socket read (1.7% of the event loop's time per request)
            // and again after every wait, so the rate limiter never sees a time from before one.
            var now = MonotonicMilliseconds.now()
            for frame in frames {
                // Without a suspension point while there is room.
                let slot: Int
                if let room = answers.tryReserve() {
                    slot = room
                } else {
                    startAppends()
                    slot = await answers.reserve()
                    now = MonotonicMilliseconds.now()
                }
                // Refused before it is parsed, so a client over its rate costs no parsing (its
                // answer cannot echo an `id` it was not read for).
                if case .refused(let retryAfter) = limiter.take(nowMilliseconds: now) {
                    answers.fill(slot, with: Response.failure(id: nil, Self.rateLimited(retryAfter, configuration)))
                    continue
                }
                let decoded: Dispatcher.Decoded
                var lineBytes = 0
                switch frame {
                case .tooLong: decoded = .response(dispatcher.lineTooLong())
                case .line(let bytes):
                    lineBytes = bytes.readableBytes
                    if line.capacity > Self.reusedLineBytes { line = [] } else { line.removeAll(keepingCapacity: true) }
                    line.append(contentsOf: bytes.readableBytesView)
                    decoded = dispatcher.decode(line, session: session, strings: &strings)
                }
                switch consume decoded {
                case .response(let response):
                    answers.fill(slot, with: response)
                case .append(let id, let append, let operation):
                    if !pendingAppendBytes.tryTake(lineBytes) { now = await waitForAppendRoom(lineBytes) }
                    let refused = dispatcher.add(append, id: id, operation, actor: session.actor, slot: slot, to: &appends)
                    added(refused, lineBytes: lineBytes, slot: slot)
                case .request(let request, let operation):
                    switch operation.scheduling {
                    case .pipelined:
                        if !pendingAppendBytes.tryTake(lineBytes) { now = await waitForAppendRoom(lineBytes) }
                        // Moved into `add`: passed as is, the request was copied, a reference of each of its fields counted.
                        added(dispatcher.add(consume request, operation, slot: slot, to: &appends), lineBytes: lineBytes, slot: slot)
                    case .immediate:
                        startAppends()
                        // Its effect is in place once `start` returns; the answer slot bounds how many run.
                        dispatcher.start(request, operation, on: executor) { answers.fill(slot, with: $0) }
                    case .sequential:
                        startAppends()
                        await pipelined.idle()
                        let answer = await dispatcher.execute(request, operation, updating: &session)
                        if session.isAuthenticated, let pending = deadline {  // before the client can read that it is in
                            pending.cancel()
                            deadline = nil
                            onAuthenticated()
                        }
                        answers.fill(slot, with: answer)
                        now = MonotonicMilliseconds.now()
                    }
                }
            }
            startAppends()
        }
    }

    /// The largest line buffer kept for the next line (`read`).
    static let reusedLineBytes = 64 << 10

    /// A task that, after `authTimeout`, tells a still unauthenticated client why and closes
    /// its input (the answers already due are still written).
    private func closeUnlessAuthenticated(_ answers: AnswerQueue) -> Task<Void, Never> {
        let timeout = configuration.authTimeout
        let channel = channel.channel
        return Task {
            guard (try? await Task.sleep(for: timeout)) != nil else { return }  // cancelled: authenticated in time
            let error = SpoolError(.unauthorized, "no auth within \(timeout.inSeconds) s; closing the connection")
            answers.fill(await answers.reserve(), with: Response.failure(id: nil, error))
            channel.close(mode: .input, promise: nil)
        }
    }

    /// The answer to a request over the connection's rate.
    private static func rateLimited(_ retryAfter: Int64, _ configuration: ServerConfiguration) -> SpoolError {
        SpoolError(
            .rateLimited,
            "over \(configuration.requestsPerSecond) requests per second on this connection (burst \(configuration.requestBurst)); "
                + "retry after \(retryAfter) ms",
            details: ["retry_after_ms": .int(retryAfter)])
    }
}
