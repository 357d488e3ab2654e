import Foundation
import JSON
import LMDB

/// What a work item sees inside the writer's transaction: the transaction itself, the
/// store's databases and the log's end as this batch has moved it so far.
/// Writer thread only; lives for one transaction.
public final class WriteContext {
    public let txn: WriteTransaction
    public let store: Store
    /// The server time of this transaction's appends (before `max` with the log's last
    /// time): the clock is read once per transaction, when it begins, not once per append
    /// (~2% of the writer's time at one event per append); its appends become durable
    /// together anyway.
    let now: Timestamp
    /// Committed stream heads, shared across batches; this batch's new heads are its runs' ends.
    private let committedHeads: StreamHeadCache
    private let keepsAppended: Bool
    /// What this transaction has written so far, as one value: an append changes it through
    /// one access (each access to a class's stored property is checked for exclusivity at run
    /// time, ~90 instructions; these fields apart took six or seven such checks per append).
    private var batch: Batch
    /// The projectors folded this transaction's events (`project`).
    private(set) var projected = false

    private struct Batch {
        /// The log's end including this batch's appends.
        var state: LogState
        /// The stream index entry each stream this batch appended to is building, in the order
        /// the streams came (`putStreamRuns` puts them); its end is the stream's new head.
        /// Found through `pendingRunIndex`: a builder changed inside a dictionary went through
        /// its `modify` accessor, which allocated on every append.
        var pendingRuns: [(stream: String, run: StreamIndex.Run.Builder)] = []
        var pendingRunIndex: [String: Int] = [:]
        /// Events appended in this transaction, in seq order, with their data as parsed; kept
        /// only when `keepsAppended` (for the projectors).
        var appended: [DecodedEvent] = []
        var appendedCount = 0
    }

    /// A context for a batch of `items` work items (room for that many new stream heads, up to
    /// 1,024, is reserved: growing the table step by step cost more than filling it).
    init(
        txn: WriteTransaction, store: Store, state: LogState, heads: StreamHeadCache, keepsAppended: Bool, items: Int,
        now: Timestamp
    ) {
        var batch = Batch(state: state)
        batch.pendingRuns.reserveCapacity(min(items, 1024))
        batch.pendingRunIndex.reserveCapacity(min(items, 1024))
        self.batch = batch
        self.txn = txn
        self.keepsAppended = keepsAppended
        self.committedHeads = heads
        self.store = store
        self.now = now
    }

    /// The log's end including this batch's appends; becomes the writer's state on commit.
    var state: LogState { batch.state }
    /// The last seq in the log, counting this batch's appends.
    public var headSeq: UInt64 { batch.state.headSeq }
    /// How many events this transaction appended.
    public var appendedCount: Int { batch.appendedCount }
    /// Stream heads this batch moved, each stream once; the cache takes them once the batch
    /// commits (read in place: a dictionary built of them cost a hash of every stream twice).
    var newHeads: some Collection<(stream: String, version: UInt64)> {
        batch.pendingRuns.lazy.map { (stream: $0.stream, version: $0.run.lastVersion) }
    }

    /// Appends `request` to its stream after checking its expected version and event ids,
    /// sealing its drafted records where they lie (so a request the caller no longer holds is
    /// not copied). Throws (having written nothing) `wrong_expected_version` with the stream's
    /// actual version, or `duplicate_event_id` when an id is reused for a different event. A
    /// retry whose ids are all present already returns the original positions and writes
    /// nothing. Run again (a batch's rerun), it seals the records afresh.
    func append(_ request: inout PreparedAppend) throws -> AppendResult {
        if let earlier = try earlierAppend(of: request) { return earlier }
        return try append(&request, to: &batch)
    }

    /// `append`'s work on `batch`, the context's own, held through the one access.
    private func append(_ request: inout PreparedAppend, to batch: inout Batch) throws -> AppendResult {
        let pending = batch.pendingRunIndex[request.stream]  // looked up once for the head and the entry
        let head = try head(of: request.stream, pending: pending, in: batch)
        guard request.expectedVersion.isSatisfied(byHead: head) else {
            throw SpoolError(
                .wrongExpectedVersion,
                "stream \(request.stream) is at version \(head), expected \(request.expectedVersion.wireDescription)",
                details: ["stream": .string(request.stream), "actual_version": .int(Int64(head))])
        }
        let time = max(now, batch.state.lastTime)
        var version = head
        try request.events.updateEach { event in
            version += 1
            let seq = batch.state.headSeq + 1
            let id = event.id ?? UUID.version7(at: time)
            let hash = EventRecord.seal(
                &event.record, seq: seq, id: id, hasClientID: event.id != nil, time: time, version: version,
                previousHash: batch.state.headHash)
            try write(
                seq: seq, record: event.record.bytes, hash: hash, id: id, hasClientID: event.id != nil, time: time,
                type: event.eventType, userID: event.userID, data: event.parsedData, to: &batch)
        }
        let firstSeq = batch.state.headSeq - UInt64(request.events.count) + 1
        try putStreamEntry(
            request.stream, pending: pending, fromVersion: head + 1, firstSeq: firstSeq, count: request.events.count, in: &batch)
        return AppendResult(firstSeq: firstSeq, lastSeq: batch.state.headSeq, version: version, duplicate: false)
    }

    /// Puts the event `record` (at `seq`, ending in `hash`, of `type` about `userID`, its data
    /// parsed as `data`, nil when it was checked as text) into `events` and, for a client id,
    /// `event_ids`; then moves the log's end (seq, hash, time) past it and, when projectors fold
    /// this batch, queues it for them (`data` is read only then: a log without projectors need
    /// not touch it, which was ~5% of its writer's time). The caller has checked that it
    /// continues the log, and indexes it in `streams` (`putStreamEntry`).
    private func write(
        seq: UInt64, record: [UInt8], hash: RecordHash, id: UUID, hasClientID: Bool, time: Timestamp, type: EventType,
        userID: String, data: @autoclosure () -> JSONObject?, to batch: inout Batch
    ) throws {
        try txn.put(store.events, key: seq, record, flags: .append)
        if hasClientID { try txn.put(store.eventIDs, id.bytes, BigEndian.bytes(seq), flags: .noOverwrite) }
        batch.state.headSeq = seq
        batch.state.headHash = hash
        batch.state.lastTime = time
        batch.appendedCount += 1
        if keepsAppended {
            batch.appended.append(DecodedEvent(try StoredEvent(seq: seq, record), type: type, userID: userID, data: data()))
        }
    }

    /// Indexes `count` events just written to `stream`, which took consecutive versions from
    /// `fromVersion` and consecutive seqs from `firstSeq`, and moves the stream's head to the
    /// last of them. They join the stream's entry of this transaction (`putStreamRuns` puts it),
    /// unless that entry is full. `pending` is the stream's position in `pendingRuns`.
    private func putStreamEntry(
        _ stream: String, pending: Int?, fromVersion: UInt64, firstSeq: UInt64, count: Int, in batch: inout Batch
    ) throws {
        let run = StreamIndex.Run.Builder(firstVersion: fromVersion, firstSeq: firstSeq, count: count)
        guard let index = pending else {
            batch.pendingRunIndex.updateValue(batch.pendingRuns.count, forKey: stream)
            batch.pendingRuns.append((stream, run))
            return
        }
        guard !batch.pendingRuns[index].run.add(firstSeq: firstSeq, count: count) else { return }
        try StreamIndex.put(stream, batch.pendingRuns[index].run, in: txn, store: store)
        batch.pendingRuns[index].run = run
    }

    /// Writes `record` (see `write`) and indexes it as one event of `stream` (see
    /// `putStreamEntry`): a restored event, which continues the log at `seq`.
    func write(
        restored record: [UInt8], seq: UInt64, hash: RecordHash, id: UUID, hasClientID: Bool, time: Timestamp, type: EventType,
        stream: String, version: UInt64, data: JSONObject
    ) throws {
        let pending = batch.pendingRunIndex[stream]
        try write(
            seq: seq, record: record, hash: hash, id: id, hasClientID: hasClientID, time: time, type: type,
            userID: data["user_id"]?.stringValue ?? "", data: data, to: &batch)
        try putStreamEntry(stream, pending: pending, fromVersion: version, firstSeq: seq, count: 1, in: &batch)
    }

    /// Puts the stream index entries of this transaction's appends; the writer calls it once,
    /// after the batch's work items, and appends nothing after it.
    func putStreamRuns() throws {
        var (key, value): ([UInt8], [UInt8]) = ([], [])
        for (stream, run) in batch.pendingRuns { try StreamIndex.put(stream, run, in: txn, store: store, key: &key, value: &value) }
    }

    /// The result of an earlier append with the same event ids, or nil when none was seen.
    private func earlierAppend(of request: PreparedAppend) throws -> AppendResult? {
        guard request.events.anyClientID else { return nil }
        var earlier: [StoredEvent] = []
        for (index, proposed) in request.events.enumerated() {
            guard let id = proposed.id, let seqBytes = try txn.get(store.eventIDs, id.bytes),
                let seq = BigEndian.uint64(seqBytes, at: 0), let record = try txn.get(store.events, seqBytes)
            else { continue }
            let stored = try StoredEvent(seq: seq, record)
            let drafted = try StoredEvent(seq: seq, proposed.record.bytes)
            guard stored.stream == drafted.stream, stored.type == drafted.type, stored.data == drafted.data else {
                throw SpoolError(
                    .duplicateEventID,
                    "events[\(index)].id \(id.lowercasedString) was already used for a different event (seq \(seq))",
                    details: ["seq": .int(Int64(seq))])
            }
            earlier.append(stored)
        }
        guard let first = earlier.first, let last = earlier.last else { return nil }
        guard earlier.count == request.events.count else {
            throw SpoolError(
                .duplicateEventID,
                "\(earlier.count) of the \(request.events.count) event ids were already appended (from seq \(first.seq)); retry the original append unchanged"
            )
        }
        return AppendResult(firstSeq: first.seq, lastSeq: last.seq, version: last.version, duplicate: true)
    }

    /// The version of the last event in `stream`, 0 when it has none.
    public func streamHead(_ stream: String) throws -> UInt64 {
        try head(of: stream, pending: batch.pendingRunIndex[stream], in: batch)
    }

    /// `streamHead` for a stream whose position in `batch.pendingRuns` is `pending`: the end of
    /// this batch's entry, else the version before this batch.
    private func head(of stream: String, pending: Int?, in batch: Batch) throws -> UInt64 {
        if let pending { return batch.pendingRuns[pending].run.lastVersion }
        if let head = committedHeads.versions[stream] { return head }
        let head = try StreamIndex.lastVersion(of: stream, in: txn, store: store)
        committedHeads.noteStored(stream, head: head)  // read before this batch wrote to it: committed
        return head
    }

    /// Folds this batch's events into every projector.
    func project(with projectors: [any Projector]) throws {
        let appended = batch.appended
        guard !appended.isEmpty else { return }
        for projector in projectors { try projector.apply(appended, in: self) }
        projected = true
    }
}
