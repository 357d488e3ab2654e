import NIOPosix
import SpoolProtocol

/// Runs the dispatcher's blocking engine calls on a `NIOThreadPool`, away from the event
/// loops and from Swift's cooperative threads (two on a two-core machine: one `verify` there
/// would halve the server).
struct ThreadPoolExecutor: BlockingExecutor {
    let pool: NIOThreadPool

    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }
}
