import JSON
import NIOCore
import NIOExtras
import NIOPosix

/// One connection to a Spool server speaking the line protocol: the client the CLI, the
/// end-to-end tests and the tools share.
///
/// Requests may be pipelined: every request is written at once and answers are matched to
/// requests in order (the server answers in order), so `pipeline` sends many and awaits
/// many. The connection is safe to use from several tasks; concurrent callers' requests
/// interleave but each gets its own answer.
public final class SpoolConnection: Sendable {
    private let channel: any Channel
    private let timeout: Duration?

    private init(channel: any Channel, timeout: Duration?) {
        self.channel = channel
        self.timeout = timeout
    }

    /// Connects to `host:port`. Throws NIO's connect error when nobody listens there.
    /// `timeout` bounds the wait for the answers of one call: past it the connection is
    /// closed and every waiting request fails (nil waits for ever).
    public static func connect(
        host: String = "127.0.0.1", port: Int = 7070, timeout: Duration? = nil,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> SpoolConnection {
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(
                        ByteToMessageHandler(LineBasedFrameDecoder()),
                        RequestResponseHandler<ByteBuffer, ByteBuffer>(initialBufferCapacity: 64))
                }
            }
            .connect(host: host, port: port)
            .get()
        return SpoolConnection(channel: channel, timeout: timeout)
    }

    /// Sends `request` and returns the server's answer, parsed.
    /// Throws when the connection closes first, or `SpoolClientError` when the answer is not JSON.
    public func request(_ request: JSONValue) async throws -> JSONValue {
        try Self.parse(try await requestLine(request.jsonBytes))
    }

    /// Sends `op` with `fields` and returns the answer, parsed.
    public func request(_ op: String, _ fields: JSONObject = [:]) async throws -> JSONValue {
        var object = fields
        object["op"] = .string(op)
        return try await request(.object(object))
    }

    /// Sends one raw line (without its `\n`, which is added) and returns the raw answer line
    /// (without its `\n`). The line must not contain `\n` and must not be blank (empty or only
    /// spaces and tabs once one trailing `\r` is dropped): the server skips blank lines without
    /// an answer, so answers would no longer match requests.
    public func requestLine(_ line: [UInt8]) async throws -> [UInt8] {
        try await pipelineLines([line])[0]
    }

    /// Sends every request before awaiting any answer; returns the answers in order.
    public func pipeline(_ requests: [JSONValue]) async throws -> [JSONValue] {
        try await pipelineLines(requests.map(\.jsonBytes)).map(Self.parse)
    }

    /// `pipeline` for raw lines; see `requestLine` for what a line may hold.
    public func pipelineLines(_ lines: [[UInt8]]) async throws -> [[UInt8]] {
        let channel = channel
        let promises = lines.map { _ in channel.eventLoop.makePromise(of: ByteBuffer.self) }
        let buffers = lines.map { line in
            var buffer = channel.allocator.buffer(capacity: line.count + 1)
            buffer.writeBytes(line)
            buffer.writeInteger(UInt8(0x0A))
            return buffer
        }
        channel.eventLoop.execute {
            for (buffer, promise) in zip(buffers, promises) {
                // A write to a connection already closed (by the server, or by the timeout)
                // never reaches the response handler: fail the answer with the write, or it
                // would be awaited for ever. (Failing an answer that already failed is a no-op.)
                let written = channel.eventLoop.makePromise(of: Void.self)
                written.futureResult.whenFailure { promise.fail($0) }
                channel.write((buffer, promise), promise: written)
            }
            channel.flush()
        }
        let deadline = timeout.map { timeout in
            channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(timeout / .nanoseconds(1)))) { channel.close(promise: nil) }
        }
        defer { deadline?.cancel() }
        var answers: [[UInt8]] = []
        answers.reserveCapacity(lines.count)
        for promise in promises {
            let buffer = try await promise.futureResult.get()
            answers.append(Array(buffer.readableBytesView))
        }
        return answers
    }

    /// Closes the connection; requests still waiting fail.
    public func close() async {
        try? await channel.close()
    }

    static func parse(_ line: [UInt8]) throws -> JSONValue {
        do {
            return try JSONParser.parse(line, maxDepth: 1_000)
        } catch {
            throw SpoolClientError(
                message: "the server's answer is not JSON (\(error)): \(String(decoding: line.prefix(200), as: UTF8.self))")
        }
    }
}

/// A client-side failure that is not the server's error response.
public struct SpoolClientError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
    public init(message: String) { self.message = message }
}
