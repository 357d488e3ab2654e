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
