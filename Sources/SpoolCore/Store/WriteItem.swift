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

/// An append, the writer's most common item: not generic, so running, completing and freeing
/// it looks no type up at run time (a `TypedWriteItem<AppendResult>` did, three times per
/// append). The writer holds the request alone once it is submitted, so it seals the records
/// in place.
final class AppendWriteItem: WriteItem {
    private var request: PreparedAppend
    private var result: Result<AppendResult, any Error>?
    /// Gets the result or error, once. Set before the item is queued.
    var completion: @Sendable (Result<AppendResult, any Error>) -> Void = { _ in }

    init(_ request: consuming PreparedAppend) {
        let weight = request.events.count
        self.request = request
        super.init(weight: weight)
    }

    override func run(_ context: WriteContext) throws {
        result = nil
        result = .success(try context.append(&request))
    }

    override func record(_ error: SpoolError) { result = .failure(error) }

    override func complete() { completion(result ?? .failure(SpoolError(.internal, "write produced no result"))) }

    override func fail(_ error: any Error) { completion(.failure(error)) }
}
