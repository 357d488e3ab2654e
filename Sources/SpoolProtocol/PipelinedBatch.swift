import JSON
import SpoolCore

/// Pipelined requests (appends) of one connection read together, readied for the writer to
/// take as one item: one queueing, one completion and one hand-back of their answers for all.
/// A connection fills one with `Dispatcher.add` as it reads and starts it with
/// `Dispatcher.start(_:answer:)` before anything that waits or runs engine work, so appends
/// reach the writer in request order. Each append still succeeds or fails on its own.
public struct PipelinedBatch: Sendable {
    fileprivate var appends: [PreparedAppend] = []
    fileprivate var requests: [Answered] = []
    /// The events of all its appends.
    public fileprivate(set) var events = 0

    /// What an append's answer needs of its request, and where it goes.
    fileprivate struct Answered {
        var id: JSONValue?
        var op: String
        var slot: Int
    }

    /// Room for a socket read's worth of appends, so the arrays rarely grow.
    fileprivate static let initialCapacity = 16
    /// Room for an append's answer line (`{"id":…,"ok":true,"first_seq":…}` is ~80 bytes).
    fileprivate static let answerBytes = 96

    public init() {}

    public var isEmpty: Bool { appends.isEmpty }
    public var count: Int { appends.count }
    /// The caller's answer slot for each request in the batch, in order.
    public var slots: [Int] { requests.map(\.slot) }
}

extension Dispatcher {
    /// Readies pipelined `request` (its fields read, its events validated and drafted) into
    /// `batch`, to be answered into `slot`. Returns its answer line at once instead when it is
    /// refused; it is then not in the batch.
    public func add(_ request: consuming Request, _ operation: Operation, slot: Int, to batch: inout PipelinedBatch) -> [UInt8]? {
        var request = request
        let append: PreparedAppend
        do {
            guard let prepare = operation.prepare else { throw SpoolError(.internal, "op \(operation.name) is not pipelined") }
            append = try prepare(self, &request)
        } catch {
            return countedFailure(id: request.id, op: request.op, error)
        }
        add(append, id: request.id, op: request.op, slot: slot, to: &batch)
        return nil
    }

    /// `add(_:_:slot:to:)` of an append read from its line (`Decoded.append`), stamped with
    /// `actor`, the connection's.
    public func add(
        _ append: consuming AppendRequest, id: JSONValue?, _ operation: Operation, actor: ActorStamp, slot: Int,
        to batch: inout PipelinedBatch
    ) -> [UInt8]? {
        let prepared: PreparedAppend
        do {
            prepared = try prepare(append, actor: actor)
        } catch {
            return countedFailure(id: id, op: operation.name, error)
        }
        add(prepared, id: id, op: operation.name, slot: slot, to: &batch)
        return nil
    }

    /// Puts a readied append into `batch`, its answer going to `slot`.
    private func add(_ append: consuming PreparedAppend, id: JSONValue?, op: String, slot: Int, to batch: inout PipelinedBatch) {
        if batch.isEmpty {
            batch.appends.reserveCapacity(PipelinedBatch.initialCapacity)
            batch.requests.reserveCapacity(PipelinedBatch.initialCapacity)
        }
        batch.events += append.events.count
        batch.appends.append(append)
        batch.requests.append(PipelinedBatch.Answered(id: id, op: op, slot: slot))
    }

    /// Queues `batch`'s appends in the writer as one item; `answer` gets their answer lines, in
    /// batch order, once they are durable or failed (on the writer thread, or on the caller's
    /// when the writer refuses them all).
    public func start(_ batch: consuming PipelinedBatch, answer: @escaping @Sendable ([[UInt8]]) -> Void) {
        guard !batch.isEmpty else { return }
        let requests = batch.requests
        do {
            try engine.requireWriter().append(batch.appends) { results in
                answer(self.answers(to: requests, results))
            }
        } catch {
            answer(requests.map { countedFailure(id: $0.id, op: $0.op, error) })
        }
    }

    /// The answers of `requests`, which ended in `results`, counted in the metrics (the
    /// successes of each run of one op at once). Requests in consecutive slots share a buffer:
    /// the first of each such run is answered with the lines of the whole run and the others
    /// with nothing, which `AnswerQueue` sends as the same bytes in the same order (one
    /// allocation and one queued answer per run instead of per line).
    private func answers(to requests: [PipelinedBatch.Answered], _ results: [Result<AppendResult, any Error>]) -> [[UInt8]] {
        var answers: [[UInt8]] = []
        answers.reserveCapacity(requests.count)
        var run: [UInt8] = []
        var (runStart, runEnd) = (0, 0)
        var succeeded = 0
        for (index, (request, result)) in zip(requests, results).enumerated() {
            if index == runEnd {  // a run starts: it lasts while the slots are consecutive
                (runStart, runEnd) = (index, index + 1)
                while runEnd < requests.count, requests[runEnd].slot == requests[runEnd - 1].slot + 1 { runEnd += 1 }
                run.reserveCapacity(PipelinedBatch.answerBytes * (runEnd - runStart))
            }
            appendResponse(id: request.id, op: request.op, result, to: &run)
            answers.append([])
            if case .success = result { succeeded += 1 }
            if index == requests.count - 1 || requests[index + 1].op != request.op {
                requestMetrics.count(request.op, succeeded: succeeded)
                succeeded = 0
            }
            if index + 1 == runEnd { swap(&answers[runStart], &run) }
        }
        return answers
    }
}
