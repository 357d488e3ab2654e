import LMDB

/// Walks the whole log and checks what makes it trustworthy: seqs 1…head with no gap, every
/// record readable and linked into the SHA-256 chain, the `streams` index pointing at each
/// event with versions 1, 2, 3 … per stream, and `event_ids` holding every client id.
///
/// It reads in chunks of `chunkSize` records, each in its own read transaction, so a long
/// verify never pins old pages for long; events appended meanwhile are verified too. It holds
/// no state per stream (a log of millions of users costs no memory for them): each event's
/// previous version is found through the index, and a last pass over the index checks that no
/// run reaches past the events it indexes.
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

    /// How far a verify is: `done` of `total` in its current phase.
    public struct Progress: Sendable, Equatable {
        public enum Phase: String, Sendable {
            /// The walk over the events, counted in seqs up to the head.
            case events
            /// The last pass, counted in `streams` index entries (one per run).
            case streamsIndex = "streams index"
        }

        public var phase: Phase
        public var done: UInt64
        public var total: UInt64
    }

    /// Verifies the log; `progress` is called after each chunk of either phase.
    /// Throws only when LMDB itself fails; damage is reported in the `Report`.
    public func verify(progress: (Progress) -> Void = { _ in }) throws -> Report {
        var previousHash = EventRecord.zeroHash
        var verified: UInt64 = 0
        var counts = Counts()
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
                    problem = try check(seq: seq, record: value, previousHash: &previousHash, counts: &counts, txn: txn)
                    guard problem == nil else { return false }
                    verified = seq
                    examined += 1
                    return examined < chunkSize
                }
                if problem == nil && verified == head {
                    let ids = try txn.count(store.eventIDs)
                    if ids != counts.clientIDs {
                        problem = Problem(seq: head, reason: "event_ids holds \(ids) entries for \(counts.clientIDs) client-supplied ids")
                    }
                }
                return (head, problem)
            }
            progress(Progress(phase: .events, done: verified, total: outcome.head))
            if let problem = outcome.problem {
                return Report(verifiedThrough: verified, headHash: previousHash, problem: problem)
            }
            if verified == outcome.head {
                let problem = try checkRuns(through: verified, counts: counts, progress: progress)
                return Report(verifiedThrough: verified, headHash: previousHash, problem: problem)
            }
        }
    }

    /// What the walk has counted so far, to check the indexes' sizes at the end.
    private struct Counts {
        /// Events with a client-supplied id.
        var clientIDs = 0
        /// Events that begin a run of the `streams` index.
        var runs = 0
    }

    private func check(seq: UInt64, record: [UInt8], previousHash: inout [UInt8], counts: inout Counts, txn: Transaction) throws
        -> Problem?
    {
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
        let version = event.version
        guard version > 0, let run = try StreamIndex.run(of: event.stream, holding: version, in: txn, store: store),
            run.seq(ofVersion: version) == seq
        else {
            return Problem(seq: seq, reason: "streams index entry for \(event.stream) version \(version) does not point at this event")
        }
        let startsRun = run.firstVersion == version
        if version > 1 {
            // The version before must be indexed at an earlier seq, which the walk has checked.
            let before = startsRun ? try StreamIndex.run(of: event.stream, holding: version - 1, in: txn, store: store) : run
            guard let before, let beforeSeq = before.seq(ofVersion: version - 1), beforeSeq < seq else {
                return Problem(seq: seq, reason: "stream \(event.stream) has version \(version), but no version \(version - 1) before it")
            }
            // A stream's runs must tile its versions: a run starts right after the one before ends.
            guard !startsRun || before.lastVersion == version - 1 else {
                return Problem(seq: seq, reason: "streams index runs of \(event.stream) overlap at version \(version)")
            }
        }
        if startsRun { counts.runs += 1 }
        if event.hasClientID {
            counts.clientIDs += 1
            guard try txn.get(store.eventIDs, event.id.bytes) == BigEndian.bytes(seq) else {
                return Problem(seq: seq, reason: "event_ids has no entry for event id \(event.id.lowercasedString)")
            }
        }
        return nil
    }

    /// The last pass, over the stream index: every run of the events through `head` must end
    /// at an event of its stream with its last version (a run that reached past its stream's
    /// last event would claim seqs of other events, or none), and there must be one entry per
    /// run the walk counted (`counts.runs`: events that start one). Runs of events appended
    /// after the walk are left out. `streams_recent` (small: the writer keeps it to a few
    /// thousand runs, moving the rest into `streams`) is read in one transaction, then
    /// `streams` in chunks, skipping the runs already counted that moved there meanwhile (same
    /// key, same value).
    private func checkRuns(through head: UInt64, counts: Counts, progress: (Progress) -> Void) throws -> Problem? {
        var indexed = 0
        var counted: [[UInt8]: [UInt8]] = [:]  // key → value of the runs counted in streams_recent
        if let recent = store.recentStreams {
            let problem: Problem? = try store.environment.read { txn in
                var problem: Problem? = nil
                try txn.scan(recent) { key, value in
                    problem = try checkRun(key: key, value: value, head: head, txn: txn) { counted[key] = value }
                    return problem == nil
                }
                return problem
            }
            if problem != nil { return problem }
            indexed = counted.count
            progress(Progress(phase: .streamsIndex, done: UInt64(indexed), total: UInt64(counts.runs)))
        }
        var next: [UInt8]? = nil
        while true {
            let (problem, done): (Problem?, Bool) = try store.environment.read { txn in
                var problem: Problem? = nil
                var examined = 0
                var done = true
                try txn.scan(store.streams, from: next) { key, value in
                    guard examined < chunkSize else {
                        done = false  // the next chunk starts at this entry
                        return false
                    }
                    examined += 1
                    next = key + [0]
                    guard counted[key] != value else { return true }
                    problem = try checkRun(key: key, value: value, head: head, txn: txn) { indexed += 1 }
                    return problem == nil
                }
                return (problem, done)
            }
            progress(Progress(phase: .streamsIndex, done: UInt64(indexed), total: UInt64(counts.runs)))
            if problem != nil { return problem }
            if done { break }
        }
        guard indexed == counts.runs else {
            return Problem(seq: head, reason: "streams index holds \(indexed) entries for \(counts.runs) appends")
        }
        return nil
    }

    /// Checks the index entry `key` → `value` against the events through `head`, calling
    /// `count` when it indexes one of them; the problem with it, if any.
    private func checkRun(key: [UInt8], value: [UInt8], head: UInt64, txn: Transaction, count: () -> Void) throws -> Problem? {
        let prefix = Array(key.prefix(max(key.count - 8, 0)))
        guard prefix.last == 0, let run = StreamIndex.run(stream: prefix, key: key, value: value) else {
            return Problem(seq: head, reason: "streams index holds a malformed entry")
        }
        guard run.firstSeq <= head else { return nil }  // appended after the walk
        count()
        let stream = String(decoding: prefix.dropLast(), as: UTF8.self)
        let lastSeq = run.lastSeq
        var last: RecordedEvent? = nil
        if lastSeq <= head, let record = try txn.get(store.events, BigEndian.bytes(lastSeq)) {
            last = try? EventRecord.decode(seq: lastSeq, record)
        }
        guard let last, last.stream == stream, last.version == run.lastVersion else {
            return Problem(seq: head, reason: "streams index run of \(stream) reaches version \(run.lastVersion), past its last event")
        }
        return nil
    }
}
