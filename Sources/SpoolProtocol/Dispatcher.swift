import JSON
import Logging
import SpoolCore
import Synchronization

/// Turns one request line into one response line: the protocol's op → engine table.
///
/// Design: transport-free and stateless per request (a connection's state is its `Session`),
/// so the server, tests and tools drive it the same way. A line is first `decode`d
/// synchronously (JSON, `id`, `op` lookup), then `execute`d; ops write their response straight
/// into a `JSONWriter`, without building a `JSONValue` tree or using Codable. Blocking engine
/// reads run on the injected `BlockingExecutor`; an append started with `start` is queued in
/// the writer and answered by its commit, without a task. The op table is
/// `Dispatcher.operations`, and `help` prints that same list. Rejected: one `enum` case per op
/// with a giant `switch` (every new op would touch this file; view ops live in their own).
///
/// Errors: a `SpoolError` goes to the client as is; an `internal` one, and anything that is
/// not a `SpoolError`, is logged and answered with code `internal` and a generic message.
public final class Dispatcher: Sendable {
    public let engine: Engine
    public let limits: Limits
    public let status: ServerStatus
    /// The configured tokens; empty: no authentication, every connection is `anonymous`.
    public let tokens: TokenTable
    let blocking: any BlockingExecutor
    let logger: Logger
    let started = ContinuousClock.now
    /// Refused tokens are logged at most once a second (with how many were not).
    let refusedTokenLog = Mutex(LogThrottle(intervalMilliseconds: 1000))
    private let table: [String: Operation]
    /// `append`, whose usual lines `decode` reads without parsing them into a tree.
    private let appendOperation: Operation?
    /// Per-op request and error counters (see `SpoolMetric`).
    let requestMetrics = RequestMetrics(ops: Dispatcher.operations.map(\.name))

    /// Every op, in `help` order: the log and admin ops here, the view ops in
    /// `Dispatcher+Views.swift`.
    public static let operations: [Operation] =
        basicOperations + authOperations + logOperations + viewOperations + subscriptionOperations + emailOperations + adminOperations

    /// A dispatcher over `engine`. It registers a commit observer on the engine's writer (for
    /// events/s), so create it before the first append.
    public init(
        engine: Engine, limits: Limits = Limits(), status: ServerStatus = ServerStatus(), tokens: TokenTable = TokenTable(),
        blocking: any BlockingExecutor, logger: Logger = Logger(label: "spool.protocol")
    ) {
        self.engine = engine
        self.limits = limits
        self.status = status
        self.tokens = tokens
        self.blocking = blocking
        self.logger = logger
        var table: [String: Operation] = [:]
        for operation in Self.operations {
            precondition(table[operation.name] == nil, "op \(operation.name) is listed twice in the op table")
            table[operation.name] = operation
        }
        self.table = table
        appendOperation = table["append"]
        engine.writer?.onCommit { [status] summary in status.recordCommit(events: summary.events) }
    }

    /// A decoded line: a request ready to run, or already its error response.
    public enum Decoded: Sendable {
        case request(Request, Operation)
        /// An `append` read straight from its line (`AppendRequest.read(line:)`), with its `id`:
        /// no `Request` is made for it (a copy of one, session and all, counted a dozen
        /// references per append).
        case append(id: JSONValue?, AppendRequest, Operation)
        case response([UInt8])
    }

    /// Answers one request line (without its `\n`) with one response line (with its `\n`).
    /// Never throws: every failure is an error response.
    public func handle(_ line: [UInt8], session: Session) async -> [UInt8] {
        var strings = JSONStringTable()
        return switch decode(line, session: session, strings: &strings) {
        case .response(let response): response
        case .request(let request, let operation): await execute(request, operation)
        case .append(let id, let append, let operation):
            await execute(Request(id: id, op: operation.name, append: append, session: session), operation)
        }
    }

    /// Parses the line, finds its op and checks that `session` may run it. Cheap and
    /// synchronous. `strings` keeps the short strings of a connection's lines for the next.
    public func decode(_ line: [UInt8], session: Session, strings: inout JSONStringTable) -> Decoded {
        if let append = appendOperation, session.allows(append.access),
            let (id, request) = AppendRequest.read(
                line: line, maxDepth: limits.maxJSONDepth, maxEvents: limits.maxAppendEvents, strings: &strings)
        {
            return .append(id: id, request, append)
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(line, maxDepth: limits.maxJSONDepth)
        } catch {
            return .response(Response.failure(id: nil, SpoolError(.badJSON, error.description)))
        }
        guard case .object(let object) = value else {
            return .response(Response.failure(id: nil, .badRequest("request: expected a JSON object, got \(value.typeName)")))
        }
        let id = object["id"]
        switch id {
        case .array?, .object?:
            return .response(Response.failure(id: nil, .badRequest("id: expected a string, number, boolean or null")))
        default: break
        }
        guard let opValue = object["op"] else {
            return .response(Response.failure(id: id, .badRequest(#"op: required (send {"op":"help"} for the list of ops)"#)))
        }
        guard case .string(let op) = opValue else {
            return .response(Response.failure(id: id, .badRequest("op: expected a string, got \(opValue.typeName)")))
        }
        guard let operation = table[op] else {
            let shown = op.count > 64 ? String(op.prefix(64)) + "…" : op
            let message = #"unknown op '\#(shown)'; send {"op":"help"} for the list of ops"#
            return .response(Response.failure(id: id, SpoolError(.unknownOp, message)))
        }
        guard session.allows(operation.access) else { return .response(Response.failure(id: id, refusal(of: operation, for: session))) }
        let fields = FieldReader(object, alreadyRead: Self.envelopeFields, source: line)
        return .request(Request(id: id, op: op, fields: fields, session: session), operation)
    }

    /// The members every request may carry, read by `decode` itself.
    private static let envelopeFields = ["id", "op"]

    /// Runs a decoded request and returns its response line.
    public func execute(_ request: Request, _ operation: Operation) async -> [UInt8] {
        var session = request.session
        return await execute(request, operation, updating: &session)
    }

    /// Runs a decoded request and returns its response line; `session` becomes the session the
    /// op left (`auth` changes it) when it succeeds, and stays as it was when it fails.
    public func execute(_ request: Request, _ operation: Operation, updating session: inout Session) async -> [UInt8] {
        var request = request
        var writer = Response.beginSuccess(id: request.id)
        do {
            try await requestMetrics.measure(operation.name) { try await operation.run(self, &request, &writer) }
            session = request.session
            return Response.finish(&writer)
        } catch {
            return failure(id: request.id, op: request.op, error)
        }
    }

    /// Starts running a decoded request at once, on the calling context; `answer` gets the
    /// response line when it is done. A `pipelined` op (an append) is queued in the writer, as
    /// a `PipelinedBatch` of one, before this returns, so requests started one after another
    /// reach the writer in that order; it runs without a task, and `answer` is called on the
    /// thread that finished it (the writer's, for a committed append). The other ops run in a
    /// task that runs on `executor` (the global pool when nil) after its first wait. Call it
    /// from nonisolated code: from an actor, the first call into the engine would hop
    /// executors and the order would be lost.
    public func start(
        _ request: consuming Request, _ operation: Operation, on executor: (any TaskExecutor)? = nil,
        answer: @escaping @Sendable ([UInt8]) -> Void
    ) {
        guard operation.scheduling == .pipelined else {
            Task.immediate(executorPreference: executor) { [request] in answer(await self.execute(request, operation)) }
            return
        }
        var batch = PipelinedBatch()
        if let refused = add(request, operation, slot: 0, to: &batch) { return answer(refused) }
        start(batch) { lines in
            for line in lines { answer(line) }
        }
    }

    /// Appends the response line of an append (request `id` of `op`) that the writer
    /// finished to `lines`; a failure is counted in the metrics, a success is left to the
    /// caller to count.
    func appendResponse(id: JSONValue?, op: String, _ outcome: Result<AppendResult, any Error>, to lines: inout [UInt8]) {
        switch outcome {
        case .success(let result):
            JSONWriter.appending(to: &lines) { writer in
                Response.beginSuccess(id: id, in: &writer)
                Self.writeAppended(result, into: &writer)
                Response.end(&writer)
            }
        case .failure(let error):
            lines += countedFailure(id: id, op: op, error)
        }
    }

    /// The error line of request `id` of `op`, counted in the metrics.
    func countedFailure(id: JSONValue?, op: String, _ error: any Error) -> [UInt8] {
        requestMetrics.count(op, failure: error)
        return failure(id: id, op: op, error)
    }

    /// The error line of request `id` of `op`: a `SpoolError` as it is; an `internal` one, or
    /// any other error, logged and answered with a generic message.
    private func failure(id: JSONValue?, op: String, _ error: any Error) -> [UInt8] {
        if let error = error as? SpoolError, error.code != .internal { return Response.failure(id: id, error) }
        return Response.failure(id: id, internalError(error, op: op))
    }

    /// The response to a line longer than the limit (whose bytes were discarded unread).
    public func lineTooLong() -> [UInt8] {
        Response.failure(
            id: nil,
            SpoolError(.lineTooLong, "line longer than \(limits.maxLineBytes) bytes; it was discarded (the connection stays open)"))
    }

    /// Logs `error` with its details and returns what the client may see.
    func internalError(_ error: any Error, op: String) -> SpoolError {
        logger.error("internal error", metadata: ["op": "\(op)", "error": "\(String(reflecting: error))"])
        return SpoolError(.internal, "internal error; the server log has the details")
    }

    /// Runs blocking engine work off the caller's thread.
    func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await blocking.run(body)
    }
}
