import Foundation
import Synchronization

/// Spool's engine, transport-free: the store, its writer and the read side, opened together.
///
/// The server owns one; tools that open a data directory directly own one too (read-only
/// when a server is running). Reads run on the caller's thread in LMDB read transactions;
/// writes go through the writer.
public final class Engine: Sendable {
    public let store: Store
    /// The writer; nil when the engine was opened read-only.
    public let writer: Writer?
    public let log: EventLog
    public let views: ViewSet
    /// Questions of the views, now or as of a point in the past.
    public let queries: ViewQueries
    /// Durable subscriptions: fetch, ack, dead letters.
    public let subscriptions: SubscriptionHub
    private let ticker = Mutex<Task<Void, Never>?>(nil)
    private let emailProjector = Mutex<(projector: EmailProjector, task: Task<Void, Never>)?>(nil)
    public let startedAt: Timestamp
    private let rebuildProgress = Mutex<ViewRebuilder.Progress?>(nil)

    public struct Options: Sendable {
        public var readOnly = false
        public var mapSize = 1 << 30
        public var clock: @Sendable () -> Timestamp = Timestamp.now
        public init() {}
    }

    /// Opens the data directory. Throws `SpoolError` when a writable directory is held by
    /// another process, or when the store cannot be opened.
    public init(directory: String, options: Options = Options()) throws {
        var storeOptions = Store.Options()
        storeOptions.readOnly = options.readOnly
        storeOptions.mapSize = options.mapSize
        store = try Store(directory: directory, options: storeOptions)
        log = EventLog(store: store)
        views = try ViewSet(store: store)
        queries = ViewQueries(store: store, views: views)
        let writer = options.readOnly ? nil : try Writer(store: store, projectors: [views], clock: options.clock)
        self.writer = writer
        subscriptions = try SubscriptionHub(store: store, writer: writer, clock: options.clock)
        startedAt = options.clock()
        if writer != nil {
            let hub = subscriptions
            ticker.withLock {
                $0 = Task.detached {
                    while !Task.isCancelled {
                        await hub.tick()
                        try? await Task.sleep(for: .milliseconds(25))
                    }
                }
            }
        }
    }

    /// Validates, stamps `actor` and appends. Throws `SpoolError` (`bad_request`,
    /// `invalid_event`, `wrong_expected_version`, `duplicate_event_id`, `storage_full`, …).
    public func append(_ request: AppendRequest, actor: String) async throws -> AppendResult {
        let prepared = try request.prepare(actor: actor)
        return try await requireWriter().append(prepared)
    }

    /// The writer, or `bad_request` when this engine is read-only.
    public func requireWriter() throws(SpoolError) -> Writer {
        guard let writer else { throw .badRequest("the data directory is open read-only") }
        return writer
    }

    /// Walks the whole log; see `LogVerifier`.
    public func verify(progress: (LogVerifier.Progress) -> Void = { _ in }) throws -> LogVerifier.Report {
        try LogVerifier(store: store).verify(progress: progress)
    }

    /// Rebuilds `kinds` by replay while the server keeps serving; returns their checksums.
    /// Throws `already_exists` when a rebuild is running, `bad_request` when read-only.
    public func rebuild(_ kinds: [ViewKind] = ViewKind.allCases, progress: @escaping @Sendable (ViewRebuilder.Progress) -> Void = { _ in })
        async throws -> [ViewKind: String]
    {
        let writer = try requireWriter()
        let started = rebuildProgress.withLock { current in
            guard current == nil || current?.phase == .done else { return false }
            current = ViewRebuilder.Progress(phase: .replaying, done: 0, total: 0)
            return true
        }
        guard started else { throw SpoolError(.alreadyExists, "a rebuild is already running; its progress is in stats") }
        do {
            let checksums = try await ViewRebuilder(store: store, views: views, writer: writer).rebuild(kinds) { step in
                self.rebuildProgress.withLock { $0 = step }
                progress(step)
            }
            rebuildProgress.withLock { $0?.phase = .done }
            return checksums
        } catch {
            rebuildProgress.withLock { $0 = nil }
            throw error
        }
    }

    /// Rebuilds the views whose checkpoint is not the log's head (a data directory written
    /// before a view existed, or restored without its views); returns them. The server runs
    /// it before it listens.
    public func catchUpViews() async throws -> [ViewKind] {
        let lagging = try store.environment.read { txn in
            let head = try log.headSeq(in: txn)
            return try ViewKind.allCases.filter { try views.checkpoint($0, in: txn) != head }
        }
        if !lagging.isEmpty { _ = try await rebuild(lagging) }
        return lagging
    }

    /// Starts the email projector with `catalog` (creating its subscriptions); it runs until
    /// `close`. Throws `bad_request` when read-only.
    public func startEmails(_ catalog: EmailCatalog) async throws {
        _ = try requireWriter()
        let projector = EmailProjector(engine: self, catalog: catalog)
        try await projector.ensureSubscriptions()
        let task = Task.detached { await projector.run() }
        emailProjector.withLock { $0 = (projector, task) }
    }

    /// The running email projector, for previews; nil when not started.
    public var emails: EmailProjector? { emailProjector.withLock { $0?.projector } }

    /// Each view's checkpoint: the last seq folded into its live tables.
    public func viewCheckpoints() throws -> [(ViewKind, UInt64)] {
        try store.environment.read { txn in try ViewKind.allCases.map { ($0, try views.checkpoint($0, in: txn)) } }
    }

    /// The running (or last finished) rebuild's progress, for `stats`.
    public var rebuildStatus: ViewRebuilder.Progress? { rebuildProgress.withLock { $0 } }

    /// Compares every live view with a fresh fold of the log (see `ViewSet.check`).
    public func checkViews(progress: (UInt64, UInt64) -> Void = { _, _ in }) throws -> [ViewCheck] {
        try views.check(ViewKind.allCases, progress: progress)
    }

    /// `close`, after writing what subscriptions hold in memory only for a moment (the
    /// delivery counts of the latest fetches). A server's shutdown; `close` alone can lose them.
    public func shutdown() async {
        ticker.withLock { $0?.cancel() }
        await subscriptions.tick()
        close()
    }

    /// Finishes queued writes and stops the writer; the store closes when the engine is released.
    public func close() {
        ticker.withLock { $0?.cancel() }
        emailProjector.withLock { $0?.task.cancel() }
        writer?.stop()
        try? store.environment.sync()
    }
}
