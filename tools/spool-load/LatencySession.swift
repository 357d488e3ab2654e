import NIOCore

/// One side of an end-to-end latency run: the producer appends one event every
/// `1/rate` seconds on its own connection; the consumer waits for events on another, either
/// pushed (`subscribe`) or by long-polling `fetch` (`wait_ms`), and acks what it gets. Both
/// write their timestamps into a shared `LatencyBook`, which pairs them by seq at the end.
final class LatencySession: LoadSession {
    /// How the consumer waits for events.
    enum Delivery: String, Sendable {
        /// `subscribe`: the server pushes each event as it commits.
        case push
        /// `fetch` with `wait_ms`: a long poll that returns when an append commits.
        case poll
    }

    enum Role: Sendable {
        case producer(appends: [[UInt8]], interval: UInt64)
        case consumer(Delivery)
    }

    private let role: Role
    private let subscription: String
    private let total: Int
    private let timeLimit: UInt64
    private var deadline: UInt64 = .max
    private let book: LatencyBook
    private var lines = SpoolLines()
    private var sendTimes: [UInt64] = []  // producer: send time of each outstanding append, oldest first
    private var sendHead = 0
    private var sent = 0
    private var delivered = 0
    private var seqs: [UInt64] = []

    /// `timeLimit` (nanoseconds) ends the session even when events are missing.
    init(role: Role, subscription: String, total: Int, timeLimit: UInt64, book: LatencyBook) {
        self.role = role
        self.subscription = subscription
        self.total = total
        self.timeLimit = timeLimit
        self.book = book
    }

    /// The producer sends on every tick; the consumer only checks its deadline (every 50 ms).
    var tickInterval: UInt64? {
        if case .producer(_, let interval) = role { interval } else { 50_000_000 }
    }

    func start(now: UInt64, into out: inout ByteBuffer) {
        deadline = now &+ timeLimit
        switch role {
        case .producer: break  // the first append goes out on the first tick
        case .consumer(.push): out.writeBytes(Array(#"{"op":"subscribe","name":"\#(subscription)"}"#.utf8) + [0x0A])
        case .consumer(.poll): fetch(into: &out)
        }
    }

    func tick(now: UInt64, into out: inout ByteBuffer) -> Bool {
        guard now < deadline else { return true }
        guard case .producer(let appends, _) = role, sent < total else { return false }
        out.writeBytes(appends[sent % appends.count])
        sendTimes.append(now)
        sent += 1
        return false
    }

    func receive(_ input: inout ByteBuffer, now: UInt64, into out: inout ByteBuffer) throws -> Bool {
        while let line = lines.next(&input) {
            switch role {
            case .producer:
                try SpoolLines.checkOK(line, request: "append")
                guard let seq = SpoolLines.integer("first_seq", in: line), sendHead < sendTimes.count else {
                    throw LoadError("append: a reply without first_seq: \(String(buffer: line))")
                }
                book.acknowledged(seq, sentAt: sendTimes[sendHead], at: now)
                sendHead += 1
            case .consumer(let delivery):
                if delivery == .push && line.readableBytesView.starts(with: Array(#"{"push":"#.utf8)) {
                    guard let seq = SpoolLines.integer("seq", in: line) else {
                        throw LoadError("push without a seq: \(String(buffer: line))")
                    }
                    received([seq], now: now, into: &out)
                    continue
                }
                try SpoolLines.checkOK(line, request: delivery == .push ? "subscribe/ack" : "fetch/ack")
                seqs.removeAll(keepingCapacity: true)
                SpoolLines.fetchedSeqs(line, into: &seqs)
                let isFetch = line.readableBytesView.starts(with: Array(#"{"ok":true,"messages":"#.utf8))
                guard delivery == .poll, isFetch else { continue }
                if !seqs.isEmpty { received(seqs, now: now, into: &out) }
                if delivered < total { fetch(into: &out) }
            }
        }
        switch role {
        case .producer: return sendHead == total
        case .consumer: return delivered >= total
        }
    }

    var result: Int { delivered }

    private func received(_ seqs: [UInt64], now: UInt64, into out: inout ByteBuffer) {
        for seq in seqs { book.delivered(seq, at: now) }
        delivered += seqs.count
        out.writeBytes(Array(#"{"op":"ack","name":"\#(subscription)","seqs":["#.utf8))
        for (index, seq) in seqs.enumerated() {
            if index > 0 { out.writeInteger(UInt8(ascii: ",")) }
            Digits.write(seq, into: &out)
        }
        out.writeBytes(Array("]}\n".utf8))
    }

    private func fetch(into out: inout ByteBuffer) {
        out.writeBytes(Array(#"{"op":"fetch","name":"\#(subscription)","max":100,"wait_ms":1000}"#.utf8) + [0x0A])
    }
}
