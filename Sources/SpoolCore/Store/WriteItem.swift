import LMDB

/// One submitted piece of work and the caller waiting for it. Writer thread only, apart from
/// `fail` before it is queued.
class WriteItem {
    let weight: Int
    init(weight: Int) { self.weight = weight }
    /// Runs the work in the batch's transaction, keeping its result until the commit.
    func run(_ context: WriteContext) throws {}
    /// Keeps a `SpoolError` the work threw as its result.
    func record(_ error: SpoolError) {}
    /// Hands the caller the kept result; the transaction is durable.
    func complete() {}
    /// Hands the caller `error`.
    func fail(_ error: any Error) {}
}

final class TypedWriteItem<T: Sendable>: WriteItem {
    private let work: @Sendable (WriteContext) throws -> T
    private let completion: @Sendable (Result<T, any Error>) -> Void
    private var result: Result<T, any Error>?

    init(
        weight: Int, work: @escaping @Sendable (WriteContext) throws -> T, completion: @escaping @Sendable (Result<T, any Error>) -> Void
    ) {
        self.work = work
        self.completion = completion
        super.init(weight: weight)
    }

    override func run(_ context: WriteContext) throws {
        result = nil
        result = .success(try work(context))
    }

    override func record(_ error: SpoolError) { result = .failure(error) }

    override func complete() { completion(result ?? .failure(SpoolError(.internal, "write produced no result"))) }

    override func fail(_ error: any Error) { completion(.failure(error)) }
}

/// Appends queued together (the pipelined appends one connection read at once, or a single
/// append), the writer's most common item: not generic, so running, completing and freeing it
/// looks no type up at run time (a `TypedWriteItem<AppendResult>` did, three times per
/// append). Each append stands alone, as if queued by itself: one refused (`SpoolError`)
/// writes nothing and leaves the others in; one that fails otherwise is dropped, and the
/// writer runs the transaction again without it (`DroppedAppend`). The writer holds the
/// requests alone once they are submitted, so it seals the records in place.
/// Rejected: an item per append (an allocation, a queueing, three closures and a lock of the
/// answer queue for each: without them the writer's CPU per event fell by a fifth at one event
/// per append).
final class AppendWriteItem: WriteItem {
    /// The requests and what became of them, as one value: `run` changes it through one access
    /// (each access to a class's stored property is checked for exclusivity at run time, ~90
    /// instructions; three arrays apart took four such checks per append).
    private var appends: Appends
    /// Gets the results, in request order, once. Set before the item is queued.
    var completion: @Sendable ([Result<AppendResult, any Error>]) -> Void = { _ in }

    private struct Appends {
        var requests: [PreparedAppend]
        /// Each request's result; a dropped request's stays its failure through reruns.
        var results: [Result<AppendResult, any Error>?]
        var dropped: [Bool]

        /// Keeps each refusal as that append's result, so it never throws a `SpoolError` itself.
        mutating func run(_ context: WriteContext) throws {
            for index in requests.indices where !dropped[index] {
                do {
                    results[index] = .success(try context.append(&requests[index]))
                } catch let error as SpoolError {
                    results[index] = .failure(error)
                } catch let error as LMDBError {
                    throw error
                } catch {
                    dropped[index] = true
                    results[index] = .failure(SpoolError(.internal, "write failed: \(error)"))
                    throw DroppedAppend()
                }
            }
        }
    }

    init(_ requests: consuming [PreparedAppend]) {
        let weight = requests.reduce(0) { $0 + $1.events.count }
        let count = requests.count
        appends = Appends(requests: requests, results: Array(repeating: nil, count: count), dropped: Array(repeating: false, count: count))
        super.init(weight: weight)
    }

    override func run(_ context: WriteContext) throws { try appends.run(context) }

    /// Thrown by `run` once it has dropped an append that failed half-written: the writer runs
    /// the batch's transaction again, and this item runs without it.
    struct DroppedAppend: Error {}

    override func complete() {
        completion(appends.results.map { $0 ?? .failure(SpoolError(.internal, "write produced no result")) })
    }

    override func fail(_ error: any Error) { completion(Array(repeating: .failure(error), count: appends.requests.count)) }
}
