import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// The Prometheus endpoint: `GET /metrics` over HTTP/1.1 on its own listening socket, run as a
/// `Service` in spoold's group.
///
/// Design: NIO's HTTP/1 codec parses and writes; each connection is a task that answers its
/// requests in order (keep-alive as the client asks), and each scrape runs the collector on
/// NIO's thread pool, since it reads LMDB and an event loop must not block. Graceful shutdown
/// (or cancellation) closes the listener and every open connection at once: a scrape has
/// nothing to drain. Place it after `EngineService` in the group, so it stops before the
/// engine closes. Rejected: serving `/metrics` from the protocol port (it is line-delimited
/// JSON, and Prometheus speaks HTTP), and a web framework for one route.
public final class MetricsServer: Service, Sendable {
    public let address: ListenAddress
    private let collector: MetricsCollector
    private let eventLoopThreads: Int
    private let logger: Logger
    private let onListening: @Sendable (_ host: String, _ port: Int) -> Void

    /// A server for `collector` on `address` (port 0 picks a free port); it starts listening
    /// in `run`. `onListening` is called once with the bound address.
    public init(
        address: ListenAddress, collector: MetricsCollector, eventLoopThreads: Int = 1, logger: Logger,
        onListening: @escaping @Sendable (_ host: String, _ port: Int) -> Void = { _, _ in }
    ) {
        self.address = address
        self.collector = collector
        self.eventLoopThreads = eventLoopThreads
        self.logger = logger
        self.onListening = onListening
    }

    /// Why the metrics address could not be used.
    public struct ListenError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Listens and answers scrapes until graceful shutdown or cancellation. Throws
    /// `ListenError` when the address cannot be bound.
    public func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: eventLoopThreads)
        do {
            try await serve(on: group)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try await group.shutdownGracefully()
    }

    private func serve(on group: MultiThreadedEventLoopGroup) async throws {
        let listener: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
        do {
            listener = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 64)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .bind(host: address.host == "localhost" ? "127.0.0.1" : address.host, port: address.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                        return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw ListenError(
                description: "cannot serve metrics on \(ListenAddress.describe(host: address.host, port: address.port)): \(error)")
        }
        let bound = listener.channel.localAddress
        let host = bound?.ipAddress ?? address.host
        let port = bound?.port ?? address.port
        logger.info("metrics listening", metadata: ["address": "\(ListenAddress.describe(host: host, port: port))"])
        onListening(host, port)
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { tasks in
                try await listener.executeThenClose { inbound in
                    for try await connection in inbound {
                        tasks.addTask { await self.serve(connection) }
                    }
                }
            }
        } onCancelOrGracefulShutdown: {
            listener.channel.close(promise: nil)
        }
        logger.info("metrics stopped")
    }

    /// Answers one connection's requests in order until it closes, asks to close, or shutdown
    /// closes it. Never throws: connection errors are logged.
    private func serve(_ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>) async {
        await withTaskCancellationOrGracefulShutdownHandler {
            do {
                try await connection.executeThenClose { inbound, outbound in
                    var head: HTTPRequestHead?
                    for try await part in inbound {
                        switch part {
                        case .head(let request): head = request
                        case .body: continue
                        case .end:
                            guard let request = head else { continue }
                            head = nil
                            let answer = await MetricsEndpoint(method: request.method, uri: request.uri).answer {
                                await self.scrape()
                            }
                            try await write(
                                answer, to: outbound, version: request.version, keepAlive: request.isKeepAlive,
                                withBody: request.method != .HEAD)
                            if !request.isKeepAlive { return }
                        }
                    }
                }
            } catch {
                logger.debug("metrics connection ended", metadata: ["error": "\(error)"])
            }
        } onCancelOrGracefulShutdown: {
            connection.channel.close(promise: nil)
        }
    }

    /// The collector's output, produced on NIO's blocking thread pool; nil when the pool no
    /// longer runs work (the process is stopping).
    private func scrape() async -> [UInt8]? {
        let collector = collector
        return try? await NIOThreadPool.singleton.runIfActive { collector.scrape() }
    }

    private func write(
        _ answer: MetricsEndpoint.Answer, to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>,
        version: HTTPVersion, keepAlive: Bool, withBody: Bool
    ) async throws {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: answer.contentType)
        headers.add(name: "Content-Length", value: "\(answer.body.count)")
        for (name, value) in answer.headers { headers.add(name: name, value: value) }
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        try await outbound.write(.head(HTTPResponseHead(version: version, status: answer.status, headers: headers)))
        if withBody { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: answer.body)))) }
        try await outbound.write(.end(nil))
    }
}
