import Logging
import NIOCore
import SpoolProtocol

/// Serves one client connection: reads frames, answers each in order, closes when the
/// client is done.
///
/// Design: requests are started in the order they arrive. A `sequential` op (reads, admin)
/// first waits until every earlier answer of the connection is out, so it sees their
/// effects; a `pipelined` op (append) starts at once, while earlier appends are still in the
/// writer, so a client's window of pipelined appends shares group commits instead of paying a
/// commit each. Every answer is a task that waits for its own result, then for the answer
/// before it, then writes: answers leave in request order, each as soon as it and all before
/// it are ready. At most `maxInFlight` answers are pending; past that the connection stops
/// reading (and TCP pushes back on the client), and the writes themselves wait while the
/// socket is not writable. Rejected: one request at a time (a pipelined client gets one
/// commit per append: ~1,000 appends/s), and answering out of order (clients match answers
/// by position).
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
                let session = Session()
                var pending: [Task<Void, Never>] = []  // answers not yet written, oldest first
                pending.reserveCapacity(maxInFlight)
                for try await frame in inbound {
                    let answer: Task<[UInt8], Never>
                    switch frame {
                    case .tooLong:
                        answer = Self.ready(dispatcher.lineTooLong())
                    case .line(let line):
                        switch dispatcher.decode(Array(line.readableBytesView), session: session) {
                        case .response(let response):
                            answer = Self.ready(response)
                        case .request(let request, let operation) where operation.scheduling == .pipelined:
                            answer = dispatcher.start(request, operation)
                        case .request(let request, let operation):
                            for task in pending { await task.value }
                            pending.removeAll(keepingCapacity: true)
                            answer = dispatcher.start(request, operation)
                        }
                    }
                    let previous = pending.last
                    pending.append(
                        Task.immediate {
                            let bytes = await answer.value
                            await previous?.value
                            try? await outbound.write(ByteBuffer(bytes: bytes))
                        })
                    if pending.count >= maxInFlight { await pending.removeFirst().value }
                }
                await pending.last?.value
                // Everything written before this empty write is out once it completes.
                try await channel.channel.writeAndFlush(ByteBuffer()).get()
            }
            logger.debug("connection closed", metadata: ["remote": "\(remote)"])
        } catch {
            logger.debug("connection ended", metadata: ["remote": "\(remote)", "error": "\(error)"])
        }
    }

    /// An answer that is already known.
    private static func ready(_ bytes: [UInt8]) -> Task<[UInt8], Never> { Task.immediate { bytes } }
}
