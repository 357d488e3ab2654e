/// How many events the writer waits to have queued before it starts a transaction: as many
/// as 90% of the largest recent commit held, once commits have been large; none otherwise.
///
/// Why: every commit costs the writer ~600 µs whatever it holds (the view rows and index
/// entries of the users it touches, the pages they and the trees' upper levels rewrite, the
/// flush's work per page in the kernel: BENCHMARKS.md, "twenty-first session"). Under a steady
/// load the appends in flight circulate in groups, each one connection's window answered by one
/// commit and sent again together; once they have split into more, smaller groups, a writer
/// that takes whatever is queued commits each group apart and pays that cost for each, and the
/// groups never merge again. Waiting briefly for the queue to refill merges them (at 64
/// connections × window 32, commits of ~520 events became ~735 and the rate rose 2–5%).
/// The wait is bounded by `Writer`'s `refillWait`, and never happens while commits are small,
/// so a light load is not delayed.
struct BatchRefill {
    /// The most events a recent commit held, fading by `fade` at every commit.
    private(set) var recentLargest = 0.0

    /// The share of `recentLargest` to wait for.
    static let share = 0.9
    /// How fast a large commit is forgotten: after a burst of 4,096-event commits, small
    /// commits stop waiting within ~100 commits.
    static let fade = 0.98

    /// The events to wait for before the next transaction; 0 while commits have been smaller
    /// than `largeCommit`.
    func target(largeCommit: Int) -> Int {
        recentLargest >= Double(largeCommit) ? Int(recentLargest * Self.share) : 0
    }

    /// A transaction holding `events` events has committed.
    mutating func committed(events: Int) {
        recentLargest = max(Double(events), recentLargest * Self.fade)
    }
}
