/// Somewhere to run blocking engine calls (LMDB reads, `verify`) so they never hold an event
/// loop or a Swift concurrency thread for long.
///
/// The server passes a thread pool; tests and tools may run inline.
public protocol BlockingExecutor: Sendable {
    /// Runs `body` on a thread that may block and returns its result or rethrows its error.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T
}

/// Runs the work on the calling thread: for tests and one-shot tools, never for a server.
public struct InlineExecutor: BlockingExecutor {
    public init() {}

    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T { try body() }
}
