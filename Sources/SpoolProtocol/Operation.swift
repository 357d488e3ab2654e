import JSON
import SpoolCore

/// One op of the protocol: its wire name, its one-line help and what it runs.
///
/// The dispatcher's op table is a list of these, and `help` prints the same list, so an op
/// cannot exist without its help line. `run` reads the request's fields (calling
/// `fields.finish()` once it has read them all), does the work, and writes the response's
/// members after `"ok":true` into the writer. It throws `SpoolError` for anything the client
/// can act on; any other error becomes `internal`. A class: every request carries its op,
/// and copying one reference is cheaper than copying its strings and closures.
public final class Operation: Sendable {
    public typealias Run = @Sendable (Dispatcher, inout Request, inout JSONWriter) async throws -> Void
    /// A pipelined op's part on the caller's thread: reads the request's fields and readies
    /// its append (validated, drafted), without queuing it: the dispatcher queues the appends
    /// of requests read together as one writer item (`PipelinedBatch`). Throws what the
    /// request is refused for.
    public typealias Prepare = @Sendable (Dispatcher, inout Request) throws -> PreparedAppend

    /// How a pipelined request of this op is scheduled on its connection.
    public enum Scheduling: Sendable {
        /// Runs alone: after every earlier request of the connection has finished, so it sees
        /// their effects (reads, admin ops).
        case sequential
        /// May overlap earlier `pipelined` requests still in flight: an append, readied in
        /// request order and queued in the writer with the appends read along with it
        /// (`PipelinedBatch`) before any later request waits or starts engine work, so one
        /// connection's window of appends shares the writer's group commits.
        case pipelined
        /// Started at once, like `pipelined`, and it changes what later requests read before
        /// it first waits (an ack settles the subscription in memory, then waits for its
        /// commit), so later requests, sequential ones too, start without waiting for it: a
        /// consumer's next fetch overlaps the commit of its last ack. Its answer keeps its place.
        case immediate
    }

    /// The wire name, e.g. `append`.
    public let name: String
    /// One line for `help`.
    public let summary: String
    /// Who may run it; the dispatcher refuses everyone else with `unauthorized` before `run`.
    public let access: Access
    public let scheduling: Scheduling
    public let run: Run
    /// How a connection readies a `pipelined` op (an append) for a `PipelinedBatch`, without
    /// a task per request (a task's creation, hops back to the loop and teardown were a quarter
    /// of the server's CPU per append); nil for the others.
    public let prepare: Prepare?

    public init(_ name: String, _ summary: String, access: Access, scheduling: Scheduling = .sequential, run: @escaping Run) {
        self.name = name
        self.summary = summary
        self.access = access
        self.scheduling = scheduling
        self.run = run
        self.prepare = nil
    }

    /// A `pipelined` op; `run` (for `Dispatcher.execute`) queues what `prepare` readies, alone,
    /// and waits for its commit.
    public init(_ name: String, _ summary: String, access: Access, prepare: @escaping Prepare) {
        self.name = name
        self.summary = summary
        self.access = access
        self.scheduling = .pipelined
        self.prepare = prepare
        self.run = { dispatcher, request, writer in
            let appended = try await dispatcher.engine.requireWriter().append(try prepare(dispatcher, &request))
            Dispatcher.writeAppended(appended, into: &writer)
        }
    }
}
