import JSON
import NIOCore
import SpoolCore
import SpoolProtocol

/// A connection's requests: each started in arrival order, each filling the answer slot it
/// reserved (`Connection` has the design). A value with one owner at a time: the connection's
/// handler while it starts requests on its event loop, or the task that waits for one that
/// cannot start yet (`start` says what it waits for; `resume` waits and goes on).
struct ConnectionRequests: Sendable {
    /// What a request waits for before it can go on.
    enum Wait: Sendable {
        /// Room in the answer queue, for the request in the frame.
        case answerRoom(Frame)
        /// Room in the server's budget of appended bytes (`PendingAppendBytes`).
        case appendRoom(PendingAppend)
        /// The connection's earlier requests to be answered; then the request runs.
        case sequential(Request, Operation, slot: Int)
    }

    /// An append, or another `pipelined` request, read and not yet added to the batch.
    enum PendingAppend: Sendable {
        case append(id: JSONValue?, AppendRequest, Operation, slot: Int, lineBytes: Int)
        case request(Request, Operation, slot: Int, lineBytes: Int)

        /// The size of its line, which it takes from the server's budget.
        var lineBytes: Int {
            switch self {
            case .append(_, _, _, _, let lineBytes), .request(_, _, _, let lineBytes): lineBytes
            }
        }
    }

    let answers: AnswerQueue
    let pushes: PushSubscriptions
    private let dispatcher: Dispatcher
    private let configuration: ServerConfiguration
    /// Shared by every connection: the bytes of appends read and not yet answered.
    private let pendingAppendBytes: PendingAppendBytes
    private let executor: EventLoopTaskExecutor
    /// Called once when the connection authenticates (with tokens configured).
    private let onAuthenticated: @Sendable () -> Void
    private let pipelined = InFlightRequests()
    private var session: Session
    /// The task that closes the connection unless it authenticates in time; nil once it has.
    private(set) var deadline: Task<Void, Never>?
    private var limiter: RequestRateLimiter
    /// The appends read and not yet queued in the writer. Started before anything that waits
    /// or runs engine work (their answer slots are reserved and their bytes taken, and later
    /// requests must see them queued in order), and once they hold as many events as one of
    /// the writer's transactions takes.
    private var appends = PipelinedBatch()
    private var appendBytes = 0
    private let fullBatch: Int
    /// Each line is copied here to be read: the same buffer every time, since nothing keeps an
    /// append's line once it is added to the batch (a request that keeps its line leaves the
    /// next one a new buffer). A buffer grown past `reusedLineBytes` is let go.
    private var line: [UInt8] = []
    private var strings = JSONStringTable()
    /// The clock, read once per socket read (1.7% of the event loop's time per request) and
    /// again after every wait, so the rate limiter never sees a time from before one.
    var now: Int64

    init(
        dispatcher: Dispatcher, configuration: ServerConfiguration, pendingAppendBytes: PendingAppendBytes, answers: AnswerQueue,
        consumer: String, executor: EventLoopTaskExecutor, deadline: (AnswerQueue) -> Task<Void, Never>,
        onAuthenticated: @escaping @Sendable () -> Void
    ) {
        self.dispatcher = dispatcher
        self.configuration = configuration
        self.pendingAppendBytes = pendingAppendBytes
        self.answers = answers
        self.executor = executor
        self.onAuthenticated = onAuthenticated
        pushes = PushSubscriptions(consumer: consumer) { line in answers.fill(await answers.reserve(), with: line) }
        session = Session.opened(tokens: dispatcher.tokens, pushes: pushes)
        self.deadline = session.isAuthenticated ? nil : deadline(answers)
        now = MonotonicMilliseconds.now()
        limiter = RequestRateLimiter(perSecond: configuration.requestsPerSecond, burst: configuration.requestBurst, nowMilliseconds: now)
        fullBatch = dispatcher.engine.writer?.maxBatchWeight ?? 1
    }

    /// Starts the request in `frame`, or says what it waits for first (nothing of it has
    /// started then but what `resume` goes on from).
    mutating func start(_ frame: Frame) -> Wait? {
        guard let slot = answers.tryReserve() else { return .answerRoom(frame) }
        return start(frame, slot: slot)
    }

    /// Waits for what `wait` names and finishes starting its request (and, when that request
    /// waits again, for that too). The appends read so far are started first.
    mutating func resume(after wait: Wait) async {
        var next: Wait? = wait
        while let wait = next {
            startAppends()
            next = nil
            switch wait {
            case .answerRoom(let frame):
                let slot = await answers.reserve()
                now = MonotonicMilliseconds.now()
                next = start(frame, slot: slot)
            case .appendRoom(let pending):
                await pendingAppendBytes.take(pending.lineBytes)
                now = MonotonicMilliseconds.now()
                add(pending)
            case .sequential(let request, let operation, let slot):
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

    /// Queues the appends read so far in the writer, as one item.
    mutating func startAppends() {
        guard !appends.isEmpty else { return }
        let (slots, count, bytes) = (appends.slots, appends.count, appendBytes)
        pipelined.begin(count)  // once per batch, not per append: a lock taken less per line
        dispatcher.start(appends) { [answers, pipelined, pendingAppendBytes] lines in
            answers.fill(slots, with: lines)
            pipelined.end(count)
            pendingAppendBytes.give(bytes)
        }
        appends = PipelinedBatch()
        appendBytes = 0
    }

    /// The largest line buffer kept for the next line.
    static let reusedLineBytes = 64 << 10

    /// `start(_:)` with the request's answer slot reserved.
    private mutating func start(_ frame: Frame, slot: Int) -> Wait? {
        // Refused before it is parsed, so a client over its rate costs no parsing (its answer
        // cannot echo an `id` it was not read for).
        if case .refused(let retryAfter) = limiter.take(nowMilliseconds: now) {
            answers.fill(slot, with: Response.failure(id: nil, Self.rateLimited(retryAfter, configuration)))
            return nil
        }
        let decoded: Dispatcher.Decoded
        var lineBytes = 0
        switch frame {
        case .tooLong: decoded = .response(dispatcher.lineTooLong())
        case .line(let bytes):
            lineBytes = bytes.readableBytes
            if line.capacity > Self.reusedLineBytes { line = [] } else { line.removeAll(keepingCapacity: true) }
            line.append(span: bytes.readableBytesUInt8Span)  // not `contentsOf:` the view: its copy is a generic loop
            decoded = dispatcher.decode(line, session: session, strings: &strings)
        }
        switch consume decoded {
        case .response(let response):
            answers.fill(slot, with: response)
        case .append(let id, let append, let operation):
            return addUnlessWaiting(.append(id: id, append, operation, slot: slot, lineBytes: lineBytes))
        case .request(let request, let operation):
            switch operation.scheduling {
            case .pipelined:
                return addUnlessWaiting(.request(request, operation, slot: slot, lineBytes: lineBytes))
            case .immediate:
                startAppends()
                // Its effect is in place once `start` returns; the answer slot bounds how many run.
                dispatcher.start(request, operation, on: executor) { [answers] in answers.fill(slot, with: $0) }
            case .sequential:
                return .sequential(request, operation, slot: slot)
            }
        }
        return nil
    }

    /// Adds `pending` to the batch when the server's budget has room for its line; otherwise
    /// it waits for that room.
    private mutating func addUnlessWaiting(_ pending: consuming PendingAppend) -> Wait? {
        guard pendingAppendBytes.tryTake(pending.lineBytes) else { return .appendRoom(pending) }
        add(pending)
        return nil
    }

    /// Adds an append whose bytes are taken to the batch.
    private mutating func add(_ pending: consuming PendingAppend) {
        switch consume pending {
        case .append(let id, let append, let operation, let slot, let lineBytes):
            added(
                dispatcher.add(append, id: id, operation, actor: session.actor, slot: slot, to: &appends), lineBytes: lineBytes, slot: slot)
        case .request(let request, let operation, let slot, let lineBytes):
            // Moved into `add`: passed as is, the request was copied, a reference of each of its fields counted.
            added(dispatcher.add(consume request, operation, slot: slot, to: &appends), lineBytes: lineBytes, slot: slot)
        }
    }

    /// An append added to the batch, or refused (`refused`, its answer).
    private mutating func added(_ refused: [UInt8]?, lineBytes: Int, slot: Int) {
        if let refused {
            answers.fill(slot, with: refused)
            pendingAppendBytes.give(lineBytes)
        } else {
            appendBytes += lineBytes
            if appends.events >= fullBatch { startAppends() }
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
