import NIOCore
import NIOPosix

/// Opens the connections of one run, starts their sessions together and collects their results.
///
/// Design: every connection is connected first and only then sent `StartLoad`, so connecting
/// is not timed and all sessions start within the same few microseconds. The client's event
/// loops are its own (`threads`, default 1): with 2 cores shared with the server, one client
/// thread is both enough and the least disturbing; `LoadCounters` reports its CPU share so a
/// run where the client was the bottleneck shows it.
struct LoadRunner {
    let host: String
    let port: Int
    let group: MultiThreadedEventLoopGroup

    /// What a run measured: each session's result, wall time and CPU counters.
    struct Run<Result: Sendable> {
        var results: [Result]
        var seconds: Double
        var counters: LoadCounters
    }

    /// Connects `count` connections, makes a session for each (`makeSession(index)`, called on
    /// the connection's event loop), starts them together and waits until all are done.
    /// Throws when a connection cannot be made or a session fails (the first error).
    func run<Session: LoadSession>(
        connections count: Int, serverPID: Int32?, makeSession: @escaping @Sendable (Int) -> Session
    ) async throws -> Run<Session.Result> {
        var channels: [any Channel] = []
        var futures: [EventLoopFuture<Session.Result>] = []
        defer { for channel in channels { channel.close(promise: nil) } }
        for index in 0..<count {
            let loop = group.next()
            let done = loop.makePromise(of: Session.Result.self)
            let channel = try await ClientBootstrap(group: loop)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 1_024, initial: 16_384, maximum: 262_144))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(LoadHandler(session: makeSession(index), done: done))
                    }
                }
                .connect(host: host, port: port)
                .get()
            channels.append(channel)
            futures.append(done.futureResult)
        }
        let before = LoadCounters.now(serverPID: serverPID)
        let start = MonotonicClock.now()
        for channel in channels { channel.pipeline.fireUserInboundEventTriggered(StartLoad()) }
        var results: [Session.Result] = []
        results.reserveCapacity(count)
        for future in futures { results.append(try await future.get()) }
        let seconds = Double(MonotonicClock.now() - start) / 1e9
        let counters = LoadCounters.now(serverPID: serverPID) - before
        return Run(results: results, seconds: seconds, counters: counters)
    }
}
