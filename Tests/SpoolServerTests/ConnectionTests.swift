import JSON
import NIOCore
import NIOEmbedded
import SpoolCore
import SpoolProtocol
import SpoolTestSupport
import Synchronization
import XCTest

@testable import SpoolServer

/// `Connection` on a test channel over a real engine: requests start in order and are
/// answered in order, the socket is not read while a request waits, and the connection
/// closes once input has ended and every answer is written.
final class ConnectionTests: XCTestCase {
    /// Counts the reads the handlers in front of it ask the socket for.
    private final class ReadCounter: ChannelOutboundHandler, Sendable {
        typealias OutboundIn = ByteBuffer
        let reads = Atomic<Int>(0)

        func read(context: ChannelHandlerContext) {
            reads.add(1, ordering: .relaxed)
            context.read()
        }
    }

    /// Runs blocking engine work once opened; until then every call waits.
    private final class GatedExecutor: BlockingExecutor {
        private let gate = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

        func open() {
            let waiters = gate.withLock { gate in
                gate.open = true
                defer { gate.waiters = [] }
                return gate.waiters
            }
            for waiter in waiters { waiter.resume() }
        }

        func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
            await withCheckedContinuation { continuation in
                let open = gate.withLock { gate in
                    if !gate.open { gate.waiters.append(continuation) }
                    return gate.open
                }
                if open { continuation.resume() }
            }
            return try body()
        }
    }

    private var directory: TemporaryDirectory?
    private var engine: Engine?

    override func tearDown() {
        engine?.close()
        directory?.remove()
    }

    /// A connection over a new engine, on an active test channel behind a `ReadCounter`, and
    /// its `closed`; with `added` false, abandoned instead of added to the channel.
    private func connection(blocking: any BlockingExecutor = InlineExecutor(), added: Bool = true) async throws -> (
        NIOAsyncTestingChannel, EventLoopFuture<Void>, ReadCounter
    ) {
        let directory = try TemporaryDirectory("connection")
        var options = Engine.Options()
        options.mapSize = 64 << 20
        let engine = try Engine(directory: directory.path, options: options)
        (self.directory, self.engine) = (directory, engine)
        let configuration = ServerConfiguration()
        let dispatcher = Dispatcher(engine: engine, limits: configuration.dispatcherLimits, blocking: blocking)
        let channel = NIOAsyncTestingChannel()
        let counter = ReadCounter()
        let closed = try await channel.testingEventLoop.executeInContext {
            let connection = Connection(
                channel: channel, dispatcher: dispatcher, configuration: configuration,
                pendingAppendBytes: PendingAppendBytes(capacity: 1 << 20), logger: .init(label: "test"), onAuthenticated: {})
            if added { try channel.pipeline.syncOperations.addHandlers(counter, connection) } else { connection.abandon() }
            return connection.closed
        }
        if added { try await channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 7070)) }
        return (channel, closed, counter)
    }

    private static func frames(_ lines: [String]) -> [Frame] {
        lines.map { .line(ByteBuffer(string: $0)) }
    }

    private static func append(_ user: String, id: Int) -> String {
        #"{"op":"append","id":\#(id),"stream":"user-\#(user)","events":[{"type":"UserCreated","data":{"user_id":"\#(user)","email":"\#(user)@example.com"}}]}"#
    }

    /// The next `count` answers written, parsed, however the writes cut them.
    private static func answers(_ count: Int, from channel: NIOAsyncTestingChannel) async throws -> [JSONObject] {
        var text = ""
        while text.filter({ $0 == "\n" }).count < count {
            text += String(buffer: try await channel.waitForOutboundWrite(as: ByteBuffer.self))
        }
        return try text.split(separator: "\n").map { try XCTUnwrap(JSONParser.parse(Array($0.utf8)).objectValue) }
    }

    func testASequentialReadSeesTheAppendsBeforeItAndAnswersKeepTheirOrder() async throws {
        let (channel, _, _) = try await connection()
        let lines = [
            #"{"op":"ping","id":"first"}"#, Self.append("ada", id: 1), Self.append("bob", id: 2),
            #"{"op":"read","id":3,"stream":"user-ada"}"#, Self.append("cy", id: 4),
            #"{"op":"ping","id":5}"#, "not json",
        ]
        try await channel.writeInbound(Self.frames(lines))
        var answers = try await Self.answers(7, from: channel)
        XCTAssertEqual(answers.removeFirst()["id"], .string("first"), "a ping with nothing before it, answered without waiting")
        XCTAssertEqual(
            answers.map { $0["id"] }, [.int(1), .int(2), .int(3), .int(4), .int(5), nil], "a line that is not JSON has no id to echo")
        XCTAssertEqual(answers[2]["events"]?.arrayValue?.count, 1, "the read ran after the append before it: \(answers[2])")
        XCTAssertEqual(answers[3]["first_seq"], .int(3))
        XCTAssertEqual(answers[5]["error"]?.objectValue?["code"], .string("bad_json"))
    }

    func testTheSocketIsNotReadWhileARequestWaits() async throws {
        let gate = GatedExecutor()
        let (channel, _, counter) = try await connection(blocking: gate)
        try await channel.writeInbound(Self.frames([#"{"op":"get_user","id":1,"user_id":"ada"}"#, #"{"op":"ping","id":2}"#]))
        let before = counter.reads.load(ordering: .relaxed)
        try await channel.testingEventLoop.executeInContext { channel.read() }
        XCTAssertEqual(counter.reads.load(ordering: .relaxed), before, "a read while get_user waits is held")

        gate.open()
        let answers = try await Self.answers(2, from: channel)
        XCTAssertEqual(answers.map { $0["id"] }, [.int(1), .int(2)])
        try await channel.testingEventLoop.executeInContext {}
        XCTAssertEqual(counter.reads.load(ordering: .relaxed), before + 1, "the held read goes on once the frames read have started")
    }

    func testEndOfInputClosesOnceEveryAnswerIsWritten() async throws {
        let (channel, closed, _) = try await connection()
        try await channel.writeInbound(Self.frames([Self.append("ada", id: 1), #"{"op":"read","id":2,"stream":"user-ada"}"#]))
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        try await closed.get()
        let answers = try await Self.answers(2, from: channel)
        XCTAssertEqual(answers.map { $0["ok"] }, [.bool(true), .bool(true)])
        try await channel.closeFuture.get()
    }

    /// The server waits on `closed` before it lets the engine close.
    func testAConnectionWhoseHandlerWasNeverAddedStillCompletesClosed() async throws {
        let (_, closed, counter) = try await connection(added: false)
        closed.whenComplete { _ in counter.reads.store(-1, ordering: .relaxed) }  // the counter, unused here, as a flag
        for _ in 0..<1_000 where counter.reads.load(ordering: .relaxed) != -1 { try await Task.sleep(for: .milliseconds(10)) }
        XCTAssertEqual(counter.reads.load(ordering: .relaxed), -1, "closed completed")
    }
}
