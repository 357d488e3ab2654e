extension Engine {
    /// Writes exported events back at their own seqs, with their own ids, times, versions and
    /// actors, so the log's hash chain is the exported log's (see `WriteContext.restore`), and
    /// folds them into the views. Events already present (same seq, same hash) are skipped, so
    /// a restore can be resumed. Returns how many were written and how many were present.
    /// Throws `bad_request` naming the first event that does not continue the log; the events
    /// before it are written (each event is all or nothing).
    public func restore(_ events: [RecordedEvent]) async throws -> (restored: Int, present: Int) {
        try await requireWriter().submit(weight: events.count) { context in
            var restored = 0
            for event in events where try context.restore(event) { restored += 1 }
            return (restored, events.count - restored)
        }
    }
}
