import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import SpoolCore
import SpoolProtocol

/// Spool's TCP server: the line protocol on one listening socket, run as a `Service`.
///
/// Design: SwiftNIO event loops cut lines and pass each read's lines on together
/// (`LineFramer`) to the connection's handler (`Connection`), which hands lines to the
/// `Dispatcher`, which runs blocking engine reads on a thread pool and queues appends in the
/// writer. Graceful shutdown stops accepting, lets every connection finish the requests it has
/// read (closing its input), and force-closes what is left after `shutdownGracePeriod`; `run`
/// returns once every connection is gone, so an `EngineService` placed before this one in the
/// group closes the engine after it.
public final class Server: Service, Sendable {
    public let configuration: ServerConfiguration
    public let dispatcher: Dispatcher
    private let pool: NIOThreadPool
    private let registry: ConnectionRegistry
    private let pendingAppendBytes: PendingAppendBytes
    private let logger: Logger
    private let onListening: @Sendable (_ host: String, _ port: Int) -> Void

    /// A server for `engine`; it starts listening in `run`. `onListening` is called once with
    /// the bound address (the real port when `configuration.port` is 0).
    public init(
        configuration: ServerConfiguration, engine: Engine, logger: Logger,
        onListening: @escaping @Sendable (_ host: String, _ port: Int) -> Void = { _, _ in }
    ) {
        self.configuration = configuration
        self.logger = logger
        self.onListening = onListening
        pool = NIOThreadPool(numberOfThreads: configuration.blockingThreads)
        pool.start()
        let status = ServerStatus()
        registry = ConnectionRegistry(
            maxConnections: configuration.maxConnections,
            maxUnauthenticatedPerAddress: configuration.maxUnauthenticatedPerAddress, status: status)
        pendingAppendBytes = PendingAppendBytes(capacity: configuration.maxPendingAppendBytes)
        dispatcher = Dispatcher(
            engine: engine, limits: configuration.dispatcherLimits, status: status, tokens: configuration.tokens,
            blocking: ThreadPoolExecutor(pool: pool), logger: logger)
    }

    /// Listens and serves until graceful shutdown, then drains. Throws when the address cannot
    /// be bound (in use, not local).
    public func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: configuration.eventLoopThreads)
        do {
            try await serve(on: group)
        } catch {
            try? await group.shutdownGracefully()
            try? await pool.shutdownGracefully()
            throw error
        }
        try await group.shutdownGracefully()
        try await pool.shutdownGracefully()
    }

    private func serve(on group: MultiThreadedEventLoopGroup) async throws {
        let listener = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: configuration.host == "localhost" ? "127.0.0.1" : configuration.host, port: configuration.port) {
                channel in
                channel.eventLoop.makeCompletedFuture { try self.open(channel) }
            }
        let address = listener.channel.localAddress
        let host = address?.ipAddress ?? configuration.host
        let port = address?.port ?? configuration.port
        logger.info("listening", metadata: ["address": "\(ListenAddress.describe(host: host, port: port))"])
        onListening(host, port)

        let registry = registry
        let grace = TimeAmount.nanoseconds(Int64(configuration.shutdownGracePeriod / .nanoseconds(1)))
        let timerLoop = group.next()
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { tasks in
                try await listener.executeThenClose { inbound in
                    for try await connection in inbound {
                        tasks.addTask { await self.accept(connection) }
                    }
                }
            }
        } onGracefulShutdown: { [logger] in
            logger.info("shutting down: no new connections; open ones finish their requests")
            listener.channel.close(promise: nil)
            registry.beginShutdown()
            timerLoop.scheduleTask(in: grace) { registry.closeAll() }
        }
        logger.info("all connections closed")
    }

    /// An accepted connection: refused, or served until `closed` completes.
    private enum Accepted: Sendable {
        case refused(any Channel, SpoolError)
        case served(any Channel, closed: EventLoopFuture<Void>)
    }

    /// Sets up an accepted channel, on its event loop, before it reads: a `Connection` serves it,
    /// unless there are too many connections.
    private func open(_ channel: any Channel) throws -> Accepted {
        if let error = registry.register(channel, authenticates: !configuration.tokens.isEmpty) { return .refused(channel, error) }
        let registry = registry
        let connection = Connection(
            channel: channel, dispatcher: dispatcher, configuration: configuration, pendingAppendBytes: pendingAppendBytes,
            logger: logger, onAuthenticated: { registry.authenticated(channel) })
        do {
            try channel.pipeline.syncOperations.addHandlers(LineFramer(maxLineBytes: configuration.maxLineBytes), connection)
        } catch {  // the channel closed first
            registry.unregister(channel)
            connection.abandon()
            throw error
        }
        return .served(channel, closed: connection.closed)
    }

    /// Turns a refused connection away with its error, or waits until a served one is done.
    private func accept(_ accepted: Accepted) async {
        switch accepted {
        case .refused(let channel, let error):
            try? await channel.writeAndFlush(ByteBuffer(bytes: Response.failure(id: nil, error)))
            try? await channel.close()
        case .served(let channel, let closed):
            try? await closed.get()
            registry.unregister(channel)
        }
    }
}
