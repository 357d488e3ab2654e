import Histogram
import NIOCore

/// One consumer of a Redis consumer group draining a stream: `XREADGROUP … COUNT batch
/// STREAMS key >`, then `XACK` the entries, until a read comes back empty. Pipelined exactly
/// like `SpoolConsumeSession` (the next read is written before the ack of this batch), so
/// both servers see the same request pattern.
final class RedisConsumeSession: LoadSession {
    private enum Pending {
        case read(sentAt: UInt64)
        case ack(count: Int, sentAt: UInt64)
    }

    private let readCommand: [UInt8]
    private let key: ByteBuffer
    private let group: ByteBuffer
    private let timeLimit: UInt64
    private var deadline: UInt64 = .max
    private var pending: [Pending] = []
    private var measured = ConsumeResult()

    init(key: String, group: String, consumer: String, batch: Int, timeLimit: UInt64) {
        readCommand = RESP.command(
            ["XREADGROUP", "GROUP", group, consumer, "COUNT", "\(batch)", "STREAMS", key, ">"].map { Array($0.utf8) })
        self.key = ByteBuffer(string: key)
        self.group = ByteBuffer(string: group)
        self.timeLimit = timeLimit
    }

    func start(now: UInt64, into out: inout ByteBuffer) {
        deadline = now &+ timeLimit
        read(now: now, into: &out)
    }

    func receive(_ input: inout ByteBuffer, now: UInt64, into out: inout ByteBuffer) throws -> Bool {
        while let reply = try RESP.read(&input) {
            guard !pending.isEmpty else { throw LoadError("redis-consume: a reply to no request") }
            if case .error(let text) = reply { throw LoadError("redis-consume: Redis answered \(text)") }
            switch pending.removeFirst() {
            case .ack(let count, let sentAt):
                guard case .integer(let acked) = reply, acked == count else {
                    throw LoadError("XACK of \(count) entries: Redis answered \(reply)")
                }
                measured.acked += count
                measured.ackLatency.record((now &- sentAt) / 1_000)
            case .read(let sentAt):
                measured.fetchLatency.record((now &- sentAt) / 1_000)
                // [[key, [[id, [field, value, …]], …]]], or nil when nothing is new.
                guard let streams = reply.elements, let entries = streams.first?.elements?.last?.elements, !entries.isEmpty
                else { continue }  // drained: no more reads
                var ids: [ByteBuffer] = []
                ids.reserveCapacity(entries.count)
                for entry in entries {
                    guard let id = entry.elements?.first?.bytes else { throw LoadError("XREADGROUP: an entry without an id") }
                    ids.append(id)
                }
                measured.fetches += 1
                measured.delivered += ids.count
                if now < deadline { read(now: now, into: &out) }
                ack(ids, now: now, into: &out)
            }
        }
        return pending.isEmpty
    }

    var result: ConsumeResult { measured }

    private func read(now: UInt64, into out: inout ByteBuffer) {
        out.writeBytes(readCommand)
        pending.append(.read(sentAt: now))
    }

    private func ack(_ ids: [ByteBuffer], now: UInt64, into out: inout ByteBuffer) {
        RESP.writeCommandHeader(3 + ids.count, into: &out)
        RESP.writeArgument("XACK", into: &out)
        RESP.writeArgument(key, into: &out)
        RESP.writeArgument(group, into: &out)
        for id in ids { RESP.writeArgument(id, into: &out) }
        pending.append(.ack(count: ids.count, sentAt: now))
    }
}
