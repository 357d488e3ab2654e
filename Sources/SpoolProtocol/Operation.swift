import JSON

/// One op of the protocol: its wire name, its one-line help and what it runs.
///
/// The dispatcher's op table is a list of these, and `help` prints the same list, so an op
/// cannot exist without its help line. `run` reads the request's fields (calling
/// `fields.finish()` once it has read them all), does the work, and writes the response's
/// members after `"ok":true` into the writer. It throws `SpoolError` for anything the client
/// can act on; any other error becomes `internal`.
public struct Operation: Sendable {
    public typealias Run = @Sendable (Dispatcher, inout Request, inout JSONWriter) async throws -> Void
    /// Writes a finished op's members after `"ok":true`.
    public typealias Members = @Sendable (inout JSONWriter) -> Void
    /// A pipelined op run without a task: reads the fields, queues the engine work and
    /// returns; `done` is then called once, from whichever thread finished the work, with the
    /// response's members or the error. When it throws, `done` is never called.
    public typealias Submit =
        @Sendable (Dispatcher, inout Request, _ done: @escaping @Sendable (Result<Members, any Error>) -> Void) throws -> Void

    /// How a pipelined request of this op is scheduled on its connection.
    public enum Scheduling: Sendable {
        /// Runs alone: after every earlier request of the connection has finished, so it sees
        /// their effects (reads, admin ops).
        case sequential
        /// May overlap earlier `pipelined` requests still in flight: it is started in request
        /// order, and its engine work is queued before the next request starts (appends: one
        /// connection's window of appends shares the writer's group commits).
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
    /// How `Dispatcher.start` runs an op made with `submit`, without a task per request (a
    /// task's creation, hops back to the loop and teardown were a quarter of the server's CPU
    /// per append); nil for the others.
    public let submit: Submit?

    public init(_ name: String, _ summary: String, access: Access, scheduling: Scheduling = .sequential, run: @escaping Run) {
        self.name = name
        self.summary = summary
        self.access = access
        self.scheduling = scheduling
        self.run = run
        self.submit = nil
    }

    /// A `pipelined` op; `run` (for `Dispatcher.execute`) waits for what `submit` reports.
    public init(_ name: String, _ summary: String, access: Access, submit: @escaping Submit) {
        self.name = name
        self.summary = summary
        self.access = access
        self.scheduling = .pipelined
        self.submit = submit
        self.run = { dispatcher, request, writer in
            let members = try await withCheckedThrowingContinuation { continuation in
                do {
                    try submit(dispatcher, &request) { continuation.resume(with: $0) }
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            members(&writer)
        }
    }
}
