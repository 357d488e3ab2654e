import JSON
import LMDB

extension WriteContext {
    /// Writer thread only. Writes `event` back at its own seq, exactly as it was recorded
    /// (id, time, version, metadata with its actor, data), so the restored log has the same
    /// hash chain as the one it was exported from; the exported `hash` is the proof. Returns
    /// false, writing nothing, when that seq already holds the same event (a resumed restore).
    ///
    /// Throws `bad_request` when the event does not continue this log: a gap in seqs or
    /// versions, a time going backwards, or a hash that its content does not produce (the
    /// export was altered, or is of another log).
    func restore(_ event: RecordedEvent) throws -> Bool {
        if event.seq <= state.headSeq {
            guard let stored = try txn.get(store.events, BigEndian.bytes(event.seq)) else {
                throw SpoolError.badRequest("seq \(event.seq): missing from this log")
            }
            guard try EventRecord.decode(seq: event.seq, stored).hash == event.hash else {
                throw SpoolError.badRequest(
                    "seq \(event.seq): this log holds a different event there; restore into an empty data directory")
            }
            return false
        }
        guard event.seq == state.headSeq + 1 else {
            throw SpoolError.badRequest("seq \(event.seq): the log ends at seq \(state.headSeq); events must follow on without a gap")
        }
        let head = try streamHead(event.stream)
        guard event.version == head + 1 else {
            throw SpoolError.badRequest("seq \(event.seq): \(event.stream) is at version \(head), the event has version \(event.version)")
        }
        guard event.time >= state.lastTime else { throw SpoolError.badRequest("seq \(event.seq): its time is before the previous event's") }
        // What an append would refuse is refused here too: the views (and a replay that folds
        // the users in parts by stream) rely on every event being valid for its stream.
        guard let data = try? JSONParser.parse(event.data) else { throw SpoolError.badRequest("seq \(event.seq): its data is not JSON") }
        let eventType: EventType
        do {
            eventType = try EventValidator.validate(type: event.type, data: data, stream: event.stream, index: 0)
        } catch {
            throw SpoolError.badRequest("seq \(event.seq): \(error.message)")
        }
        // Whether the id came from a client, and the record format it was written in, are not
        // exported; the hash tells which they were.
        var restored = event
        var encoded: (bytes: [UInt8], hash: RecordHash)? = nil
        search: for format in EventRecord.readableFormats.reversed() {
            for hasClientID in [true, false] {
                restored.hasClientID = hasClientID
                let record = EventRecord.encode(restored, after: state.headHash, format: format)
                if record.hash == RecordHash(event.hash) {
                    encoded = record
                    break search
                }
            }
        }
        guard let encoded else {
            throw SpoolError.badRequest(
                "seq \(event.seq): its content does not hash to its exported hash (altered, or not the next event of this log)")
        }
        try write(
            restored: encoded.bytes, seq: restored.seq, hash: encoded.hash, id: restored.id, hasClientID: restored.hasClientID,
            time: restored.time, type: eventType, stream: event.stream, version: event.version, data: data.objectValue ?? [:])
        return true
    }
}
