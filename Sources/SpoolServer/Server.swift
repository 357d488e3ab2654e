import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import SpoolCore
import SpoolProtocol

/// Spool's TCP server: the line protocol on one listening socket, run as a `Service`.
///
/// Design: SwiftNIO event loops cut lines and pass each read's lines on together
/// (`LineFramer`); each connection is a task (`Connection`) that hands lines to the
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
        let maxLineBytes = configuration.maxLineBytes
        let listener = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: configuration.host == "localhost" ? "127.0.0.1" : configuration.host, port: configuration.port) {
                channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(LineFramer(maxLineBytes: maxLineBytes))
                    return try NIOAsyncChannel<[Frame], ByteBuffer>(wrappingChannelSynchronously: channel)
                }
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

    /// Serves one accepted connection, or turns it away when there are too many.
    private func accept(_ connection: NIOAsyncChannel<[Frame], ByteBuffer>) async {
        if let error = registry.register(connection.channel, authenticates: !configuration.tokens.isEmpty) {
            try? await connection.executeThenClose { _, outbound in
                try await outbound.write(ByteBuffer(bytes: Response.failure(id: nil, error)))
                try await connection.channel.writeAndFlush(ByteBuffer()).get()
            }
            return
        }
        let registry = registry
        await Connection(
            channel: connection, dispatcher: dispatcher, configuration: configuration, pendingAppendBytes: pendingAppendBytes,
            logger: logger, onAuthenticated: { registry.authenticated(connection.channel) }
        ).run()
        registry.unregister(connection.channel)
    }
}
