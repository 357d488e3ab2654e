import Logging
import NIOCore
import SpoolProtocol

/// Serves one client connection: reads frames, answers each in order, closes when the
/// client is done.
///
/// Design: requests start in the order they arrive. A `sequential` op (reads, admin) first
/// waits until every earlier request of the connection has finished, so it sees their
/// effects; a `pipelined` op (append) starts at once, while earlier appends are still in the
/// writer, so a client's window of pipelined appends shares group commits instead of paying a
/// commit each. Answers go into an `AnswerQueue` slot reserved in request order; a writer
/// task sends every answer ready at the head in one write. At most `maxInFlight` answers are
/// unsent; past that the connection stops reading (and TCP pushes back on the client), and
/// the writer itself waits while the socket is not writable. Rejected: one request at a time
/// (a pipelined client gets one commit per append: ~1,500 appends/s), answering out of order
/// (clients match answers by position), and a write and flush per answer (a syscall each).
///
/// With half-closure allowed, a client that closes its sending side (`nc -N`) still gets
/// every answer: the loop ends when input ends, the last answer is flushed, then the
/// connection closes.
struct Connection {
    let channel: NIOAsyncChannel<Frame, ByteBuffer>
    let dispatcher: Dispatcher
    let maxInFlight: Int
    let logger: Logger

    /// Runs until the client closes, the connection fails, or shutdown closes its input.
    /// Never throws: connection errors are logged.
    func run() async {
        let remote = channel.channel.remoteAddress?.description ?? "?"
        do {
            try await channel.executeThenClose { inbound, outbound in
                let answers = AnswerQueue(capacity: maxInFlight)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        while let batch = await answers.nextBatch() {
                            do {
                                try await outbound.write(ByteBuffer(bytes: batch))
                            } catch {
                                answers.fail()
                                throw error
                            }
                        }
                    }
                    do {
                        try await read(inbound, into: answers)
                    } catch {
                        answers.fail()
                        throw error
                    }
                    answers.finish()
                    try await group.waitForAll()
                }
                // Everything written before this empty write is out once it completes.
                try await channel.channel.writeAndFlush(ByteBuffer()).get()
            }
            logger.debug("connection closed", metadata: ["remote": "\(remote)"])
        } catch {
            logger.debug("connection ended", metadata: ["remote": "\(remote)", "error": "\(error)"])
        }
    }

    /// Starts every request in arrival order and has each fill its answer slot.
    private func read(_ inbound: NIOAsyncChannelInboundStream<Frame>, into answers: AnswerQueue) async throws {
        let pushes = PushSubscriptions(consumer: "connection-\(ObjectIdentifier(channel.channel).hashValue)") { line in
            answers.fill(await answers.reserve(), with: line)
        }
        defer { pushes.cancelAll() }
        let session = Session(pushes: pushes)
        var running: [Task<Void, Never>] = []  // pipelined requests since the last sequential one
        for try await frame in inbound {
            let slot = await answers.reserve()
            let decoded: Dispatcher.Decoded
            switch frame {
            case .tooLong: decoded = .response(dispatcher.lineTooLong())
            case .line(let line): decoded = dispatcher.decode(Array(line.readableBytesView), session: session)
            }
            switch decoded {
            case .response(let response):
                answers.fill(slot, with: response)
            case .request(let request, let operation) where operation.scheduling == .pipelined:
                running.append(dispatcher.start(request, operation) { answers.fill(slot, with: $0) })
                // Requests older than the unsent answers are done: this only forgets them.
                if running.count > maxInFlight { await running.removeFirst().value }
            case .request(let request, let operation):
                for task in running { await task.value }
                running.removeAll(keepingCapacity: true)
                answers.fill(slot, with: await dispatcher.execute(request, operation))
            }
        }
    }
}
