import LMDB

/// Walks the whole log and checks what makes it trustworthy: seqs 1…head with no gap, every
/// record readable and linked into the SHA-256 chain, the `streams` index pointing at each
/// event with versions 1, 2, 3 … per stream, and `event_ids` holding every client id.
///
/// It reads in chunks of `chunkSize` records, each in its own read transaction, so a long
/// verify never pins old pages for long; events appended meanwhile are verified too.
public struct LogVerifier: Sendable {
    public let store: Store
    public var chunkSize = 50_000

    public init(store: Store) { self.store = store }

    /// What a verify found: the head it reached and, when the log is damaged, the first bad seq.
    public struct Report: Sendable, Equatable {
        public var verifiedThrough: UInt64
        public var headHash: [UInt8]
        public var problem: Problem?
        public var isValid: Bool { problem == nil }
    }

    /// The first thing found wrong: its seq and why.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public var seq: UInt64
        public var reason: String
        public var description: String { "seq \(seq): \(reason)" }
    }

    /// Verifies the log; `progress(verified, head)` is called after each chunk.
    /// Throws only when LMDB itself fails; damage is reported in the `Report`.
    public func verify(progress: (UInt64, UInt64) -> Void = { _, _ in }) throws -> Report {
        var previousHash = EventRecord.zeroHash
        var verified: UInt64 = 0
        var seen = Seen()
        while true {
            let outcome: (head: UInt64, problem: Problem?) = try store.environment.read { txn in
                let head = try txn.withCursor(store.events) { try $0.last() }.flatMap { BigEndian.uint64($0.key, at: 0) } ?? 0
                var problem: Problem? = nil
                var examined = 0
                try txn.scan(store.events, from: BigEndian.bytes(verified + 1)) { key, value in
                    let expected = verified + 1
                    guard let seq = BigEndian.uint64(key, at: 0), key.count == 8, seq == expected else {
                        problem = Problem(seq: expected, reason: "missing: the next stored key is not seq \(expected)")
                        return false
                    }
                    problem = try check(seq: seq, record: value, previousHash: &previousHash, seen: &seen, txn: txn)
                    guard problem == nil else { return false }
                    verified = seq
                    examined += 1
                    return examined < chunkSize
                }
                if problem == nil && verified == head {
                    problem = try checkCounts(txn: txn, head: head, seen: seen)
                }
                return (head, problem)
            }
            progress(verified, outcome.head)
            if let problem = outcome.problem {
                return Report(verifiedThrough: verified, headHash: previousHash, problem: problem)
            }
            if verified == outcome.head { return Report(verifiedThrough: verified, headHash: previousHash, problem: nil) }
        }
    }

    /// What the walk has counted so far, to check the indexes' sizes at the end.
    private struct Seen {
        /// Each stream's last version so far, and the last version of the run that holds it.
        var streams: [String: (version: UInt64, runEnd: UInt64)] = [:]
        /// Events with a client-supplied id.
        var clientIDs = 0
        /// Events that begin a run of the `streams` index.
        var runs = 0
    }

    private func check(seq: UInt64, record: [UInt8], previousHash: inout [UInt8], seen: inout Seen, txn: Transaction) throws -> Problem? {
        let event: RecordedEvent
        do {
            event = try EventRecord.decode(seq: seq, record)
        } catch {
            return Problem(seq: seq, reason: "unreadable record: \(error.reason)")
        }
        guard EventRecord.verifyHash(seq: seq, record, previous: previousHash) else {
            return Problem(seq: seq, reason: "hash chain broken: the record's bytes do not match its hash")
        }
        previousHash = event.hash
        let before = seen.streams[event.stream] ?? (0, 0)
        guard event.version == before.version + 1 else {
            return Problem(seq: seq, reason: "stream \(event.stream) has version \(event.version), expected \(before.version + 1)")
        }
        let run = try StreamIndex.run(of: event.stream, holding: event.version, in: txn, store: store)
        guard let run, run.seq(ofVersion: event.version) == seq else {
            return Problem(
                seq: seq, reason: "streams index entry for \(event.stream) version \(event.version) does not point at this event")
        }
        // A stream's runs must tile its versions: a run starts right after the one before ends.
        let startsRun = run.firstVersion == event.version
        guard startsRun ? before.runEnd == before.version : before.runEnd == run.lastVersion else {
            return Problem(seq: seq, reason: "streams index runs of \(event.stream) overlap at version \(event.version)")
        }
        if startsRun { seen.runs += 1 }
        seen.streams[event.stream] = (event.version, run.lastVersion)
        if event.hasClientID {
            seen.clientIDs += 1
            guard try txn.get(store.eventIDs, event.id.bytes) == BigEndian.bytes(seq) else {
                return Problem(seq: seq, reason: "event_ids has no entry for event id \(event.id.lowercasedString)")
            }
        }
        return nil
    }

    private func checkCounts(txn: Transaction, head: UInt64, seen: Seen) throws -> Problem? {
        if let (stream, last) = seen.streams.first(where: { $0.value.runEnd != $0.value.version }) {
            return Problem(
                seq: head, reason: "streams index run of \(stream) reaches version \(last.runEnd), past its last event (\(last.version))")
        }
        let indexed = try txn.count(store.streams)
        if indexed != seen.runs {
            return Problem(seq: head, reason: "streams index holds \(indexed) entries for \(seen.runs) appends")
        }
        let ids = try txn.count(store.eventIDs)
        if ids != seen.clientIDs {
            return Problem(seq: head, reason: "event_ids holds \(ids) entries for \(seen.clientIDs) client-supplied ids")
        }
        return nil
    }
}
