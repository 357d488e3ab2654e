/// A view kept up to date inside the writer's transaction.
///
/// A projector folds events, in seq order, into its own databases; the writer calls it once
/// per transaction with the events that transaction appended and then stores its checkpoint
/// (the last seq it applied) in the same transaction, so a view is never ahead of or behind
/// the log, and a read after an acknowledged append sees it.
public protocol Projector: Sendable {
    /// The checkpoint name, e.g. `users-by-id`.
    var name: String { get }
    /// Writer thread only. Applies `events` (consecutive seqs) to the view.
    func apply(_ events: [RecordedEvent], in context: WriteContext) throws
}
