/// Something kept up to date inside the writer's transaction.
///
/// The writer calls each projector once per transaction with the events that transaction
/// appended (consecutive seqs, in order). The projector folds them into its own databases and
/// stores its checkpoint (the last seq it applied) in the same transaction, so it is never
/// ahead of or behind the log, and a read after an acknowledged append sees it.
public protocol Projector: Sendable {
    /// Writer thread only.
    func apply(_ events: [DecodedEvent], in context: WriteContext) throws
    /// Writer thread only: the transaction of the last `apply` has committed. Called only
    /// for a transaction that ran `apply`; one that fails or is run again gets no call.
    func didCommit()
}
