import Histogram
import NIOCore

/// One consumer of a Spool subscription draining a backlog: `fetch` up to `batch` events
/// (`wait_ms` 0), then `ack` them, until a fetch comes back empty.
///
/// Design: the next fetch is written before the ack of the batch just received (both in one
/// write), so the server reads the next batch while the client handles this one and the
/// ack's commit overlaps the following fetch: at most one fetch and its predecessor's ack are
/// outstanding. Rejected: fetch → ack → fetch in lockstep (every batch would wait for a
/// commit before the next read starts), more fetches ahead (leases would pile up while acks
/// lag, which is not how a consumer works through a queue).
final class SpoolConsumeSession: LoadSession {
    private enum Pending {
        case fetch(sentAt: UInt64)
        case ack(count: Int, sentAt: UInt64)
    }

    private let fetchLine: [UInt8]
    private let ackPrefix: [UInt8]
    private let timeLimit: UInt64
    private var deadline: UInt64 = .max
    private var lines = SpoolLines()
    private var pending: [Pending] = []
    private var seqs: [UInt64] = []
    private var measured = ConsumeResult()
    private var lastSeq: UInt64 = 0

    init(subscription: String, batch: Int, timeLimit: UInt64) {
        fetchLine = Array(#"{"op":"fetch","name":"\#(subscription)","max":\#(batch),"wait_ms":0}"#.utf8) + [0x0A]
        ackPrefix = Array(#"{"op":"ack","name":"\#(subscription)","seqs":["#.utf8)
        self.timeLimit = timeLimit
    }

    func start(now: UInt64, into out: inout ByteBuffer) {
        deadline = now &+ timeLimit
        fetch(now: now, into: &out)
    }

    func receive(_ input: inout ByteBuffer, now: UInt64, into out: inout ByteBuffer) throws -> Bool {
        while let line = lines.next(&input) {
            guard !pending.isEmpty else { throw LoadError("spool-consume: a reply to no request") }
            switch pending.removeFirst() {
            case .ack(let count, let sentAt):
                try SpoolLines.checkOK(line, request: "ack")
                measured.acked += count
                measured.ackLatency.record((now &- sentAt) / 1_000)
            case .fetch(let sentAt):
                try SpoolLines.checkOK(line, request: "fetch")
                measured.fetchLatency.record((now &- sentAt) / 1_000)
                seqs.removeAll(keepingCapacity: true)
                SpoolLines.fetchedSeqs(line, into: &seqs)
                guard !seqs.isEmpty else { continue }  // drained: no more fetches
                measured.fetches += 1
                measured.delivered += seqs.count
                for seq in seqs {
                    if seq <= lastSeq { measured.outOfOrder += 1 }
                    lastSeq = seq
                }
                if now < deadline { fetch(now: now, into: &out) }
                ack(seqs, now: now, into: &out)
            }
        }
        return pending.isEmpty
    }

    var result: ConsumeResult { measured }

    private func fetch(now: UInt64, into out: inout ByteBuffer) {
        out.writeBytes(fetchLine)
        pending.append(.fetch(sentAt: now))
    }

    private func ack(_ seqs: [UInt64], now: UInt64, into out: inout ByteBuffer) {
        out.writeBytes(ackPrefix)
        for (index, seq) in seqs.enumerated() {
            if index > 0 { out.writeInteger(UInt8(ascii: ",")) }
            Digits.write(seq, into: &out)
        }
        out.writeBytes(Array("]}\n".utf8))
        pending.append(.ack(count: seqs.count, sentAt: now))
    }
}
